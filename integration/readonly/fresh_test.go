package readonly

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// freshTTL are the mount options of the freshness tests, and freshWait
// bounds how long a change made behind the mount's back may take to show.
var freshTTL = harness.WithOptions("attr_ttl=1s", "entry_ttl=1s")

const freshWait = 10 * time.Second

// putBehind writes key through ossio, behind the mount's back.
func putBehind(t *testing.T, c ossio.Client, key string, body []byte, mtime int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.PutObject(ctx, ossio.PutRequest{
		Key: key, Body: bytes.NewReader(body), Size: int64(len(body)),
		Meta: map[string]string{"mtime": strconv.FormatInt(mtime, 10)},
	})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
}

// TestFreshOverwriteSeenAfterTTL overwrites an object with a longer body
// behind the mount's back and waits, polling stat, for the new size; then
// cat must return the new bytes.
func TestFreshOverwriteSeenAfterTTL(t *testing.T) {
	f := setup(t)
	c := f.emu.Client(t)
	const key = "fresh/size/file.txt"
	v1, v2 := []byte("version one\n"), []byte("version two, which is longer\n")
	putBehind(t, c, key, v1, 1600000000)
	m := f.mount(t, freshTTL)
	if got := harness.Run(t, m.Dir, "cat", key); got != string(v1) {
		t.Fatalf("cat %s = %q, want %q", key, got, v1)
	}
	putBehind(t, c, key, v2, 1600000100)
	start := time.Now()
	want := strconv.Itoa(len(v2))
	var last string
	if !pollUntil(freshWait, func() bool { last = statLine(t, m.Dir, "%s", key); return last == want }) {
		t.Fatalf("stat %s still shows size %s %v after the overwrite (attr_ttl=1s), want %s", key, last, freshWait, want)
	}
	t.Logf("new size seen after %v", time.Since(start).Round(time.Millisecond))
	if got := harness.Run(t, m.Dir, "cat", key); got != string(v2) {
		t.Errorf("cat %s after the new size showed = %q, want %q", key, got, v2)
	}
}

// TestFreshSameSizeNewETag overwrites an object with different bytes of
// the same size: only the ETag (and the stored mtime) change. Once stat
// shows the new mtime, no read may return the old bytes, though they were
// in the kernel's page cache.
func TestFreshSameSizeNewETag(t *testing.T) {
	f := setup(t)
	c := f.emu.Client(t)
	const key = "fresh/etag/file.bin"
	const size = 200_000
	oldBody, newBody := harness.Pattern{Seed: 100}.Bytes(0, size), harness.Pattern{Seed: 101}.Bytes(0, size)
	putBehind(t, c, key, oldBody, 1600000000)
	m := f.mount(t, freshTTL)
	for range 2 { // the second open may keep the page cache of the first
		if got := harness.Run(t, m.Dir, "cat", key); got != string(oldBody) {
			t.Fatalf("cat %s: not the seeded bytes", key)
		}
	}
	putBehind(t, c, key, newBody, 1700000000)
	var last string
	if !pollUntil(freshWait, func() bool { last = statLine(t, m.Dir, "%Y %s", key); return last == "1700000000 200000" }) {
		t.Fatalf("stat %s still shows %q %v after the overwrite (attr_ttl=1s), want \"1700000000 200000\"", key, last, freshWait)
	}
	for i := range 3 {
		got := harness.Run(t, m.Dir, "cat", key)
		switch {
		case got == string(newBody):
		case got == string(oldBody):
			t.Errorf("cat %s #%d after the ETag changed returned the OLD bytes", key, i+1)
		default:
			t.Errorf("cat %s #%d after the ETag changed returned %d bytes matching neither version (first difference from the new at +%d)",
				key, i+1, len(got), firstDiff([]byte(got), newBody))
		}
	}
	if got := harness.Run(t, m.Dir, "dd", "if="+key, "bs=4096", "skip=10", "count=2", "status=none"); got != string(newBody[40960:49152]) {
		t.Errorf("dd skip=10 of %s after the ETag changed: stale or wrong bytes (old: %v)", key, strings.HasPrefix(string(oldBody[40960:]), got))
	}
}
