// Package cli tests the product around the mount, with the built binary
// as users and mount(8) run it: the daemon (ready or a one-line reason,
// nothing left behind on failure, no secret in its argv), the signals
// (SIGTERM flushes and unmounts, SIGHUP reopens the log), the log's
// request IDs, `make install` and the mount.fuse.ossfuse helper through
// `mount -t fuse.ossfuse` and an fstab file, and where
// scripts/install-deps.sh fetches Go from.
//
// The test binary makes itself a child subreaper, so that a daemon whose
// parent has exited becomes its child: a test can then wait for the
// daemon and check its exit status, and no daemon outlives the test as a
// zombie. Tests run one at a time.
package cli

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ossfuse/ossfuse/integration/harness"
)

func TestMain(m *testing.M) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "cli: PR_SET_CHILD_SUBREAPER:", err)
		os.Exit(1)
	}
	harness.Main(m)
}
