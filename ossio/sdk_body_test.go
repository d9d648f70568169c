package ossio

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// TestRetriedBodyIsNotReadByAnAbandonedAttempt answers the first attempt
// of each upload with a 503 before reading its body, so the HTTP
// transport is still sending that body when the retry rewinds it. Under
// -race the SDK's own retries were reported as a data race (the transport
// reading the body and its CRC hash while the retry resets them); each
// attempt must have a body of its own, and the retry must send every byte.
func TestRetriedBodyIsNotReadByAnAbandonedAttempt(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB: more than the socket buffers
	var hits counter
	var got []byte
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.inc()%2 == 1 {
			w.Header().Set("Connection", "close")
			writeOSSError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "busy", nil)
			return
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the retried body: %v", err)
		}
		got = b
		w.Header().Set("ETag", `"e"`)
		w.WriteHeader(http.StatusOK)
	}, withAttempts(3))
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		before := hits.get()
		if _, err := c.PutObject(ctx, PutRequest{Key: "k", Body: bytes.NewReader(body), Size: int64(len(body))}); err != nil {
			t.Fatalf("PutObject after a 503: %v", err)
		}
		if !bytes.Equal(got, body) || hits.get()-before != 2 {
			t.Fatalf("PutObject: %d requests, %d bytes received; want 2 requests and the %d bytes", hits.get()-before, len(got), len(body))
		}
		if _, err := c.UploadPart(ctx, UploadPartRequest{Key: "k", UploadID: "u", Number: 1, Body: bytes.NewReader(body), Size: int64(len(body))}); err != nil {
			t.Fatalf("UploadPart after a 503: %v", err)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("UploadPart: %d bytes received, want %d", len(got), len(body))
		}
	}
}
