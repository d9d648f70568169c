#!/usr/bin/env bash
# Prints the base URL of the Go module proxy to fetch from: the first entry
# of GOPROXY that is a proxy, not `direct` or `off`. GOPROXY is what
# `go env GOPROXY` says when a Go is on PATH (it includes `go env -w`), else
# the environment's, else Go's default. Entries are separated by `,` or `|`
# (see `go help goproxy`). Exits 1 with one line when GOPROXY names no proxy.
set -euo pipefail
list=
if command -v go >/dev/null 2>&1; then
  list=$(go env GOPROXY 2>/dev/null || true)
else
  list=${GOPROXY:-}
fi
list=${list:-https://proxy.golang.org,direct}
IFS=',|' read -ra entries <<<"$list"
for e in "${entries[@]}"; do
  case "$e" in
  "" | direct | off) ;;
  *)
    echo "${e%/}"
    exit 0
    ;;
  esac
done
echo "goproxy: GOPROXY=$list names no proxy, only direct or off; set GOPROXY=https://proxy.golang.org or a mirror" >&2
exit 1
