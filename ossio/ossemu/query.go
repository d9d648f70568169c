package ossemu

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// query is a parsed query string. It decodes as the SDK's signers do ('+'
// is a space; a literal plus arrives as %2B), so the parameters the
// handlers see are the ones whose signature was verified.
type query map[string][]string

func parseQuery(raw string) (query, error) {
	q := query{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", name, err)
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", name, err)
		}
		q[n] = append(q[n], v)
	}
	return q, nil
}

func (q query) has(name string) bool { _, ok := q[name]; return ok }

func (q query) get(name string) string {
	if v := q[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func unescapePath(p string) (string, error) { return url.PathUnescape(p) }

// countingWriter records its request in the stats as the response
// happens: the request (with its error code) when the header goes out, the
// body bytes before they are written. It also stamps x-oss-server-time, the
// milliseconds OSS spent before answering.
type countingWriter struct {
	http.ResponseWriter
	start       time.Time
	stats       *statsRecorder
	c           *call
	wroteHeader bool
	counted     bool
}

// count records the request once.
func (w *countingWriter) count() {
	if !w.counted {
		w.counted = true
		w.stats.request(w.c.op, w.c.errCode)
	}
}

func (w *countingWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		w.Header().Set("x-oss-server-time", strconv.FormatInt(time.Since(w.start).Milliseconds(), 10))
		w.count()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.stats.bytes(w.c.op, 0, int64(len(p)))
	n, err := w.ResponseWriter.Write(p)
	if n < len(p) {
		w.stats.bytes(w.c.op, 0, int64(n-len(p)))
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (hijack, flush).
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingReader counts the body bytes of a request as they are read.
type countingReader struct {
	io.ReadCloser
	stats *statsRecorder
	c     *call
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if n > 0 {
		r.stats.bytes(r.c.op, int64(n), 0)
	}
	return n, err
}
