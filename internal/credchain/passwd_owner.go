package credchain

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// checkPasswdOwner refuses a passwd file that someone other than the user
// ossfuse runs as could have written, as sshd's StrictModes refuses an
// authorized_keys file: the file must be owned by the effective user or
// by root, and so must every directory above it (symbolic links
// resolved), none of them writable by group or others. A sticky directory
// (/tmp) may be writable by all, since no one but the owner of an entry
// can then rename or remove it. Otherwise root, mounting with a file
// another user owns or can replace, would sign with keys of that user's
// choosing.
//
// st is the open file's own Stat, so that the file checked is the file
// read; the directories are checked by path, as sshd does.
func checkPasswdOwner(path string, st fs.FileInfo, euid int) error {
	if uid, ok := ownerOf(st); ok && uid != euid && uid != 0 {
		return fmt.Errorf("passwd file %s is owned by uid %d, neither the user ossfuse runs as (uid %d) nor root; refusing it: chown %d %s",
			path, uid, euid, euid, path)
	}
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return fmt.Errorf("passwd file %s: %w", path, err)
	}
	for dir := filepath.Dir(real); ; dir = filepath.Dir(dir) {
		dst, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("passwd file %s: %w", path, err)
		}
		if uid, ok := ownerOf(dst); ok && uid != euid && uid != 0 {
			return fmt.Errorf("passwd file %s is in directory %s, owned by uid %d, neither the user ossfuse runs as (uid %d) nor root; refusing it",
				path, dir, uid, euid)
		}
		if m := dst.Mode(); m.Perm()&0o022 != 0 && m&fs.ModeSticky == 0 {
			return fmt.Errorf("passwd file %s is in directory %s, which group or others may write (mode %04o); refusing it: chmod go-w %s",
				path, dir, m.Perm(), dir)
		}
		if dir == "/" || dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// ownerOf returns the uid owning the file st describes.
func ownerOf(st fs.FileInfo) (int, bool) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(sys.Uid), true
}
