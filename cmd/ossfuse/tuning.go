package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// readaheadKiB is the kernel readahead ossfuse asks for on its mount. The
// kernel gives a FUSE mount 128 KiB whatever the filesystem requests in
// INIT; 1 MiB reads cut the FUSE requests of a sequential read by four.
const readaheadKiB = 1024

// setReadahead raises the kernel readahead of the filesystem mounted at
// mountpoint, through /sys/class/bdi (root only). It is an optimisation:
// failing to set it is logged and otherwise ignored.
func setReadahead(mountpoint string, log *logrus.Entry) {
	var st unix.Stat_t
	if err := unix.Stat(mountpoint, &st); err != nil {
		log.WithError(err).Debug("readahead not raised")
		return
	}
	path := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	if err := os.WriteFile(path, []byte(fmt.Sprint(readaheadKiB)), 0o644); err != nil {
		log.WithError(err).Debug("readahead not raised")
	}
}

// memoryHeadroom is what the process may take beyond the file data of the
// byte budget: FUSE request buffers, metadata caches, the runtime, the
// garbage the collector lets pile up between two cycles, and the pages of
// the executable. Reading, the buffers and the runtime take a few MiB; the
// garbage takes most of the rest. The metadata of 100k names seen takes
// about 130 MB, which this leaves room for when memory= is small, where a
// tighter limit would make the collector run without pause. README and
// docs/SEMANTICS.md give the bound, memory= + memoryHeadroom, and
// TestDocumentedMemoryBound holds them to it.
const memoryHeadroom = 128 << 20

// executablePages is the part of memoryHeadroom that the Go runtime does
// not count against its limit: the resident pages of the executable (about
// 11 MiB of ossfuse's RSS are file-backed).
const executablePages = 16 << 20

// limitMemory tells the Go runtime how much memory the mount may use: the
// file data it holds (fs.FS.DataBytes, the byte budget, block cache
// included) plus memoryHeadroom, less the pages the runtime does not count.
// Garbage collection then keeps the heap within that, instead of letting
// it grow to twice the data.
func limitMemory(dataBytes int64) {
	debug.SetMemoryLimit(dataBytes + memoryHeadroom - executablePages)
}

// startCPUProfile writes a CPU profile of the whole mount to the file named
// by OSSFUSE_CPUPROFILE, for developers measuring the read and write paths;
// the returned function ends it. Without the variable it does nothing.
func startCPUProfile(log *logrus.Entry) func() {
	path := os.Getenv("OSSFUSE_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		log.WithError(err).Warn("no CPU profile")
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
