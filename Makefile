# ossfuse — the two commands a new user runs are `make demo` and `make test`.
# Both install what they need (scripts/install-deps.sh) on a fresh Debian machine.

GO_VERSION := $(shell awk '/^go /{print $$2}' go.mod)
export PATH := /usr/local/go/bin:$(HOME)/.cache/ossfuse/go$(GO_VERSION)/bin:$(PATH)
export GOFLAGS := -buildvcs=false

GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# make install puts the binary in $(BINDIR) and mount(8)'s helper for the
# type fuse.ossfuse in $(SBINDIR): a symlink to the binary, which reads
# mount(8)'s helper convention when invoked under that name. mount(8) looks
# for helpers in /sbin only (and /sbin/fs.d, /sbin/fs), whatever PREFIX is.
# DESTDIR stages the whole tree for packaging.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= /sbin

# Tests never need more than this; a hang fails instead of stalling CI.
TEST_TIMEOUT ?= 20m

.PHONY: all build deps install uninstall test unit vet demo demo-stop bench clean

all: build

deps:
	@scripts/install-deps.sh
	@$(GO) mod download

build: deps
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ossemu ./cmd/ossemu
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ossfuse ./cmd/ossfuse

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(BIN)/ossfuse $(DESTDIR)$(BINDIR)/ossfuse
	ln -sfn $(BINDIR)/ossfuse $(DESTDIR)$(SBINDIR)/mount.fuse.ossfuse

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ossfuse $(DESTDIR)$(SBINDIR)/mount.fuse.ossfuse

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

# The whole suite: unit tests with the race detector, then the end-to-end
# tests (emulator conformance through the official SDK, the Node SDK smoke
# test, FUSE mounts, whose ossfuse is built with the race detector too).
# OSSFUSE_REQUIRE_TOOLS makes a missing tool a failure rather than a skip:
# `make test` installed them.
test: build vet
	OSSFUSE_REQUIRE_TOOLS=1 OSSFUSE_RACE=1 $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

unit:
	$(GO) test -race -count=1 -short ./...

demo: build
	@scripts/demo.sh start

demo-stop:
	@scripts/demo.sh stop

# BENCH.md's W1, W2, W6, W7 and W9 at L0 and L2 (about 12 minutes on 2 shared
# cores; W6's create and W9's append loops stop after -budget 10s each, which
# at L2, and on a busy machine at L0, is before their 1k files or 10k appends).
# Flags go in BENCH_ARGS, e.g.
# make bench BENCH_ARGS='-runs 5 -size 4GiB -w7-100k -w6-10k -budget 60s -only w2,w9'.
bench: build
	$(GO) run ./scripts/bench $(BENCH_ARGS)

clean:
	rm -rf $(BIN) bench/results .demo
