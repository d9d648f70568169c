package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Without -f, ossfuse runs as two processes. The parent, the one mount(8)
// or a shell waits for, parses the command line, starts a copy of itself
// in a new session (the daemon), hands it the argument list through a
// pipe, and waits on a second pipe for one line: "ready" once the mount
// answers, or "error: REASON". It exits 0 on "ready", and otherwise prints
// the reason and exits 1, once the daemon is gone: a failed mount leaves no
// process and no mount behind.

// readyLine is the line the daemon writes once the mount answers; a
// failure is written as errorPrefix + reason.
const (
	readyLine   = "ready"
	errorPrefix = "error: "
)

// daemonGrace is how long the parent waits beyond mount_timeout (the
// daemon's own bound) before it gives up on the daemon, and how long it
// waits for a failed daemon to exit.
const daemonGrace = 5 * time.Second

// daemonize starts the daemon for args (whose parsed form is cfg) and waits
// until it is ready or has failed. The error is the one-line reason.
func daemonize(args []string, cfg config) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding ossfuse's own executable: %w", err)
	}
	output, err := daemonOutput(cfg)
	if err != nil {
		return err
	}
	defer output.Close()
	argsR, argsW, err := os.Pipe()
	if err != nil {
		return err
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		argsR.Close()
		argsW.Close()
		return err
	}
	defer readyR.Close()
	wasMounted, _ := isMountPoint(cfg.mountpoint)

	// ^C in the shell reaches this process only: it must not leave a
	// daemon behind that mounts later. Caught from before the daemon
	// starts, so that no signal can kill this process in between.
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(interrupts)

	// ExtraFiles become descriptors 3 and 4 of the daemon.
	argv := append([]string{argsFDFlag + "3", readyFDFlag + "4", "--"}, cleanArgs(args, options())...)
	cmd := exec.Command(self, argv...)
	cmd.Stdout, cmd.Stderr = output, output
	cmd.ExtraFiles = []*os.File{argsR, readyW}
	// A new session: no controlling terminal, and no signal of the
	// parent's process group (^C in the shell that mounted) reaches it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	argsR.Close()
	readyW.Close() // from now on EOF means the daemon is gone
	if err != nil {
		argsW.Close()
		return fmt.Errorf("starting the daemon: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := writeArgs(argsW, args); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("passing the arguments to the daemon: %w", err)
	}

	limit := cfg.mountTimeout + daemonGrace
	answer, err := readAnswer(readyR, limit, interrupts)
	if err == nil {
		return nil // the daemon lives on; we exit without waiting for it
	}
	// Make sure the daemon is gone, and with it any mount it made. It has
	// not said the mount is ready, so no one uses it yet: an interrupted
	// or late daemon is killed.
	if errors.Is(err, errInterrupted) {
		_ = cmd.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(daemonGrace):
		_ = cmd.Process.Kill()
		<-exited
	}
	if mounted, _ := isMountPoint(cfg.mountpoint); mounted && !wasMounted {
		_ = detachMount(cfg.mountpoint)
	}
	if answer == "" {
		return err
	}
	return errors.New(answer)
}

// errInterrupted is the parent's answer to SIGINT or SIGTERM.
var errInterrupted = errors.New("interrupted before the mount was ready")

// readAnswer waits up to limit for the daemon's one line, or a signal. It
// returns nil for readyLine, and otherwise the daemon's reason (when it
// gave one) and an error saying what happened.
func readAnswer(r io.Reader, limit time.Duration, interrupts <-chan os.Signal) (reason string, err error) {
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	select {
	case line := <-lines:
		switch {
		case line == readyLine:
			return "", nil
		case strings.HasPrefix(line, errorPrefix):
			reason := strings.TrimPrefix(line, errorPrefix)
			return reason, errors.New(reason)
		}
		return "", errors.New("the daemon exited before the mount was ready (run with -f, or with log_file=, to see why)")
	case sig := <-interrupts:
		return "", fmt.Errorf("%w (%v)", errInterrupted, sig)
	case <-time.After(limit):
		return "", fmt.Errorf("the mount was not ready within %v (mount_timeout); gave up", limit)
	}
}

// daemonOutput is what the daemon's stdout and stderr go to: the log file
// when there is one (so that a crash's trace is kept), else /dev/null.
// Opening it here also reports an unwritable log file at once.
func daemonOutput(cfg config) (*os.File, error) {
	if cfg.logFile == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	f, err := openLogFile(cfg.logFile)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// readyReporter is the daemon's end of the readiness pipe; in the
// foreground it is nil and reports nothing.
type readyReporter struct {
	f *os.File
}

func newReadyReporter(fd int) *readyReporter {
	if fd < 0 {
		return nil
	}
	return &readyReporter{f: os.NewFile(uintptr(fd), "ossfuse-ready")}
}

// report sends readyLine (err nil) or the error on one line, once.
func (r *readyReporter) report(err error) {
	if r == nil || r.f == nil {
		return
	}
	line := readyLine
	if err != nil {
		line = errorPrefix + oneLine(err.Error())
	}
	_, _ = fmt.Fprintln(r.f, line)
	r.f.Close()
	r.f = nil
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// isMountPoint reports whether dir is a mount point, from mountinfo.
func isMountPoint(dir string) (bool, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 4 && unescapeMountinfo(fields[4]) == dir {
			return true, nil
		}
	}
	return false, nil
}

// unescapeMountinfo undoes the kernel's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// detachMount lazily unmounts dir: it leaves the namespace at once, and
// the kernel ends it when the last open file in it is closed. Root calls
// umount2(MNT_DETACH); other users ask fusermount3 -u -z.
func detachMount(dir string) error {
	if os.Geteuid() == 0 {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("lazy unmount of %s: %w", dir, err)
		}
		return nil
	}
	out, err := exec.Command("fusermount3", "-u", "-z", dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("fusermount3 -u -z %s: %v: %s", dir, err, oneLine(string(out)))
	}
	return nil
}
