package harness

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is a child the harness started: the emulator or ossfuse.
// INVARIANT: err is set before done is closed.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // the result of cmd.Wait
}

var procs struct {
	mu  sync.Mutex
	set map[*process]struct{} // GUARDED_BY(mu); the running ones
}

// startProcess starts cmd so that it dies with the test binary
// (Pdeathsig = SIGKILL), reaps it in the background, and tracks it until
// it exits, so that Main can kill it if a test does not.
func startProcess(name string, cmd *exec.Cmd) (*process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	procs.mu.Lock()
	if procs.set == nil {
		procs.set = map[*process]struct{}{}
	}
	procs.set[p] = struct{}{}
	procs.mu.Unlock()
	go func() {
		p.err = cmd.Wait()
		procs.mu.Lock()
		delete(procs.set, p)
		procs.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process ID.
func (p *process) Pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has exited (and been reaped).
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to timeout for the process to exit on its own and returns
// whether it did, and its wait error (nil for exit status 0).
func (p *process) wait(timeout time.Duration) (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(timeout):
		return false, nil
	}
}

// signal sends sig unless the process has already exited.
func (p *process) signal(sig os.Signal) {
	if !p.exited() {
		_ = p.cmd.Process.Signal(sig)
	}
}

// stop asks the process to stop with SIGTERM, then kills it if it has not
// exited within grace. It returns the wait error.
func (p *process) stop(grace time.Duration) error {
	p.signal(syscall.SIGTERM)
	if ok, err := p.wait(grace); ok {
		return err
	}
	p.signal(syscall.SIGKILL)
	<-p.done
	return p.err
}

// killAll kills every tracked process still running and waits for them.
func killAll() {
	procs.mu.Lock()
	var left []*process
	for p := range procs.set {
		left = append(left, p)
	}
	procs.mu.Unlock()
	for _, p := range left {
		fmt.Fprintf(os.Stderr, "harness: killing leftover %s (pid %d)\n", p.name, p.Pid())
		p.signal(syscall.SIGKILL)
	}
	for _, p := range left {
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			fmt.Fprintf(os.Stderr, "harness: %s (pid %d) survived SIGKILL for 10s\n", p.name, p.Pid())
		}
	}
}
