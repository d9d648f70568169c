package main

import (
	"errors"
	"path/filepath"
	"strings"
)

// helperName is the name mount(8) looks for to mount a filesystem of type
// fuse.ossfuse (in /sbin). `make install` makes it a symlink to the
// ossfuse binary, which then reads mount(8)'s helper convention.
const helperName = "mount.fuse.ossfuse"

// isHelper reports whether ossfuse was invoked under the helper's name.
func isHelper(argv0 string) bool { return filepath.Base(argv0) == helperName }

// helperArgs turns mount(8)'s helper command line
//
//	mount.fuse.ossfuse SOURCE MOUNTPOINT [-s] [-f] [-n] [-v] [-N NS] [-o OPTIONS] [-t TYPE]
//
// into ossfuse's. -f there means "fake" (check, do not mount), not
// foreground: a helper must return once the mount is up, so ossfuse runs
// as a daemon. -s (sloppy), -n (no mtab) and -v (verbose) change nothing
// here, -t names the type mount(8) already resolved. -N (mount in another
// namespace) is refused.
func helperArgs(args []string) (out []string, fake bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-t":
			i++ // the type, e.g. fuse.ossfuse
		case strings.HasPrefix(a, "-t"):
		case a == "-N" || strings.HasPrefix(a, "-N"):
			return nil, false, errors.New("mount -N (another mount namespace) is not supported")
		case len(a) > 1 && a[0] == '-' && strings.Trim(a[1:], "sfnv") == "":
			fake = fake || strings.Contains(a, "f")
		default:
			out = append(out, a)
		}
	}
	return out, fake, nil
}
