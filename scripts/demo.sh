#!/usr/bin/env bash
# make demo: start ossemu on loopback with a sample bucket, seed it, and
# mount it at ./mnt. `make demo-stop` undoes it.
set -euo pipefail
cd "$(dirname "$0")/.."

state=.demo
addr=${OSSFUSE_DEMO_ADDR:-127.0.0.1:9090}
bucket=demo
mnt=$PWD/mnt

stop() {
  if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt" || fusermount3 -u "$mnt" || true; fi
  if [ -f "$state/ossemu.pid" ]; then
    kill "$(cat "$state/ossemu.pid")" 2>/dev/null || true
    rm -f "$state/ossemu.pid"
  fi
  echo "demo stopped (objects kept in $state/data; 'make clean' removes them)"
}

put() { # put KEY [CONTENT-TYPE] < body
  curl -fsS -X PUT --data-binary @- -H "Content-Type: ${2:-text/plain}" "http://$addr/$bucket/$1" >/dev/null
}

start() {
  if [ -f "$state/ossemu.pid" ] && kill -0 "$(cat "$state/ossemu.pid")" 2>/dev/null; then
    echo "the demo is already running; 'make demo-stop' stops it"; exit 0
  fi
  mkdir -p "$state"
  bin/ossemu --addr "$addr" --bucket "$bucket" --data-dir "$state/data" >"$state/ossemu.log" 2>&1 &
  echo $! >"$state/ossemu.pid"
  for _ in $(seq 50); do grep -q listening "$state/ossemu.log" && break; sleep 0.1; done
  grep -q listening "$state/ossemu.log" || { cat "$state/ossemu.log"; stop; exit 1; }
  echo "ossemu: $(cat "$state/ossemu.log")  (bucket '$bucket', data in $state/data)"

  echo "Welcome to ossfuse. These objects live in an OSS bucket served by ossemu." | put README.txt
  printf 'line 1\nline 2\n' | put logs/app.log
  echo '{"hello": "world"}' | put data/sample.json application/json
  : | put empty-dir/ application/x-directory
  head -c 1048576 /dev/urandom | put data/random.bin application/octet-stream

  mkdir -p "$mnt"
  bin/ossfuse "$bucket" "$mnt" -f -o "endpoint=http://$addr" >"$state/ossfuse.log" 2>&1 &
  for _ in $(seq 100); do mountpoint -q "$mnt" && break; kill -0 $! 2>/dev/null || break; sleep 0.1; done
  if ! mountpoint -q "$mnt"; then
    echo "ossfuse did not mount; its log:"; cat "$state/ossfuse.log"; stop; exit 1
  fi
  echo "mounted at $mnt — try:"
  echo "  ls -la $mnt; cat $mnt/README.txt; md5sum $mnt/data/random.bin"
  echo "  curl http://$addr/_ossemu/stats    # what those cost, in OSS requests"
  echo "stop with: make demo-stop"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
