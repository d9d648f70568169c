package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseKeysNeverEchoesSecrets(t *testing.T) {
	creds, err := parseKeys([]string{"id1:secret1", "id2:secret2:token2"})
	if err != nil || len(creds) != 2 || creds[1].SecurityToken != "token2" || creds[0].AccessKeySecret != "secret1" {
		t.Fatalf("parseKeys = %+v, %v", creds, err)
	}
	_, err = parseKeys([]string{"only-a-secret-no-colon-s3cr3t"})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("bad key error %v: want an error that does not repeat the value", err)
	}
}

// TestRunServesUntilCancelled starts the command as scripts do: it prints
// the listening line only once it accepts connections, serves the object
// API and the stats endpoint, and returns when told to stop.
func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--bucket", "cmdtest", "--latency", "1ms"}, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v", err)
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "ossemu listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("listening line %q", line)
	}
	go io.Copy(io.Discard, out) //nolint:errcheck // drain further output

	req, _ := http.NewRequest(http.MethodPut, base+"/cmdtest/k", strings.NewReader("v"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT: %v %v", resp, err)
	}
	resp, err := http.Get(base + "/_ossemu/stats")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"PutObject":1`) {
		t.Errorf("stats %s: want one PutObject", body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop within 10 s of cancel")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--bucket", "Bad_Name"},
		{"--fail-rate", "2"},
		{"--fail-codes", "200"},
		{"--bandwidth", "fast"},
		{"--access-key", "nocolon"},
		{"stray"},
	} {
		if err := run(context.Background(), append([]string{"--addr", "127.0.0.1:0"}, args...), io.Discard, io.Discard); err == nil {
			t.Errorf("run %v: accepted", args)
		}
	}
}
