package harness

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// CommandTimeout bounds every command run by Run, Exec and Sh: a command
// hanging in the filesystem fails its test instead of stalling the run.
var CommandTimeout = 2 * time.Minute

// Result is the outcome of a command that ran to completion.
type Result struct {
	Stdout, Stderr string
	// ExitCode is the command's exit status (0 on success).
	ExitCode int
	Elapsed  time.Duration
}

// commandEnv pins the locale and time zone so that tools print the same
// bytes everywhere (dates in UTC, no translated messages).
func commandEnv() []string {
	return append(EnvWithoutOSS(), "LC_ALL=C", "TZ=UTC")
}

// Exec runs name with args in dir and returns its result whatever its exit
// status, for commands expected to fail. A command that cannot start or
// that outlives CommandTimeout fails the test (it is killed; a FUSE request
// in flight is interrupted by SIGKILL).
func Exec(t testing.TB, dir, name string, args ...string) Result {
	t.Helper()
	return ExecTimeout(t, CommandTimeout, dir, name, args...)
}

// ExecTimeout is Exec with its own timeout.
func ExecTimeout(t testing.TB, timeout time.Duration, dir, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = commandEnv()
	cmd.WaitDelay = 5 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s: hung: killed after %v (in %s)\nstderr: %s", quoteCommand(name, args), timeout, dir, clip(r.Stderr))
	case errors.As(err, &exitErr):
		r.ExitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", quoteCommand(name, args), err)
	}
	return r
}

// Run runs name with args in dir (usually a mount point or a directory in
// it) and returns its stdout; a non-zero exit fails the test with stderr.
func Run(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	r := Exec(t, dir, name, args...)
	if r.ExitCode != 0 {
		t.Fatalf("%s in %s: exit status %d\nstderr: %s", quoteCommand(name, args), dir, r.ExitCode, clip(r.Stderr))
	}
	return r.Stdout
}

// Sh runs a shell script with sh -c in dir and returns its stdout; a
// non-zero exit fails the test. Use it for pipelines and redirections.
func Sh(t testing.TB, dir, script string) string {
	t.Helper()
	return Run(t, dir, "sh", "-c", script)
}

// quoteCommand renders a command line for messages.
func quoteCommand(name string, args []string) string {
	parts := []string{name}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$|&;<>()*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// clip shortens long tool output for a failure message.
func clip(s string) string {
	const max = 4 << 10
	if len(s) > max {
		return s[:max] + "\n[... " + strconv.Itoa(len(s)-max) + " more bytes]"
	}
	return s
}
