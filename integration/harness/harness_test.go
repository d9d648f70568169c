package harness

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

func TestMain(m *testing.M) { Main(m) }

// TestEmulatorAdmin checks the emulator's subprocess and admin endpoints:
// counters, reset, and an injected latency.
func TestEmulatorAdmin(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds and runs ossemu; not run with -short")
	}
	e := StartEmulator(t, WithBucket("harness"))
	c := e.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	body := []byte("hello")
	if _, err := c.PutObject(ctx, ossio.PutRequest{Key: "k", Body: bytes.NewReader(body), Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	get := func() time.Duration {
		start := time.Now()
		res, err := c.GetObject(ctx, ossio.GetRequest{Key: "k", Length: -1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || string(b) != "hello" {
			t.Fatalf("GetObject: %q, %v", b, err)
		}
		return time.Since(start)
	}
	get()
	s := e.Stats(t)
	if s.Requests["PutObject"] != 1 || s.Requests["GetObject"] != 1 || s.BytesOutByOp["GetObject"] != 5 {
		t.Errorf("stats after one put and one get: %v, GetObject bytes %d", s, s.BytesOutByOp["GetObject"])
	}
	e.ResetStats(t)
	if s := e.Stats(t); s.Total() != 0 {
		t.Errorf("stats after reset: %v", s)
	}
	e.SetFaults(t, `{"latency":"200ms"}`)
	if d := get(); d < 200*time.Millisecond {
		t.Errorf("GET with 200ms injected latency took %v", d)
	}
	e.SetFaults(t, `{}`)
}

func TestUnescapeMountinfo(t *testing.T) {
	for in, want := range map[string]string{
		`/tmp/plain`:         "/tmp/plain",
		`/tmp/a\040b`:        "/tmp/a b",
		`/tmp/tab\011nl\012`: "/tmp/tab\tnl\n",
		`/tmp/back\134slash`: `/tmp/back\slash`,
		`/tmp/not\04`:        `/tmp/not\04`,
	} {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuoteCommand(t *testing.T) {
	if got := quoteCommand("sh", []string{"-c", "cat 'a b' | wc"}); got != `sh -c 'cat '\''a b'\'' | wc'` {
		t.Errorf("quoteCommand = %s", got)
	}
}

// TestEmulatorKillRestartFreeze checks the crash helpers: an emulator on a
// data directory killed with SIGKILL refuses connections, restarts at the
// same address with its objects, and a frozen one answers only once thawed.
func TestEmulatorKillRestartFreeze(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds and runs ossemu; not run with -short")
	}
	e := StartEmulator(t, WithBucket("harness"), WithEmulatorArgs("--data-dir", t.TempDir()))
	c := e.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.PutObject(ctx, ossio.PutRequest{Key: "k", Body: bytes.NewReader([]byte("kept")), Size: 4}); err != nil {
		t.Fatal(err)
	}
	endpoint := e.Endpoint
	if err := e.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadObject(ctx, "k"); err == nil {
		t.Fatal("HeadObject answered while the emulator was killed")
	}
	if err := e.Restart(); err != nil {
		t.Fatal(err)
	}
	if e.Endpoint != endpoint {
		t.Errorf("restarted at %s, want %s", e.Endpoint, endpoint)
	}
	if info, err := c.HeadObject(ctx, "k"); err != nil || info.Size != 4 {
		t.Fatalf("after restart: HeadObject = %+v, %v; want the 4-byte object", info, err)
	}

	if err := e.Freeze(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Thaw() })
	frozen, cancelFrozen := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelFrozen()
	if _, err := c.HeadObject(frozen, "k"); err == nil {
		t.Fatal("HeadObject answered while the emulator was frozen")
	}
	if err := e.Thaw(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadObject(ctx, "k"); err != nil {
		t.Fatalf("after thaw: %v", err)
	}
}
