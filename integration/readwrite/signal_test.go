package readwrite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// signalScript creates signalFiles files with bash redirections while a
// handled SIGUSR1 keeps arriving, and reports every redirection that fails.
const (
	signalFiles  = 200
	signalScript = `trap ':' USR1
i=0
while [ $i -lt 200 ]; do
	i=$((i+1))
	printf 'file %d\n' $i > f$i || echo "FAILED f$i" >&2
done
`
)

// TestWritesSurviveSignals creates files from a process that keeps
// receiving a handled signal. The kernel turns any handled signal that
// arrives during a FUSE request into FUSE_INTERRUPT (SIGWINCH to an editor,
// SIGCHLD to a shell, the Go runtime's SIGURG to every Go program); a
// create or a flush must neither fail with EINTR nor lose the data
// for it: close is never retried, and "after close() returns 0 the data is
// in OSS" holds only if an interrupted upload goes on.
func TestWritesSurviveSignals(t *testing.T) {
	harness.RequireTool(t, "bash")
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), harness.CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", signalScript)
	cmd.Dir = e.m.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if !catches(cmd.Process.Pid, syscall.SIGUSR1, 10*time.Second) {
		t.Fatalf("bash did not install its SIGUSR1 trap within 10s")
	}
	signals := 0
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var err error
wait: // bounded: ctx kills bash after harness.CommandTimeout
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			if syscall.Kill(cmd.Process.Pid, syscall.SIGUSR1) == nil {
				signals++
			}
		}
	}
	t.Logf("%d SIGUSR1 sent while bash created %d files", signals, signalFiles)
	if err != nil || stderr.Len() > 0 {
		t.Errorf("bash creating files under SIGUSR1: %v; stderr:\n%s", err, clip(stderr.String()))
	}
	var missing []string
	for i := 1; i <= signalFiles; i++ {
		name := fmt.Sprintf("f%d", i)
		if !e.exists(name) {
			missing = append(missing, name)
			continue
		}
		if got, want := string(e.body(name)), fmt.Sprintf("file %d\n", i); got != want {
			t.Errorf("%s in the bucket = %q, want %q", name, got, want)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d files are not in the bucket after their close returned: %s", len(missing), signalFiles, strings.Join(missing, " "))
	}
}

// catches waits until process pid has a handler for sig (SigCgt of
// /proc/PID/status), polling for at most timeout.
func catches(pid int, sig syscall.Signal, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			return false
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				if err == nil && mask&(1<<(uint(sig)-1)) != 0 {
					return true
				}
			}
		}
	}
	return false
}
