// Command ossfuse mounts an Alibaba Cloud OSS bucket (or a prefix of one)
// as a directory.
//
//	ossfuse [flags] BUCKET[:/PREFIX] MOUNTPOINT -o endpoint=URL[,opt[=value]...]
//
// Without -f it detaches and exits 0 once the mount answers, or exits 1
// with a one-line reason. The mount lives until `umount MOUNTPOINT`,
// SIGINT or SIGTERM (which flush dirty files first), then ossfuse exits 0.
// Invoked as mount.fuse.ossfuse it is mount(8)'s helper for the type
// fuse.ossfuse. Run `ossfuse --help` for the options.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ossfuse/ossfuse/ossio"
)

// Set by the linker (see the Makefile).
var version, commit = "dev", "unknown"

// Exit codes.
const (
	exitOK    = 0
	exitMount = 1 // the mount failed
	exitUsage = 2 // the command line is wrong
)

func main() {
	os.Exit(run(os.Args[0], os.Args[1:], os.Stdout, os.Stderr, true))
}

// defaultConfig is the configuration before the command line.
func defaultConfig() config {
	return config{
		region: "cn-hangzhou", uid: uint32(os.Getuid()), gid: uint32(os.Getgid()), umask: 0o022,
		mountTimeout: defaultMountTimeout, requestTimeout: ossio.DefaultRequestTimeout,
	}
}

// run is the whole command. The process that runs it is one of: the
// user's (or mount(8)'s), which either serves the mount in the foreground
// or starts the daemon and waits for it; the daemon; or the foreground
// process re-executed without its secrets in argv (see secrets.go).
//
// mayExec allows run to start or become another process (the daemon, the
// re-execution); unit tests, which run the command inside the test
// binary, pass false: the daemon is then refused, and secrets stay in argv.
func run(argv0 string, args []string, stdout, stderr io.Writer, mayExec bool) int {
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "ossfuse:", oneLine(err.Error()))
		return code
	}
	inv, internal, err := parseInternal(args)
	if err != nil {
		return fail(exitUsage, err)
	}
	fake := false
	switch {
	case internal:
		if args, err = readArgs(inv.argsFD); err != nil {
			return fail(exitUsage, err)
		}
	case isHelper(argv0):
		if args, fake, err = helperArgs(args); err != nil {
			return fail(exitUsage, err)
		}
	}
	cfg, err := parseArgs(args, defaultConfig())
	switch {
	case errors.Is(err, errHelp):
		fmt.Fprint(stdout, usage())
		return exitOK
	case errors.Is(err, errHelpMarkdown):
		fmt.Fprint(stdout, helpMarkdown())
		return exitOK
	case errors.Is(err, errVersion):
		fmt.Fprintf(stdout, "ossfuse %s (commit %s)\n", version, commit)
		return exitOK
	case err != nil:
		return fail(exitUsage, err)
	case fake:
		return exitOK
	}
	if err := resolvePaths(&cfg); err != nil {
		return fail(exitUsage, err)
	}
	daemon := inv.readyFD >= 0
	if !internal && !cfg.foreground {
		if !mayExec {
			return fail(exitUsage, errors.New("running in the background is not possible here; use -f"))
		}
		if err := daemonize(args, cfg); err != nil {
			return fail(exitMount, err)
		}
		if cfg.logFile == "" {
			fmt.Fprintf(stderr, "ossfuse: mounted %s in the background; its log is discarded (add -o log_file=FILE to keep it)\n", cfg.mountpoint)
		}
		return exitOK
	}
	if !internal && mayExec && hasSecret(args, options()) {
		return fail(exitMount, reexecWithoutSecrets(args, options()))
	}
	if daemon {
		// A daemon must not keep the directory it was started in busy.
		_ = os.Chdir("/")
	}
	return serveMount(cfg, newReadyReporter(inv.readyFD), daemon, stderr)
}

// serveMount mounts and serves until the mount ends. In the daemon the
// outcome of mounting goes to the parent through ready, and the log to
// the log file or nowhere; in the foreground the log goes to stderr unless
// log_file is given.
func serveMount(cfg config, ready *readyReporter, daemon bool, stderr io.Writer) int {
	signals := catchSignals()
	defer signals.stop()
	fallback := stderr
	if daemon {
		fallback = io.Discard
	}
	sink, err := newLogSink(cfg, fallback, daemon)
	if err != nil {
		ready.report(err)
		fmt.Fprintln(stderr, "ossfuse:", oneLine(err.Error()))
		return exitMount
	}
	defer sink.close()
	log := sink.entry(cfg.bucket)
	m, err := mount(cfg, log)
	if err != nil {
		ready.report(err)
		if daemon || cfg.logFile != "" {
			log.WithError(err).Error("mount failed")
		}
		if !daemon {
			fmt.Fprintln(stderr, "ossfuse:", oneLine(err.Error()))
		}
		return exitMount
	}
	ready.report(nil)
	if err := m.serve(signals, sink); err != nil {
		// Data is safe in the recovery directory but not in the bucket: a
		// failure that systemd and scripts must see.
		if !daemon {
			fmt.Fprintln(stderr, "ossfuse:", oneLine(err.Error()))
		}
		return exitMount
	}
	return exitOK
}
