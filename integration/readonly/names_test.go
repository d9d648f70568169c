package readonly

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// TestUnicodeAndSpaces lists and reads names with accents, CJK and spaces.
func TestUnicodeAndSpaces(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	got := lines(harness.Run(t, m.Dir, "ls", "-1", "data/unicode"))
	want := []string{"héllo wörld.txt", "space dir", "日本語 ファイル.txt"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ls data/unicode: got %q, want %q", got, want)
	}
	for _, key := range []string{"data/unicode/日本語 ファイル.txt", "data/unicode/space dir/inner file.txt"} {
		if got := harness.Sh(t, m.Dir, fmt.Sprintf("cat '%s'", key)); got != string(body(key)) {
			t.Errorf("cat %q = %q, want %q", key, got, body(key))
		}
	}
}

// TestUnrepresentableKeys checks that keys that cannot be paths ("bad//key",
// "dir/./x", "dir/../y", a 256-byte name) are left out while everything
// beside them works, and that no tool sees an error walking them.
func TestUnrepresentableKeys(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	names := lines(harness.Run(t, m.Dir, "ls", "-1a", "weird"))
	for _, n := range names {
		if len(n) > 255 {
			t.Errorf("ls weird shows a %d-byte name", len(n))
		}
	}
	for _, n := range []string{".", "..", "dir", "ok.txt"} {
		if !contains(names, n) {
			t.Errorf("ls -a weird = %q: %q missing", names, n)
		}
	}
	if got := lines(harness.Run(t, m.Dir, "ls", "-1a", "weird/dir")); strings.Join(got, " ") != ". .. fine.txt" {
		t.Errorf("ls -a weird/dir = %q, want [. .. fine.txt]: the . and .. keys must not show", got)
	}
	if got := lines(harness.Run(t, m.Dir, "find", "weird", "-type", "f")); strings.Join(got, " ") != "weird/dir/fine.txt weird/ok.txt" {
		t.Errorf("find weird -type f = %q, want [weird/dir/fine.txt weird/ok.txt]", got)
	}
	harness.Run(t, m.Dir, "ls", "-laR", "weird")
	if _, err := os.Lstat(m.Path("weird", longName)); !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Errorf("lstat of the 256-byte name: %v, want ENAMETOOLONG", err)
	}
	if got := harness.Run(t, m.Dir, "cat", "weird/ok.txt", "weird/dir/fine.txt"); got != "ok\nfine\n" {
		t.Errorf("cat beside the bad keys = %q", got)
	}
	if got := harness.Run(t, m.Dir, "cat", "data/hello.txt"); got != "hello, world\n" {
		t.Errorf("the mount stopped working after listing bad keys: cat = %q", got)
	}
}

// TestFileBesidePrefix checks that when both "x" and "x/" exist, x is the
// directory, listed once, and the file is hidden.
func TestFileBesidePrefix(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	if got := lines(harness.Run(t, m.Dir, "ls", "-1a", "conflict")); strings.Join(got, " ") != ". .. x" {
		t.Errorf("ls -a conflict = %q, want [. .. x]", got)
	}
	if got := statLine(t, m.Dir, "%F", "conflict/x"); got != "directory" {
		t.Errorf("stat conflict/x: %q, want directory", got)
	}
	if got := harness.Run(t, m.Dir, "cat", "conflict/x/inside.txt"); got != "inside x/\n" {
		t.Errorf("cat conflict/x/inside.txt = %q", got)
	}
	if r := harness.Exec(t, m.Dir, "cat", "conflict/x"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "Is a directory") {
		t.Errorf("cat conflict/x: exit %d, stdout %q, stderr %q; want EISDIR", r.ExitCode, r.Stdout, r.Stderr)
	}
}

// TestManyEntries lists the 2500-entry directory (three listing pages)
// with its attributes loaded the default way, and checks names and sizes.
func TestManyEntries(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	out := harness.Run(t, m.Dir, "ls", "-lan", "--time-style=+%s", "many")
	got := parseLsR(t, "many:\n"+out)["many"]
	if len(got) != manyN {
		t.Errorf("ls -l many shows %d entries, want %d", len(got), manyN)
	}
	for i := range manyN {
		e, ok := got[manyKey(i)[len("many/"):]]
		if !ok {
			t.Errorf("ls -l many: %s missing", manyKey(i))
			continue
		}
		if e.Mode != "-rw-r--r--" || e.Size != int64(len(manyBody(i))) {
			t.Errorf("ls -l %s: %s %d, want -rw-r--r-- %d", manyKey(i), e.Mode, e.Size, len(manyBody(i)))
		}
	}
	if got := harness.Run(t, m.Dir, "cat", manyKey(2499)); got != string(manyBody(2499)) {
		t.Errorf("cat %s = %q", manyKey(2499), got)
	}
}
