package readonly

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// lsEntry is one line of `ls -lan --time-style=+%s`.
type lsEntry struct {
	Mode     string // e.g. "-rw-r--r--"
	UID, GID string
	Size     int64
	Mtime    int64
	Target   string // of a symlink
}

// parseLsR parses `ls -lanR --time-style=+%s` output into entries per
// directory ("data/a" => "b" => entry), without "." and "..".
func parseLsR(t *testing.T, out string) map[string]map[string]lsEntry {
	t.Helper()
	dirs := map[string]map[string]lsEntry{}
	var cur map[string]lsEntry
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "total "):
			continue
		case strings.HasSuffix(line, ":") && !lsEntryLine.MatchString(line):
			cur = map[string]lsEntry{}
			dirs[strings.TrimSuffix(line, ":")] = cur
			continue
		}
		if cur == nil {
			t.Fatalf("ls line outside a directory section: %q", line)
		}
		name, e := parseLsLine(t, line)
		if name == "." || name == ".." {
			continue
		}
		if _, dup := cur[name]; dup {
			t.Errorf("ls lists %q twice in one directory", name)
		}
		cur[name] = e
	}
	return dirs
}

// lsEntryLine matches the start of an entry line, as opposed to a
// "dir:" section header.
var lsEntryLine = regexp.MustCompile(`^[-dlcbps][-rwxsStT]{9}[.+]? `)

// parseLsLine splits "MODE NLINK UID GID SIZE EPOCH NAME[ -> TARGET]"; the
// name is the rest of the line, spaces included.
func parseLsLine(t *testing.T, line string) (string, lsEntry) {
	t.Helper()
	rest := line
	var f [6]string
	for i := range f {
		rest = strings.TrimLeft(rest, " ")
		j := strings.IndexByte(rest, ' ')
		if j < 0 {
			t.Fatalf("short ls line %q", line)
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	size, err1 := strconv.ParseInt(f[4], 10, 64)
	mtime, err2 := strconv.ParseInt(f[5], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("ls line %q: size or time is not a number", line)
	}
	e := lsEntry{Mode: strings.TrimRight(f[0], ".+"), UID: f[2], GID: f[3], Size: size, Mtime: mtime}
	name := rest
	if e.Mode[0] == 'l' {
		name, e.Target, _ = strings.Cut(rest, " -> ")
	}
	return name, e
}

// modeString renders st_mode as ls does ("drwx------").
func modeString(mode uint32) string {
	types := map[uint32]byte{0o040000: 'd', 0o100000: '-', 0o120000: 'l'}
	b := []byte{types[mode&0o170000]}
	if b[0] == 0 {
		b[0] = '?'
	}
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if mode&(1<<(8-i)) != 0 {
			b = append(b, rwx[i])
		} else {
			b = append(b, '-')
		}
	}
	return string(b)
}

// lines splits tool output into its lines, sorted, without the last "".
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	out := strings.Split(s, "\n")
	sort.Strings(out)
	return out
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pollUntil runs probe every 100ms until it returns true or timeout passes,
// and reports whether it did: a bounded wait on an observable condition.
func pollUntil(timeout time.Duration, probe func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if probe() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// statLine runs `stat -c FORMAT` on paths in dir and returns its trimmed output.
func statLine(t *testing.T, dir, format string, paths ...string) string {
	t.Helper()
	return strings.TrimSpace(harness.Run(t, dir, "stat", append([]string{"-c", format}, paths...)...))
}
