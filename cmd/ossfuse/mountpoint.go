package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// resolvePaths makes the paths of cfg absolute (the daemon works in /) and
// the mount point free of symlinks (mountinfo shows it so).
func resolvePaths(cfg *config) error {
	if cfg.recoveryDir == "" {
		cfg.recoveryDir = defaultRecoveryDir(os.Geteuid(), os.Getenv)
	}
	if cfg.cacheDir == "" {
		cfg.cacheDir = defaultCacheDir(os.Geteuid(), os.Getenv)
	}
	for _, p := range []*string{&cfg.mountpoint, &cfg.cacheDir, &cfg.recoveryDir, &cfg.logFile, &cfg.caFile} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("path %s: %w", *p, err)
		}
		*p = abs
	}
	if real, err := filepath.EvalSymlinks(cfg.mountpoint); err == nil {
		cfg.mountpoint = real
	}
	return nil
}

// checkMountpoint refuses a mount point that would make a mount fail
// later or hide something: missing, not a directory, a dead FUSE mount,
// already a mount point, or holding files (unless nonempty).
func checkMountpoint(dir string, nonempty bool) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, syscall.ENOTCONN):
		return fmt.Errorf("mountpoint %s is a dead mount (transport endpoint is not connected): run umount %s", dir, dir)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("mountpoint %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("mountpoint %s: %w", dir, err)
	case !st.IsDir():
		return fmt.Errorf("mountpoint %s is not a directory", dir)
	}
	mounted, err := isMountPoint(dir)
	if err != nil {
		return fmt.Errorf("mountpoint %s: reading mountinfo: %w", dir, err)
	}
	if mounted {
		return fmt.Errorf("mountpoint %s is busy: something is already mounted there (umount it first)", dir)
	}
	if nonempty {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mountpoint %s: %w", dir, err)
	}
	defer d.Close()
	if _, err := d.Readdirnames(1); err != io.EOF {
		if err != nil {
			return fmt.Errorf("mountpoint %s: %w", dir, err)
		}
		return fmt.Errorf("mountpoint %s is not empty (-o nonempty mounts over its files, hiding them)", dir)
	}
	return nil
}

// fuseConf is where fusermount3 reads whether users may use allow_other.
const fuseConf = "/etc/fuse.conf"

// checkAllowOther refuses allow_other for a user other than root when
// confPath does not say user_allow_other: fusermount3 would refuse it with
// a message the daemon cannot show, and the mount would fail obscurely.
func checkAllowOther(cfg config, euid int, confPath string) error {
	if !cfg.allowOther || euid == 0 {
		return nil
	}
	b, err := os.ReadFile(confPath)
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) == "user_allow_other" {
				return nil
			}
		}
	}
	return fmt.Errorf("option allow_other: users other than root need user_allow_other in %s", confPath)
}

// defaultRecoveryDir is where files that could not be uploaded are saved
// when recovery_dir is not given: somewhere that survives a reboot (not
// the temporary directory, which boots may clear): /var/lib/ossfuse for
// root, else the user's data directory ($XDG_DATA_HOME, ~/.local/share).
// defaultCacheDir is where stages live when cache_dir is not given: a
// place that outlives the process and a reboot (not $TMPDIR), so that the
// next mount finds what a process that died was writing.
func defaultCacheDir(euid int, getenv func(string) string) string {
	switch {
	case euid == 0:
		return "/var/cache/ossfuse"
	case getenv("XDG_CACHE_HOME") != "":
		return filepath.Join(getenv("XDG_CACHE_HOME"), "ossfuse")
	case getenv("HOME") != "":
		return filepath.Join(getenv("HOME"), ".cache", "ossfuse")
	}
	return "" // the filesystem's default, a directory of the process under $TMPDIR
}

func defaultRecoveryDir(euid int, getenv func(string) string) string {
	switch {
	case euid == 0:
		return "/var/lib/ossfuse/recovered"
	case getenv("XDG_DATA_HOME") != "":
		return filepath.Join(getenv("XDG_DATA_HOME"), "ossfuse", "recovered")
	case getenv("HOME") != "":
		return filepath.Join(getenv("HOME"), ".local", "share", "ossfuse", "recovered")
	}
	return "" // the filesystem's default, under cache_dir
}
