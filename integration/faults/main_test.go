// Package faults is the fault drill (issue 9): real tools write through a
// mounted ossfuse while the emulator answers errors, dies and comes back,
// or freezes, while ossfuse itself is killed with SIGKILL, and while its
// cache_dir is full. After each scenario every file's bytes must be in
// the bucket (read back through an ossio client of the emulator, MD5
// against the source), or in recovery_dir under its own name
// (recovery_dir/<time>/<key>); the errno each tool saw is in the test log;
// and cache_dir holds nothing after a clean unmount.
//
// Each test starts its own emulator with a fixed fault seed: a kill or a
// freeze must reach no other test, and request counters are the test's
// own. Nothing sleeps and hopes: every wait polls a condition, bounded in
// time and in count, with deadlines generous enough for a busy machine;
// "does not hang" is asserted only as a generous upper bound (hangBound).
// All traffic stays on loopback.
package faults

import (
	"syscall"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

func TestMain(m *testing.M) {
	syscall.Umask(0o022)
	harness.Main(m)
}

// faultSeed seeds every emulator's fault injector (--seed), so a storm is
// the same storm for a given request order.
const faultSeed = 9

// Bounds of the drill's waits.
const (
	// opTimeout bounds one direct system call on the mount made by the test.
	opTimeout = 90 * time.Second
	// toolTimeout bounds one tool run in the mount (cp of the tree in a storm).
	toolTimeout = 4 * time.Minute
	// settleTimeout bounds what ossfuse does in the background once OSS
	// answers again: uploading files whose close failed, handling the
	// stages a killed process left.
	settleTimeout = 90 * time.Second
	// hangBound is how long an operation against a frozen OSS may take to
	// fail with request_timeout=2s: minutes would be a hang.
	hangBound = 60 * time.Second
	// pollEvery is the interval of waits on local conditions; bucketPoll
	// of waits that ask the emulator.
	pollEvery  = 20 * time.Millisecond
	bucketPoll = 250 * time.Millisecond
)
