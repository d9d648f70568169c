package ossemu

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
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

// countingWriter counts the body bytes of a response.
type countingWriter struct {
	http.ResponseWriter
	n           int64
	wroteHeader bool
}

func (w *countingWriter) WriteHeader(status int) {
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (hijack, flush).
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingReader counts the body bytes of a request.
type countingReader struct {
	io.ReadCloser
	n atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}
