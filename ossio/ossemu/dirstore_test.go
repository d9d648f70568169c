package ossemu

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// request sends one unsigned request to h and returns the response with its body read.
func request(t *testing.T, h http.Handler, method, target, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1"+target, strings.NewReader(body))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	resp := w.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestDirStoreSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := New(Options{Buckets: []string{"bkt"}, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mustOK := func(method, target, body string, header map[string]string) {
		t.Helper()
		if resp, out := request(t, srv, method, target, body, header); resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: status %d: %s", method, target, resp.StatusCode, out)
		}
	}
	mustOK("PUT", "/bkt/dir/normal.txt", "normal body", map[string]string{"x-oss-meta-mode": "33188", "Content-Type": "text/plain"})
	mustOK("POST", "/bkt/log?append&position=0", "one,", nil)
	mustOK("POST", "/bkt/log?append&position=4", "two", nil)
	mustOK("PUT", "/bkt/link?symlink", "", map[string]string{"x-oss-symlink-target": "dir/normal.txt"})
	mustOK("PUT", "/bkt/copy", "", map[string]string{"x-oss-copy-source": "/bkt/dir/normal.txt"})
	mustOK("PUT", "/bkt/gone", "to be deleted", nil)
	mustOK("DELETE", "/bkt/gone", "", nil)
	// Overwrite: the first version's data file must go away.
	mustOK("PUT", "/bkt/over", "version 1", nil)
	mustOK("PUT", "/bkt/over", "version 2", nil)

	// A crash between writing a data file and renaming its record leaves
	// an orphan data file; the next start removes it.
	orphan := filepath.Join(dir, dataDirName, "orphan.data")
	if err := os.WriteFile(orphan, []byte("half-written"), 0o600); err != nil {
		t.Fatal(err)
	}

	srv2, err := New(Options{Buckets: []string{"bkt"}, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"dir/normal.txt": "normal body", "log": "one,two", "link": "normal body", "copy": "normal body", "over": "version 2"} {
		resp, body := request(t, srv2, "GET", "/bkt/"+key, "", nil)
		if resp.StatusCode != 200 || body != want {
			t.Errorf("after restart GET %s = %d %q, want %q", key, resp.StatusCode, body, want)
		}
	}
	resp, _ := request(t, srv2, "HEAD", "/bkt/dir/normal.txt", "", nil)
	if resp.Header.Get("x-oss-meta-mode") != "33188" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("metadata lost across restart: %v", resp.Header)
	}
	resp, _ = request(t, srv2, "HEAD", "/bkt/log", "", nil)
	if resp.Header.Get("x-oss-object-type") != "Appendable" || resp.Header.Get("x-oss-next-append-position") != "7" {
		t.Errorf("appendable state lost across restart: %v", resp.Header)
	}
	if resp, _ := request(t, srv2, "POST", "/bkt/log?append&position=7", "+three", nil); resp.StatusCode != 200 {
		t.Errorf("append after restart: %d", resp.StatusCode)
	}
	if _, body := request(t, srv2, "GET", "/bkt/log", "", nil); body != "one,two+three" {
		t.Errorf("log after append = %q", body)
	}
	if resp, _ := request(t, srv2, "GET", "/bkt/gone", "", nil); resp.StatusCode != 404 {
		t.Errorf("deleted object came back: %d", resp.StatusCode)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("orphan data file not collected: %v", err)
	}
	// Live data files: normal.txt (shared by copy), log, over v2 = 3.
	files, _ := os.ReadDir(filepath.Join(dir, dataDirName))
	if len(files) != 3 {
		var names []string
		for _, f := range files {
			names = append(names, f.Name())
		}
		t.Errorf("data files = %d %v, want 3 (overwritten and deleted versions must be removed)", len(files), names)
	}
}
