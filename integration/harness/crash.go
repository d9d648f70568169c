package harness

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// Crashes and freezes, for fault drills: the emulator killed and restarted
// on its data, or stopped and resumed; ossfuse killed with SIGKILL and
// mounted again over the same cache_dir.

// Pid returns the process ID of the running emulator, or 0 after Kill.
func (e *Emulator) Pid() int {
	if p := e.current(); p != nil {
		return p.Pid()
	}
	return 0
}

// Kill kills the emulator with SIGKILL and waits for it to exit: its
// connections drop and new ones are refused until Restart. An emulator
// started with --data-dir keeps every object it had committed.
func (e *Emulator) Kill() error {
	e.mu.Lock()
	p := e.proc
	e.proc = nil
	e.mu.Unlock()
	if p == nil {
		return errors.New("harness: ossemu is not running")
	}
	p.signal(syscall.SIGCONT) // a frozen process dies of SIGKILL too, but say it
	p.signal(syscall.SIGKILL)
	if ok, _ := p.wait(emulatorStopFor); !ok {
		return fmt.Errorf("harness: ossemu (pid %d) survived SIGKILL for %v", p.Pid(), emulatorStopFor)
	}
	return nil
}

// Restart starts the emulator again with the same arguments at the same
// address, after Kill (a running emulator is killed first), and returns
// once it listens. Only an emulator started with --data-dir (see
// WithEmulatorArgs) still holds its objects; the request counters and the
// faults start from zero, as at a first start.
func (e *Emulator) Restart() error {
	if e.current() != nil {
		if err := e.Kill(); err != nil {
			return err
		}
	}
	addr := strings.TrimPrefix(e.Endpoint, "http://")
	p, url, err := e.launch(addr)
	if err != nil {
		return fmt.Errorf("harness: restart ossemu at %s: %w", addr, err)
	}
	if url != e.Endpoint {
		_ = p.stop(emulatorStopFor)
		return fmt.Errorf("harness: restarted ossemu listens on %s, not %s", url, e.Endpoint)
	}
	e.mu.Lock()
	e.proc = p
	e.mu.Unlock()
	return nil
}

// Freeze stops the emulator with SIGSTOP: connections are accepted by the
// kernel and requests sent, but nothing answers until Thaw. The admin
// endpoints (Stats, SetFaults) do not answer either. A test that freezes
// registers Thaw with t.Cleanup before anything that may fail.
func (e *Emulator) Freeze() error { return e.send(syscall.SIGSTOP) }

// Thaw resumes a frozen emulator (SIGCONT); resuming a running one does nothing.
func (e *Emulator) Thaw() error { return e.send(syscall.SIGCONT) }

func (e *Emulator) send(sig syscall.Signal) error {
	p := e.current()
	if p == nil {
		return errors.New("harness: ossemu is not running")
	}
	if p.exited() {
		return fmt.Errorf("harness: ossemu (pid %d) has exited: %v", p.Pid(), p.err)
	}
	return syscall.Kill(p.Pid(), sig)
}

// Kill kills ossfuse with SIGKILL, as a crash would (no flush, no
// unmount, its stages left in cache_dir), waits for it to exit and
// detaches the dead mount. Remount then mounts again on Dir with the same
// options, so the new process finds the dead one's cache_dir. Descriptors
// still open on the dead mount get ENOTCONN.
func (m *Mounted) Kill(t testing.TB) {
	t.Helper()
	p := m.proc
	if p == nil {
		t.Fatal("harness: ossfuse is not running")
	}
	m.proc = nil
	p.signal(syscall.SIGKILL)
	if ok, _ := p.wait(ExitTimeout); !ok {
		t.Fatalf("harness: ossfuse (pid %d) survived SIGKILL for %v", p.Pid(), ExitTimeout)
	}
	detach(m.Dir)
	if ok, _ := IsMounted(m.Dir); ok {
		t.Fatalf("harness: %s still mounted after ossfuse was killed and the mount detached", m.Dir)
	}
}
