package credchain

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SystemPasswdFile is ossfs's system-wide passwd file.
const SystemPasswdFile = "/etc/passwd-ossfs"

// DefaultPasswdFiles are the passwd files looked at when no passwd_file is
// given, in order: ~/.passwd-ossfs (when HOME is known), /etc/passwd-ossfs.
func DefaultPasswdFiles() []string {
	var files []string
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		files = append(files, filepath.Join(home, ".passwd-ossfs"))
	}
	return append(files, SystemPasswdFile)
}

// passwdKey is the key pair a passwd file gives a bucket.
type passwdKey struct {
	id, secret string
}

// readPasswdFile reads an ossfs passwd file and returns the key for bucket:
// the line `bucket:id:secret` when there is one, else the first `id:secret`
// line. found is false when the file has neither. Blank lines and lines
// starting with # are ignored.
//
// Like ossfs, it refuses a file that group or others may access at all;
// and like sshd, one that another user than the effective one or root
// owns or could replace (see checkPasswdOwner). Errors name the file and
// the line, never what a line holds.
func readPasswdFile(path, bucket string) (key passwdKey, found bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return passwdKey{}, false, fmt.Errorf("passwd file %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return passwdKey{}, false, fmt.Errorf("passwd file %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return passwdKey{}, false, fmt.Errorf("passwd file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return passwdKey{}, false, fmt.Errorf("passwd file %s may be read by group or others (mode %04o); refusing it: chmod 600 %s",
			path, perm, path)
	}
	if err := checkPasswdOwner(path, st, os.Geteuid()); err != nil {
		return passwdKey{}, false, err
	}
	var fallback passwdKey
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ":")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		switch {
		case len(fields) == 3 && fields[0] != "" && fields[1] != "" && fields[2] != "":
			if fields[0] == bucket {
				return passwdKey{id: fields[1], secret: fields[2]}, true, nil
			}
		case len(fields) == 2 && fields[0] != "" && fields[1] != "":
			if fallback.id == "" {
				fallback = passwdKey{id: fields[0], secret: fields[1]}
			}
		default:
			return passwdKey{}, false, fmt.Errorf("passwd file %s line %d: want BUCKET:ACCESS_KEY_ID:ACCESS_KEY_SECRET or ACCESS_KEY_ID:ACCESS_KEY_SECRET", path, n)
		}
	}
	if err := sc.Err(); err != nil {
		// bufio's errors (a line too long, a read error) hold no line content.
		return passwdKey{}, false, fmt.Errorf("passwd file %s: %w", path, err)
	}
	return fallback, fallback.id != "", nil
}

// isNotExist reports whether err says a file is missing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
