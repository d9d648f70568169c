package harness

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// umountTimeout bounds each umount / fusermount3 command.
const umountTimeout = 10 * time.Second

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	Point  string // the mount point, unescaped
	FSType string // e.g. "fuse.ossfuse"
	Source string
}

// readMountinfo parses /proc/self/mountinfo.
func readMountinfo() ([]mountEntry, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root point options [optional...] - fstype source superoptions
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		e := mountEntry{Point: unescapeMountinfo(fields[4])}
		for i := 5; i < len(fields); i++ {
			if fields[i] == "-" && i+2 < len(fields) {
				e.FSType, e.Source = fields[i+1], unescapeMountinfo(fields[i+2])
				break
			}
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// unescapeMountinfo undoes the kernel's octal escapes (\040 for a space,
// \011, \012, \134) in mountinfo fields.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// IsMounted reports whether dir (an absolute path without symlinks) is a
// mount point.
func IsMounted(dir string) (bool, error) {
	entries, err := readMountinfo()
	if err != nil {
		return false, err
	}
	dir = filepath.Clean(dir)
	for _, e := range entries {
		if e.Point == dir {
			return true, nil
		}
	}
	return false, nil
}

// mountsUnder returns the mount points strictly under root, deepest first.
func mountsUnder(root string) ([]string, error) {
	entries, err := readMountinfo()
	if err != nil {
		return nil, err
	}
	prefix := filepath.Clean(root) + "/"
	var out []string
	for i := len(entries) - 1; i >= 0; i-- { // later mounts may sit on earlier ones
		if strings.HasPrefix(entries[i].Point, prefix) {
			out = append(out, entries[i].Point)
		}
	}
	return out, nil
}

// runQuiet runs a command with a timeout and returns its combined output.
func runQuiet(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// detach lazily unmounts dir: fusermount3 -u -z, then umount -l. The mount
// disappears from the namespace at once even when it is busy or its server
// is dead.
func detach(dir string) {
	if ok, _ := IsMounted(dir); !ok {
		return
	}
	_, _ = runQuiet(umountTimeout, "fusermount3", "-u", "-z", dir)
	if ok, _ := IsMounted(dir); ok {
		_, _ = runQuiet(umountTimeout, "umount", "-l", dir)
	}
}

// unmountAllUnder unmounts every mount under root: a plain umount first (a
// live ossfuse then exits cleanly), lazily when that fails.
func unmountAllUnder(root string) {
	points, err := mountsUnder(root)
	if err != nil {
		return
	}
	for _, p := range points {
		if _, err := runQuiet(umountTimeout, "umount", p); err != nil {
			detach(p)
		}
	}
}
