package faults

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// tool is a command running in the background, for tests that act while
// it runs (kill the emulator mid-copy) rather than after it.
type tool struct {
	line   string
	cmd    *exec.Cmd
	ctx    context.Context
	stderr *lockedBuffer
	start  time.Time
	done   chan struct{}
	exit   int   // valid once done is closed
	err    error // valid once done is closed: why it could not run or was killed
}

// startTool starts name with args in dir, in its own process group,
// stdin from stdin (nil: /dev/null), with the locale and time zone pinned
// so messages parse. It is killed, its whole group, after timeout or when
// the test ends.
func startTool(t *testing.T, timeout time.Duration, stdin *os.File, dir, name string, args ...string) *tool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(harness.EnvWithoutOSS(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if stdin != nil {
		cmd.Stdin = stdin
	}
	tl := &tool{line: name + " " + strings.Join(args, " "), cmd: cmd, ctx: ctx, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.Discard, tl.stderr
	tl.start = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: %v", tl.line, err)
	}
	go func() {
		err := cmd.Wait()
		var exitErr *exec.ExitError
		switch {
		case ctx.Err() != nil:
			tl.exit, tl.err = -1, ctx.Err()
		case errors.As(err, &exitErr):
			tl.exit = exitErr.ExitCode()
		case err != nil:
			tl.exit, tl.err = -1, err
		}
		close(tl.done)
	}()
	t.Cleanup(func() {
		cancel() // kills the group if still running
		<-tl.done
	})
	return tl
}

// running reports whether the tool has not exited yet.
func (tl *tool) running() bool {
	select {
	case <-tl.done:
		return false
	default:
		return true
	}
}

// kill kills the tool's process group and waits for it to exit.
func (tl *tool) kill() {
	if tl.running() {
		_ = syscall.Kill(-tl.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-tl.done
}

// wait waits for the tool to exit (its timeout bounds it) and returns its
// exit status; a tool killed by its timeout fails the test: it hung.
func (tl *tool) wait(t *testing.T) int {
	t.Helper()
	<-tl.done
	if tl.err != nil {
		t.Fatalf("%s: %v after %v (hung?)\nstderr: %s", tl.line, tl.err, time.Since(tl.start).Round(time.Millisecond), tl.stderr.String())
	}
	return tl.exit
}

// elapsed is how long the tool ran (so far).
func (tl *tool) elapsed() time.Duration { return time.Since(tl.start) }

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// toolError is one error a coreutils tool reported on stderr, as in
// "cp: failed to close 'x': Input/output error".
type toolError struct {
	op    string // "failed to close", "error writing", "cannot open directory", ...
	path  string
	errno string // "EIO", or "" when the message names no errno
	line  string
}

var toolErrorLine = regexp.MustCompile(`^[\w.-]+: (.*?) ?'([^']*)'(?:: (.+))?$`)

// toolErrors parses a tool's stderr and logs every line with the errno it
// names, so the test log records what users saw.
func toolErrors(t *testing.T, what, stderr string) []toolError {
	t.Helper()
	var out []toolError
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if line == "" {
			continue
		}
		e := toolError{line: line}
		if m := toolErrorLine.FindStringSubmatch(line); m != nil {
			e.op, e.path, e.errno = m[1], m[2], errnoOfMessage(m[3])
		} else if i := strings.LastIndex(line, ": "); i >= 0 {
			e.errno = errnoOfMessage(line[i+2:])
		}
		t.Logf("%s saw %s: %s", what, orUnknown(e.errno), line)
		out = append(out, e)
	}
	return out
}

func orUnknown(errno string) string {
	if errno == "" {
		return "no errno"
	}
	return errno
}

// errnoOfMessage returns the name of the errno whose strerror text msg is
// ("Input/output error" -> "EIO"), or "".
func errnoOfMessage(msg string) string {
	msg = strings.TrimSpace(msg)
	for e := syscall.Errno(1); e < 134; e++ {
		if name := unix.ErrnoName(e); name != "" && strings.EqualFold(e.Error(), msg) {
			return name
		}
	}
	return ""
}

// errnoOf names the errno in err ("EIO"), or returns err's text; "0" for nil.
func errnoOf(err error) string {
	var e syscall.Errno
	switch {
	case err == nil:
		return "0"
	case errors.As(err, &e):
		if name := unix.ErrnoName(e); name != "" {
			return name
		}
		return "errno " + strconv.Itoa(int(e))
	}
	return err.Error()
}

// isErrno reports whether err carries one of errnos.
func isErrno(err error, errnos ...syscall.Errno) bool {
	for _, e := range errnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// bounded is harness.Bounded.
func bounded(t *testing.T, timeout time.Duration, what string, fn func() error) error {
	t.Helper()
	return harness.Bounded(t, timeout, what, fn)
}

// waitFor polls cond every interval until it holds or timeout passes, and
// reports whether it held. The number of polls is bounded too.
func waitFor(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for range int(timeout/interval) + 2 {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
	return cond()
}
