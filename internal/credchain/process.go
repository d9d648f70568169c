package credchain

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// processTimeout bounds one run of a credential process (the SDK's own
// process provider allows 15 s).
const processTimeout = 15 * time.Second

// maxStderrQuote is how much of the last line of a failed credential
// process's stderr its error quotes.
const maxStderrQuote = 200

// processSource runs a credential process: a shell command that prints a
// credential document (see parseCredentialJSON) on stdout and exits 0.
type processSource struct {
	command string // run by /bin/sh -c; never quoted in an error, it may hold a secret
	timeout time.Duration
}

// fetch runs the command once. Its errors quote the last line of the
// command's stderr, the helper's own diagnostic, but never its stdout.
func (p processSource) fetch(ctx context.Context) (credentials.Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", p.command)
	stdout := &cappedBuffer{limit: maxCredentialJSON}
	stderr := &cappedBuffer{limit: 4 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// On timeout, kill the helper's whole process group: a child of it
	// (sleep, curl) would otherwise keep stdout open. WaitDelay covers
	// a child that left the group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case ctx.Err() != nil && err != nil:
		return credentials.Credentials{}, fmt.Errorf("did not finish within %v", p.timeout)
	case err != nil:
		return credentials.Credentials{}, fmt.Errorf("%v%s", err, stderrQuote(stderr.Bytes()))
	case stdout.overflow:
		return credentials.Credentials{}, fmt.Errorf("printed more than %d bytes", maxCredentialJSON)
	}
	c, err := parseCredentialJSON(stdout.Bytes())
	if err != nil {
		return credentials.Credentials{}, err
	}
	return c, nil
}

// stderrQuote renders the last non-empty line of stderr for an error
// message, or "" when there is none.
func stderrQuote(stderr []byte) string {
	lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return ""
	}
	if len(last) > maxStderrQuote {
		last = last[:maxStderrQuote] + "..."
	}
	return fmt.Sprintf(" (stderr: %q)", last)
}

// cappedBuffer keeps the first limit bytes written to it and notes that
// more came, so that a runaway process cannot fill the memory. It wraps
// rather than embeds its buffer: an embedded bytes.Buffer's ReadFrom would
// let io.Copy bypass the cap.
type cappedBuffer struct {
	buf      bytes.Buffer
	limit    int
	overflow bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); len(p) > room {
		b.overflow = true
		b.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.buf.Write(p)
}

// Bytes returns what was kept.
func (b *cappedBuffer) Bytes() []byte { return b.buf.Bytes() }
