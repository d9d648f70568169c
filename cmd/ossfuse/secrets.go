package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A secret given on the command line (an option marked secret in the
// table) would show in `ps` and /proc/PID/cmdline for as long as the mount
// lives. So the process that serves a mount never has it in its argv:
//
//   - the background daemon is started with a cleaned argv and reads the
//     real argument list from an inherited pipe (daemon.go);
//   - in the foreground, when a secret was given, ossfuse re-executes
//     itself (same PID, syscall.Exec) with a cleaned argv and the real list
//     in an inherited pipe.
//
// The cleaned argv keeps everything else, so `ps` still says what is
// mounted where. The environment is not used to pass arguments: it is
// inherited by every child and kept in /proc/PID/environ.

// argsFDFlag introduces the descriptor that holds the real argument list,
// as the first argument of an internal invocation:
//
//	ossfuse --internal-args-fd=N [--internal-ready-fd=M] -- CLEANED ARGS...
const (
	argsFDFlag  = "--internal-args-fd="
	readyFDFlag = "--internal-ready-fd="
)

// maxArgsBytes bounds the encoded argument list read from a descriptor; it
// also fits a pipe's buffer (64 KiB), which the re-exec writes before
// anyone reads.
const maxArgsBytes = 60 << 10

// internalInvocation is what the internal flags at the start of argv say.
type internalInvocation struct {
	argsFD, readyFD int // -1 when absent
}

// parseInternal reads the internal flags at the start of args. It returns
// ok false for an ordinary command line.
func parseInternal(args []string) (internalInvocation, bool, error) {
	inv := internalInvocation{argsFD: -1, readyFD: -1}
	if len(args) == 0 || !strings.HasPrefix(args[0], argsFDFlag) {
		return inv, false, nil
	}
	for i, a := range args {
		var err error
		switch {
		case a == "--":
			if inv.argsFD < 0 {
				return inv, true, errors.New("internal invocation without " + argsFDFlag)
			}
			return inv, true, nil
		case strings.HasPrefix(a, argsFDFlag):
			inv.argsFD, err = strconv.Atoi(strings.TrimPrefix(a, argsFDFlag))
		case strings.HasPrefix(a, readyFDFlag):
			inv.readyFD, err = strconv.Atoi(strings.TrimPrefix(a, readyFDFlag))
		default:
			// Not shown: it may be anything, a secret included.
			return inv, true, fmt.Errorf("internal invocation: argument %d is neither %sN, %sN nor --", i+1, argsFDFlag, readyFDFlag)
		}
		if err != nil {
			return inv, true, fmt.Errorf("bad internal argument %q", a)
		}
	}
	return inv, true, errors.New("internal invocation without --")
}

// readArgs reads and closes the argument list written by writeArgs.
func readArgs(fd int) ([]string, error) {
	f := os.NewFile(uintptr(fd), "ossfuse-args")
	if f == nil {
		return nil, fmt.Errorf("argument descriptor %d is not open", fd)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxArgsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the arguments from descriptor %d: %w", fd, err)
	}
	var args []string
	if len(b) > maxArgsBytes || json.Unmarshal(b, &args) != nil {
		return nil, fmt.Errorf("descriptor %d does not hold an argument list", fd)
	}
	return args, nil
}

// writeArgs writes args to w and closes it.
func writeArgs(w io.WriteCloser, args []string) error {
	b, err := json.Marshal(args)
	if err == nil && len(b) > maxArgsBytes {
		err = fmt.Errorf("the command line is longer than %d bytes", maxArgsBytes)
	}
	if err == nil {
		_, err = w.Write(b)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// hasSecret reports whether args give a secret option.
func hasSecret(args []string, table []option) bool {
	cl, err := splitArgs(args, table)
	if err != nil {
		return false
	}
	for _, s := range cl.settings {
		if o, ok := findOption(table, s.name); ok && o.secret {
			return true
		}
	}
	return false
}

// cleanArgs is args without the secret options, in the canonical form
// `SOURCE MOUNTPOINT -o opt,...`, for an argv that `ps` shows. It is for
// display only: the process that gets it reads the real list elsewhere.
func cleanArgs(args []string, table []option) []string {
	cl, err := splitArgs(args, table)
	if err != nil {
		return nil
	}
	out := append([]string(nil), cl.positional...)
	var opts []string
	for _, s := range cl.settings {
		o, ok := findOption(table, s.name)
		// What follows a secret in its -o list may be a piece of it, cut
		// off by an unescaped comma: it is left out too.
		if !ok || o.secret || s.afterSecret != "" || isFstabNoise(s.name) {
			continue
		}
		if s.hasValue {
			opts = append(opts, s.name+"="+escapeOption(s.value))
		} else {
			opts = append(opts, s.name)
		}
	}
	if len(opts) > 0 {
		out = append(out, "-o", strings.Join(opts, ","))
	}
	return out
}

// reexecWithoutSecrets replaces the process (same PID) by ossfuse with argv
// cleaned of secrets and the real args in an inherited pipe. It returns
// only on failure.
func reexecWithoutSecrets(args []string, table []option) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding ossfuse's own executable: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := writeArgs(w, args); err != nil {
		return err
	}
	// os.Pipe sets close-on-exec; the read end must survive the exec.
	if _, err := unix.FcntlInt(r.Fd(), unix.F_SETFD, 0); err != nil {
		return fmt.Errorf("passing the arguments: %w", err)
	}
	argv := append([]string{os.Args[0], argsFDFlag + strconv.Itoa(int(r.Fd())), "--"}, cleanArgs(args, table)...)
	return syscall.Exec(self, argv, os.Environ())
}
