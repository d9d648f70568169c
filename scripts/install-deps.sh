#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a fresh Debian machine:
# Debian packages through apt-get (only those missing) and, when no Go
# toolchain is found, the Go toolchain named in go.mod through the Go module
# proxy that GOPROXY names. Idempotent and quiet when everything is already
# there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have fusermount3 || need_pkgs+=(fuse3)
have node || need_pkgs+=(nodejs)
have npm || need_pkgs+=(npm)
have curl || need_pkgs+=(curl)
have unzip || need_pkgs+=(unzip)
have rsync || need_pkgs+=(rsync)
have git || need_pkgs+=(git)
have gcc || need_pkgs+=(gcc)
have fio || need_pkgs+=(fio)

if ((${#need_pkgs[@]})); then
  echo "install-deps: installing Debian packages: ${need_pkgs[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Go: use the one on PATH or in /usr/local/go; otherwise fetch the toolchain
# go.mod asks for from the module proxy (it is published there as a module):
# the first proxy GOPROXY names (scripts/goproxy.sh), so that it works behind
# a mirror.
want=$(awk '/^go /{print $2}' go.mod)
if ! have go && [ ! -x /usr/local/go/bin/go ]; then
  dest="${OSSFUSE_GO_ROOT:-$HOME/.cache/ossfuse/go$want}"
  if [ ! -x "$dest/bin/go" ]; then
    arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
    proxy=$(scripts/goproxy.sh)
    url="$proxy/golang.org/toolchain/@v/v0.0.1-go$want.linux-$arch.zip"
    echo "install-deps: fetching Go $want from $url"
    tmp=$(mktemp -d)
    curl -fsSL "$url" -o "$tmp/go.zip"
    unzip -q "$tmp/go.zip" -d "$tmp"
    mkdir -p "$(dirname "$dest")"
    mv "$tmp/golang.org/toolchain@v0.0.1-go$want.linux-$arch" "$dest"
    chmod +x "$dest"/bin/* "$dest"/pkg/tool/*/* 2>/dev/null || true
    rm -rf "$tmp"
  fi
  echo "install-deps: Go is at $dest/bin (the Makefile finds it there)"
fi
