// Command ossfuse mounts an Alibaba Cloud OSS bucket (or a prefix of one)
// as a directory.
//
//	ossfuse BUCKET[:/PREFIX] MOUNTPOINT -o endpoint=URL[,region=R,...] [-f]
//
// It serves the mount until `umount MOUNTPOINT`, SIGINT or SIGTERM, then
// exits 0. Run `ossfuse --help` for the options.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/sirupsen/logrus"

	"github.com/ossfuse/ossfuse/fs"
	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// Set by the linker (see the Makefile).
var version, commit = "dev", "unknown"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "--version" {
			fmt.Fprintf(stdout, "ossfuse %s (commit %s)\n", version, commit)
			return 0
		}
	}
	cfg, err := parseArgs(args, config{region: "cn-hangzhou", uid: uint32(os.Getuid()), gid: uint32(os.Getgid()), umask: 0o022})
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, usage())
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "ossfuse:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	if err := mount(cfg, log); err != nil {
		fmt.Fprintln(stderr, "ossfuse:", err)
		return 1
	}
	return 0
}

func newLogger(cfg config, w io.Writer) *logrus.Entry {
	l := logrus.New()
	l.SetOutput(w)
	l.SetLevel(logrus.InfoLevel)
	if cfg.debug {
		l.SetLevel(logrus.DebugLevel)
	}
	return logrus.NewEntry(l).WithField("bucket", cfg.bucket)
}

// mount serves the bucket at cfg.mountpoint until it is unmounted.
func mount(cfg config, log *logrus.Entry) error {
	if st, err := os.Stat(cfg.mountpoint); err != nil || !st.IsDir() {
		return fmt.Errorf("mountpoint %s is not a directory", cfg.mountpoint)
	}
	creds, err := credentialsFor(cfg, log)
	if err != nil {
		return err
	}
	metrics, err := newMountMetrics(cfg)
	if err != nil {
		return err
	}
	client, err := ossio.New(ossio.Config{
		Endpoint: cfg.endpoint, Region: cfg.region, Bucket: cfg.bucket,
		SignatureV1: cfg.signatureV1, PathStyle: cfg.pathStyle, Credentials: creds,
		OnRetry: metrics.onRetry(),
	})
	if err != nil {
		return err
	}
	client = metrics.wrap(client)
	mapper, err := meta.NewMapper(cfg.prefix)
	if err != nil {
		return err
	}
	// One LIST before mounting turns a wrong key, a missing bucket or an
	// unreachable endpoint into a clear error instead of a mount that fails
	// every operation.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	_, err = client.ListObjects(ctx, ossio.ListRequest{Prefix: mapper.DirKey(""), MaxKeys: 1})
	cancel()
	if err != nil {
		return fmt.Errorf("cannot reach bucket %s: %w", cfg.bucket, err)
	}
	filesystem, err := fs.New(fs.Options{
		Client: client, Mapper: mapper,
		Defaults: meta.Defaults{Uid: cfg.uid, Gid: cfg.gid, FileMode: cfg.fileMode, DirMode: cfg.dirMode, Umask: cfg.umask},
		AttrTTL:  cfg.attrTTL, EntryTTL: cfg.entryTTL, NegativeTTL: cfg.negativeTTL,
		AttrFromList: cfg.attrFromList, MemoryBudget: cfg.memory, Log: log,
		ReadOnly: cfg.readOnly, CacheDir: cfg.cacheDir,
	})
	if err != nil {
		return err
	}
	limitMemory(filesystem.DataBytes())
	stopMetrics, err := metrics.serve(filesystem, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	mo := fuse.MountOptions{
		FsName: "ossfuse:" + cfg.bucket, Name: "ossfuse", AllowOther: cfg.allowOther,
		DirectMount: os.Geteuid() == 0, // as root no fusermount is needed
		Debug:       cfg.debug && os.Getenv("OSSFUSE_FUSE_TRACE") != "",
	}
	if cfg.readOnly {
		mo.Options = append(mo.Options, "ro") // the kernel refuses every write itself
	}
	server, err := fusefs.Mount(cfg.mountpoint, filesystem.Root(), filesystem.FuseOptions(mo))
	if err != nil {
		return fmt.Errorf("mount %s: %w", cfg.mountpoint, err)
	}
	setReadahead(cfg.mountpoint, log)
	log.WithField("mountpoint", cfg.mountpoint).Info("mounted")

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		for range signals {
			if err := server.Unmount(); err != nil {
				log.WithError(err).Warn("unmount on signal failed; the mount is busy")
			}
		}
	}()
	stopProfile := startCPUProfile(log)
	server.Wait()
	stopProfile()
	log.Info("unmounted")
	return nil
}
