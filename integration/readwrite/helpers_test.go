package readwrite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// Modes as x-oss-meta-mode stores them: st_mode with the type bits.
const (
	sIFREG = 0o100000
	sIFDIR = 0o040000
	sIFLNK = 0o120000

	markerType = "application/x-directory"
)

// bounded is harness.Bounded with opTimeout.
func bounded(t *testing.T, what string, fn func() error) error {
	t.Helper()
	return harness.Bounded(t, opTimeout, what, fn)
}

// must is bounded failing the test on error.
func must(t *testing.T, what string, fn func() error) {
	t.Helper()
	if err := bounded(t, what, fn); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// head returns the object's HEAD, failing the test when it is missing.
func (e *env) head(key string) ossio.ObjectInfo {
	e.t.Helper()
	info, err := e.c.HeadObject(e.ctx(), e.key(key))
	if err != nil {
		e.t.Fatalf("HeadObject %q: %v", key, err)
	}
	return info
}

// exists reports whether key is an object, failing the test on errors
// other than "not found".
func (e *env) exists(key string) bool {
	e.t.Helper()
	_, err := e.c.HeadObject(e.ctx(), e.key(key))
	switch {
	case err == nil:
		return true
	case errors.Is(err, ossio.ErrNotFound):
		return false
	}
	e.t.Fatalf("HeadObject %q: %v", key, err)
	return false
}

// wantGone fails the test when any of keys is still an object.
func (e *env) wantGone(keys ...string) {
	e.t.Helper()
	for _, k := range keys {
		if e.exists(k) {
			e.t.Errorf("object %q still exists in the bucket", k)
		}
	}
}

// body returns the object's content.
func (e *env) body(key string) []byte {
	e.t.Helper()
	r, err := e.c.GetObject(e.ctx(), ossio.GetRequest{Key: e.key(key), Length: -1})
	if err != nil {
		e.t.Fatalf("GetObject %q: %v", key, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		e.t.Fatalf("GetObject %q: reading the body: %v", key, err)
	}
	return b
}

// put seeds an object behind the mount's back (meta without x-oss-meta-).
func (e *env) put(key string, body []byte, contentType string, meta map[string]string) {
	e.t.Helper()
	_, err := e.c.PutObject(e.ctx(), ossio.PutRequest{Key: e.key(key), Body: bytes.NewReader(body), Size: int64(len(body)), ContentType: contentType, Meta: meta})
	if err != nil {
		e.t.Fatalf("PutObject %q: %v", key, err)
	}
}

// keys lists every key under prefix, sorted.
func (e *env) keys(prefix string) []string {
	e.t.Helper()
	var out []string
	for _, o := range e.list(prefix) {
		out = append(out, o.Key)
	}
	return out
}

// list returns every object under prefix, in key order, with keys
// relative to the mount's root. The loop is bounded: 1000 pages are a
// million keys, far more than any test makes.
func (e *env) list(prefix string) []ossio.ListEntry {
	e.t.Helper()
	var out []ossio.ListEntry
	req := ossio.ListRequest{Prefix: e.key(prefix)}
	for range 1000 {
		page, err := e.c.ListObjects(e.ctx(), req)
		if err != nil {
			e.t.Fatalf("ListObjects %q: %v", prefix, err)
		}
		for _, o := range page.Objects {
			o.Key = strings.TrimPrefix(o.Key, e.prefix)
			out = append(out, o)
		}
		if !page.IsTruncated {
			return out
		}
		req.ContinuationToken = page.NextContinuationToken
	}
	e.t.Fatalf("ListObjects %q: more than 1000 pages", prefix)
	return nil
}

// attrs is what a test expects of an object's x-oss-meta-* headers.
type attrs struct {
	mode     uint32 // full st_mode, type bits included
	uid, gid uint32
	// mtime: when non-zero, the stored mtime must be exactly this second;
	// else it must lie within [after, before] (rounded out to seconds).
	mtime         int64
	after, before time.Time
}

// checkMeta compares an object's metadata with want: mode, uid and gid as
// decimal numbers (as ossfs writes them), mtime as "<sec>" or "<sec>.<ns>".
// A zero want (mode 0) checks nothing.
func checkMeta(t *testing.T, info ossio.ObjectInfo, want attrs) {
	t.Helper()
	if want.mode == 0 {
		return
	}
	for _, f := range []struct {
		name string
		want uint32
	}{{"mode", want.mode}, {"uid", want.uid}, {"gid", want.gid}} {
		got, ok := info.Meta[f.name]
		if wantS := strconv.FormatUint(uint64(f.want), 10); !ok || got != wantS {
			t.Errorf("%s: x-oss-meta-%s = %q (present %v), want %q (%#o)", info.Key, f.name, got, ok, wantS, f.want)
		}
	}
	sec, err := metaSeconds(info.Meta["mtime"])
	switch {
	case err != nil:
		t.Errorf("%s: x-oss-meta-mtime: %v", info.Key, err)
	case want.mtime != 0 && sec != want.mtime:
		t.Errorf("%s: x-oss-meta-mtime = %q, want %d", info.Key, info.Meta["mtime"], want.mtime)
	case want.mtime == 0 && !want.after.IsZero() && (sec < want.after.Unix()-1 || sec > want.before.Unix()+1):
		t.Errorf("%s: x-oss-meta-mtime = %q, want between %d and %d (the time of the write)", info.Key, info.Meta["mtime"], want.after.Unix(), want.before.Unix())
	}
}

// metaSeconds parses x-oss-meta-mtime: "<sec>" or "<sec>.<9-digit ns>".
func metaSeconds(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("missing")
	}
	sec, _, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not <sec>[.<ns>]", s)
	}
	return n, nil
}

// checkObject wants key to hold exactly body, with the given metadata.
func (e *env) checkObject(key string, body []byte, want attrs) ossio.ObjectInfo {
	e.t.Helper()
	info := e.head(key)
	if info.Size != int64(len(body)) {
		e.t.Errorf("%s: size %d in the bucket, want %d", key, info.Size, len(body))
	}
	if got := e.body(key); !bytes.Equal(got, body) {
		e.t.Errorf("%s: content in the bucket differs: %s", key, describeDiff(got, body))
	}
	checkMeta(e.t, info, want)
	return info
}

// checkMarker wants key ("dir/") to be a directory marker with want's metadata.
func (e *env) checkMarker(key string, want attrs) {
	e.t.Helper()
	info := e.head(key)
	if info.Size != 0 || info.ContentType != markerType {
		e.t.Errorf("marker %s: size %d, Content-Type %q; want 0 and %q", key, info.Size, info.ContentType, markerType)
	}
	checkMeta(e.t, info, want)
}

// file returns the metadata expected of a file the test created: mode
// 0644 (umask 022) unless perm says otherwise, owned by the test, written
// between after and now.
func (e *env) file(perm uint32, after time.Time) attrs {
	return attrs{mode: sIFREG | perm, uid: e.uid, gid: e.gid, after: after, before: time.Now()}
}

// describeDiff says how two byte strings differ, briefly.
func describeDiff(got, want []byte) string {
	n := min(len(got), len(want))
	for i := range n {
		if got[i] != want[i] {
			return fmt.Sprintf("got %d bytes, want %d; first difference at offset %d (got %#x, want %#x)", len(got), len(want), i, got[i], want[i])
		}
	}
	return fmt.Sprintf("got %d bytes, want %d; one is a prefix of the other", len(got), len(want))
}

// mutating are the operations that change the bucket.
var mutating = []string{
	"PutObject", "CopyObject", "AppendObject", "DeleteObject", "DeleteMultipleObjects", "PutSymlink",
	"InitiateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload", "AbortMultipartUpload",
}

// measure resets the emulator's counters, runs fn and returns the
// requests it caused (exact once fn's commands have returned).
func (e *env) measure(fn func()) harness.Stats {
	e.t.Helper()
	e.emu.ResetStats(e.t)
	fn()
	return e.emu.Stats(e.t)
}

// wantWrites checks the mutating requests of s: exactly want (operations
// not named must be 0). Reads (HEAD, GET, LIST) are not constrained.
func wantWrites(t *testing.T, what string, s harness.Stats, want map[string]int64) {
	t.Helper()
	var bad []string
	for _, op := range mutating {
		if s.Requests[op] != want[op] {
			bad = append(bad, fmt.Sprintf("%s=%d (want %d)", op, s.Requests[op], want[op]))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s: %s; all requests: %v", what, strings.Join(bad, ", "), s)
	}
}

// sortedLines splits tool output into its lines, sorted, without the last "".
func sortedLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	out := strings.Split(s, "\n")
	sort.Strings(out)
	return out
}

// run runs a shell script in dir and fails the test on a non-zero exit.
func run(t *testing.T, dir, script string) string {
	t.Helper()
	return harness.Sh(t, dir, script)
}

// fails runs a shell script in dir that must fail with a message holding
// wantErr (strerror of the errno users get), and returns its stderr.
func fails(t *testing.T, dir, script, wantErr string) string {
	t.Helper()
	r := harness.Exec(t, dir, "sh", "-c", script)
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, wantErr) {
		t.Errorf("%s: exit %d, stderr %q; want a failure with %q", script, r.ExitCode, strings.TrimSpace(r.Stderr), wantErr)
	}
	return r.Stderr
}
