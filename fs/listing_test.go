package fs

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// newTestFS is a filesystem over the emulator of e.
func newTestFS(t *testing.T, e *readerEnv, attrFromList bool) *FS {
	t.Helper()
	f, err := New(Options{Client: e.client, AttrFromList: attrFromList, Defaults: meta.Defaults{Uid: 7, Gid: 8}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func putKeys(t *testing.T, e *readerEnv, keys ...string) {
	t.Helper()
	for _, k := range keys {
		req := ossio.PutRequest{Key: k, Body: strings.NewReader(""), Size: 0}
		if strings.HasSuffix(k, "/") {
			req.ContentType = meta.MarkerContentType
			req.Meta = map[string]string{"mode": "16832", "uid": "42"} // 040700
		}
		if _, err := e.client.PutObject(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
}

// TestListingPagesAndRules lists a marked directory whose listing holds
// exactly 1000 keys and prefixes besides its marker: one LIST (the marker
// is started after, not counted as a key),
// a file beside a prefix of the same name shows as the directory, keys
// that cannot be names are left out, and the attributes are exact with one
// HEAD per child — or come from the listing alone with attr_from_list.
func TestListingPagesAndRules(t *testing.T) {
	for _, attrFromList := range []bool{false, true} {
		t.Run(fmt.Sprintf("attr_from_list=%v", attrFromList), func(t *testing.T) {
			e := newReaderEnv(t, oneMiB, oneMiB)
			// Listed besides the marker: x, x/, sub/, d//, the long name and
			// 995 files = 1000. Shown: x (a directory), sub and the files.
			keys := []string{"d/", "d/x", "d/x/inner", "d/sub/", "d//bad", "d/" + strings.Repeat("n", 256)}
			for i := range 995 {
				keys = append(keys, fmt.Sprintf("d/f%04d", i))
			}
			const shown = 997
			putKeys(t, e, keys...)
			f := newTestFS(t, e, attrFromList)
			e.srv.ResetStats()

			l, err := f.list(context.Background(), "d")
			if err != nil {
				t.Fatal(err)
			}
			st := e.srv.Stats()
			if st.Requests["ListObjectsV2"] != 1 {
				t.Errorf("%d LIST requests for 1000 listed keys, want 1", st.Requests["ListObjectsV2"])
			}
			wantHeads := int64(shown)
			if attrFromList {
				wantHeads = 0
			}
			if st.Requests["HeadObject"] != wantHeads {
				t.Errorf("%d HEAD requests, want %d", st.Requests["HeadObject"], wantHeads)
			}
			if len(l.names) != shown {
				t.Errorf("%d names, want %d (skipped keys left out, x once)", len(l.names), shown)
			}
			if e := l.entries["x"]; e.kind != kindDir {
				t.Errorf("x is a %v; a directory x/ must win over a file x", e.kind)
			}
			sub := l.entries["sub"]
			if !attrFromList && (sub.attr.Perm() != 0o700 || sub.attr.Uid != 42) {
				t.Errorf("sub/ attributes %o uid %d, want the marker's 0700 uid 42", sub.attr.Perm(), sub.attr.Uid)
			}
			if attrFromList && (sub.attr.Perm() != 0o755 || sub.attr.Uid != 7) {
				t.Errorf("sub/ with attr_from_list: %o uid %d, want the defaults 0755 uid 7", sub.attr.Perm(), sub.attr.Uid)
			}
			for _, name := range l.names {
				if name == "" || strings.Contains(name, "/") || len(name) > meta.NameMax {
					t.Errorf("listing shows impossible name %q", name)
				}
			}
		})
	}
}
