package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

// Emulator defaults. The key pair is fake: the emulator checks signatures
// against it, so the mount signs its requests as it would for real OSS.
const (
	DefaultBucket   = "ossfuse-it"
	DefaultRegion   = "cn-hangzhou"
	defaultKeyID    = "LTAI5tHarnessKeyID"
	defaultSecret   = "harness-secret-0123456789abcdef"
	listenTimeout   = 30 * time.Second
	emulatorStopFor = 5 * time.Second
	pauseTimeout    = 10 * time.Second
)

// Emulator is a running ossemu subprocess serving one bucket.
type Emulator struct {
	// Endpoint is the base URL, http://127.0.0.1:PORT.
	Endpoint string
	Bucket   string
	Region   string
	// KeyID and Secret are the accepted key pair; both empty when the
	// emulator accepts anonymous requests.
	KeyID, Secret string

	bins   Binaries
	args   []string // ossemu's arguments but --addr
	stderr *syncBuffer
	once   sync.Once

	mu   sync.Mutex
	proc *process // GUARDED_BY(mu); replaced by Restart
}

type emulatorConfig struct {
	bucket    string
	latency   time.Duration
	anonymous bool
	args      []string
}

// EmulatorOption adjusts how StartEmulator runs ossemu.
type EmulatorOption func(*emulatorConfig)

// WithBucket names the bucket (default DefaultBucket).
func WithBucket(name string) EmulatorOption { return func(c *emulatorConfig) { c.bucket = name } }

// WithLatency delays the first byte of every response (--latency).
func WithLatency(d time.Duration) EmulatorOption { return func(c *emulatorConfig) { c.latency = d } }

// WithAnonymous makes the emulator accept unsigned requests instead of
// checking signatures against the harness's key pair.
func WithAnonymous() EmulatorOption { return func(c *emulatorConfig) { c.anonymous = true } }

// WithEmulatorArgs passes more command-line arguments to ossemu
// (--bandwidth 100MiB, --data-dir DIR, ...).
func WithEmulatorArgs(args ...string) EmulatorOption {
	return func(c *emulatorConfig) { c.args = append(c.args, args...) }
}

// StartEmulator builds the binaries if needed, starts ossemu on a free
// loopback port and stops it when the test ends.
func StartEmulator(t testing.TB, opts ...EmulatorOption) *Emulator {
	t.Helper()
	e, err := NewEmulator(Build(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// NewEmulator starts ossemu and returns once it listens. The caller stops
// it with Close; StartEmulator is the usual way for a single test, and a
// package-wide fixture registers Close with AtExit.
func NewEmulator(bins Binaries, opts ...EmulatorOption) (*Emulator, error) {
	c := emulatorConfig{bucket: DefaultBucket}
	for _, o := range opts {
		o(&c)
	}
	e := &Emulator{Bucket: c.bucket, Region: DefaultRegion, bins: bins, stderr: &syncBuffer{}}
	args := []string{"--bucket", c.bucket, "--region", e.Region}
	if !c.anonymous {
		e.KeyID, e.Secret = defaultKeyID, defaultSecret
		args = append(args, "--access-key", e.KeyID+":"+e.Secret)
	}
	if c.latency > 0 {
		args = append(args, "--latency", c.latency.String())
	}
	e.args = append(args, c.args...)
	p, addr, err := e.launch("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.proc, e.Endpoint = p, addr
	return e, nil
}

// launch starts ossemu listening on addr and returns it with the base URL
// it announced, once it listens.
func (e *Emulator) launch(addr string) (*process, string, error) {
	cmd := exec.Command(e.bins.Ossemu, append([]string{"--addr", addr}, e.args...)...)
	banner := &bannerWriter{prefix: "ossemu listening on ", found: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = banner, e.stderr
	p, err := startProcess("ossemu", cmd)
	if err != nil {
		return nil, "", err
	}
	select {
	case url := <-banner.found:
		return p, url, nil
	case <-p.done:
		return nil, "", fmt.Errorf("harness: ossemu exited before listening: %v\n%s", p.err, e.stderr.String())
	case <-time.After(listenTimeout):
		_ = p.stop(emulatorStopFor)
		return nil, "", fmt.Errorf("harness: ossemu did not listen within %v\n%s", listenTimeout, e.stderr.String())
	}
}

// Close stops the emulator (SIGTERM, then SIGKILL after a grace period),
// resuming it first if Freeze stopped it.
func (e *Emulator) Close() error {
	var err error
	e.once.Do(func() {
		p := e.current()
		if p == nil {
			return // killed and not restarted
		}
		p.signal(syscall.SIGCONT)
		err = p.stop(emulatorStopFor)
	})
	return err
}

// current returns the running process, nil after Kill.
func (e *Emulator) current() *process {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.proc
}

// Pause stops the emulator with SIGSTOP, as a server that hangs: its port
// stays open, the kernel still completes the handshake of new connections
// and takes what they send, and nothing is answered. Resume undoes it;
// Pause registers Resume at the test's cleanup, which runs before the
// cleanups of mounts made earlier, so that they can finish.
func (e *Emulator) Pause(t testing.TB) {
	t.Helper()
	t.Cleanup(e.Resume)
	if err := e.Freeze(); err != nil {
		t.Fatal(err)
	}
	// The signal is delivered when the kernel next schedules the process;
	// /proc says when it is stopped.
	pid := e.current().Pid()
	stat := fmt.Sprintf("/proc/%d/stat", pid)
	for deadline := time.Now().Add(pauseTimeout); ; time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(stat)
		if i := bytes.LastIndexByte(b, ')'); err == nil && i >= 0 && strings.HasPrefix(string(b[i+1:]), " T") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("harness: ossemu (pid %d) not stopped %v after SIGSTOP: %s %v", pid, pauseTimeout, b, err)
		}
	}
}

// Resume continues a paused emulator (SIGCONT); on a running one it does
// nothing.
func (e *Emulator) Resume() { _ = e.Thaw() }

// Log returns what the emulator wrote to stderr.
func (e *Emulator) Log() string { return e.stderr.String() }

// Env returns the environment entries that give ossfuse the emulator's
// credentials (none when it is anonymous).
func (e *Emulator) Env() []string {
	if e.KeyID == "" {
		return nil
	}
	return []string{"OSS_ACCESS_KEY_ID=" + e.KeyID, "OSS_ACCESS_KEY_SECRET=" + e.Secret}
}

// NewClient returns an ossio client of the emulator's bucket, for seeding
// and for changing objects behind a mount's back.
func (e *Emulator) NewClient() (ossio.Client, error) {
	cfg := ossio.Config{Endpoint: e.Endpoint, Region: e.Region, Bucket: e.Bucket}
	if e.KeyID != "" {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(e.KeyID, e.Secret)
	}
	return ossio.New(cfg)
}

// Client is NewClient failing the test on error.
func (e *Emulator) Client(t testing.TB) ossio.Client {
	t.Helper()
	c, err := e.NewClient()
	if err != nil {
		t.Fatalf("ossio.New: %v", err)
	}
	return c
}

// Stats are the emulator's request counters (GET /_ossemu/stats).
type Stats = ossemu.Stats

// Stats returns the emulator's counters. The emulator counts a request
// before its client has the answer, so they are exact once the command
// that caused them has returned.
func (e *Emulator) Stats(t testing.TB) Stats {
	t.Helper()
	var s Stats
	b := e.admin(t, http.MethodGet, "stats", nil)
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("ossemu stats: %v: %s", err, b)
	}
	return s
}

// ResetStats zeroes the counters.
func (e *Emulator) ResetStats(t testing.TB) {
	t.Helper()
	e.admin(t, http.MethodPost, "reset", nil)
}

// SetFaults replaces the injected faults with the JSON of ossemu.Faults,
// e.g. `{"latency":"30ms"}`; `{}` turns them off.
func (e *Emulator) SetFaults(t testing.TB, faultsJSON string) {
	t.Helper()
	e.admin(t, http.MethodPost, "faults", []byte(faultsJSON))
}

func (e *Emulator) admin(t testing.TB, method, path string, body []byte) []byte {
	t.Helper()
	req, err := http.NewRequest(method, e.Endpoint+"/_ossemu/"+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("ossemu %s /_ossemu/%s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("ossemu %s /_ossemu/%s: %s %v: %s", method, path, resp.Status, err, b)
	}
	return b
}

// bannerWriter takes a process's stdout and sends the rest of the first line
// starting with prefix to found.
type bannerWriter struct {
	prefix string
	found  chan string
	mu     sync.Mutex
	line   []byte
	done   bool
}

func (w *bannerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range p {
		if w.done {
			break
		}
		if c != '\n' {
			w.line = append(w.line, c)
			continue
		}
		if rest, ok := strings.CutPrefix(string(w.line), w.prefix); ok {
			w.found <- strings.TrimSpace(rest)
			w.done = true
		}
		w.line = w.line[:0]
	}
	return len(p), nil
}

// syncBuffer is a bytes.Buffer safe for a process's writer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
