package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/sirupsen/logrus"

	"github.com/ossfuse/ossfuse/fs"
	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// mounted is a live mount: the filesystem and the go-fuse server of it.
type mounted struct {
	cfg        config
	filesystem *fs.FS
	server     *fuse.Server
	log        *logrus.Entry
	// stopMetrics stops the metrics endpoint, after the last upload.
	stopMetrics func()
	// stopping is the shutdown SIGTERM or SIGINT started, if any.
	stopping shutdown
}

// mount checks the mount point and the bucket, then mounts; it returns
// once the mount answers (a stat of the mount point is served), within
// cfg.mountTimeout.
func mount(cfg config, log *logrus.Entry) (*mounted, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.mountTimeout)
	defer cancel()
	if err := checkMountpoint(cfg.mountpoint, cfg.nonempty); err != nil {
		return nil, err
	}
	if err := checkAllowOther(cfg, os.Geteuid(), fuseConf); err != nil {
		return nil, err
	}
	metrics, err := newMountMetrics(cfg)
	if err != nil {
		return nil, err
	}
	requests := &requestLog{log: log.WithField("component", "oss")}
	client, credSource, err := newClient(cfg, log, metrics, requests)
	if err != nil {
		return nil, err
	}
	mapper, err := meta.NewMapper(cfg.prefix)
	if err != nil {
		return nil, fmt.Errorf("prefix %q: %w", cfg.prefix, err)
	}
	if err := checkBucket(ctx, cfg, client, mapper); err != nil {
		return nil, err
	}
	requests.on.Store(true)
	filesystem, err := fs.New(fs.Options{
		Client: client, Mapper: mapper,
		Defaults: meta.Defaults{Uid: cfg.uid, Gid: cfg.gid, FileMode: cfg.fileMode, DirMode: cfg.dirMode, Umask: cfg.umask},
		AttrTTL:  cfg.attrTTL, EntryTTL: cfg.entryTTL, NegativeTTL: cfg.negativeTTL,
		AttrFromList: cfg.attrFromList, MemoryBudget: cfg.memory, Log: log,
		ReadOnly: cfg.readOnly, Bucket: cfg.bucket, CacheDir: cfg.cacheDir, RecoveryDir: cfg.recoveryDir, StageLimit: cfg.stageLimit,
		PartSize: cfg.partSize, Parallelism: cfg.parallelism, AppendMode: cfg.appendMode,
	})
	if err != nil {
		return nil, err
	}
	// Stages a process that died left in cache_dir are finished before the
	// mount serves anyone who could write the same files.
	if err := filesystem.RecoverStages(ctx); err != nil {
		log.WithError(err).Error("some stages of processes that died could not be recovered; they are left in cache_dir")
	}
	limitMemory(filesystem.DataBytes())
	stopMetrics, err := metrics.serve(filesystem, log)
	if err != nil {
		return nil, err
	}
	server, err := fusefs.Mount(cfg.mountpoint, filesystem.Root(), filesystem.FuseOptions(fuseMountOptions(cfg)))
	if err != nil {
		stopMetrics()
		_ = filesystem.Close(ctx) // nothing was written; it removes what New made
		return nil, fmt.Errorf("mount %s: %w", cfg.mountpoint, err)
	}
	m := &mounted{cfg: cfg, filesystem: filesystem, server: server, log: log, stopMetrics: stopMetrics}
	if err := m.answers(ctx); err != nil {
		m.abandon()
		stopMetrics()
		_ = filesystem.Close(ctx)
		return nil, err
	}
	setReadahead(cfg.mountpoint, log)
	log.WithFields(logrus.Fields{"mountpoint": cfg.mountpoint, "credentials": credSource}).Info("mounted")
	return m, nil
}

// fuseMountOptions are the kernel mount options cfg asks for.
func fuseMountOptions(cfg config) fuse.MountOptions {
	mo := fuse.MountOptions{
		FsName: "ossfuse:" + cfg.bucket, Name: "ossfuse", AllowOther: cfg.allowOther,
		DirectMount: os.Geteuid() == 0, // as root no fusermount is needed
		Debug:       cfg.debug && os.Getenv("OSSFUSE_FUSE_TRACE") != "",
	}
	if cfg.readOnly {
		mo.Options = append(mo.Options, "ro") // the kernel refuses every write itself
	}
	// With allow_other and no permission checks, every user could read and
	// change every file whatever its mode: the kernel checks modes unless
	// told otherwise.
	if cfg.defaultPermissions || (cfg.allowOther && !cfg.noDefaultPermissions) {
		mo.Options = append(mo.Options, "default_permissions")
	}
	return mo
}

// answers stats the mount point, served by this process, within ctx.
func (m *mounted) answers(ctx context.Context) error {
	done := make(chan error, 1)
	go func() {
		_, err := os.Stat(m.cfg.mountpoint)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("the mount at %s does not answer: %w", m.cfg.mountpoint, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("the mount at %s did not answer within %v (mount_timeout)", m.cfg.mountpoint, m.cfg.mountTimeout)
	}
}

// abandon undoes a mount that never became ready.
func (m *mounted) abandon() {
	if err := m.server.Unmount(); err != nil {
		_ = detachMount(m.cfg.mountpoint)
	}
}

// Bounds of the shutdown.
const (
	// stopTimeout bounds all the uploads of a shutdown on SIGTERM or
	// SIGINT together: FlushAll before unmounting, then the last attempts
	// of filesystem.Close. With detachedGrace it stays under systemd's
	// default TimeoutStopSec (90 s), so that ossfuse saves what it could
	// not upload before it is killed.
	stopTimeout = 60 * time.Second
	// detachedGrace is how long a lazily detached mount may keep serving
	// the files still open in it before ossfuse exits anyway.
	detachedGrace = 5 * time.Second
	// closeTimeout bounds filesystem.Close (last uploads, recovery) after
	// an umount.
	closeTimeout = 60 * time.Second
)

// shutdown is what stop tells serve of the shutdown it started, for
// bounding Close.
type shutdown struct {
	mu sync.Mutex
	// deadline ends the shutdown's uploads; zero when no stop started.
	deadline time.Time // GUARDED_BY(mu)
	// silent is set when FlushAll timed out: the server does not answer.
	silent bool // GUARDED_BY(mu)
}

func (s *shutdown) start(deadline time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deadline = deadline
}

func (s *shutdown) flushed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = errors.Is(err, ossio.ErrTimeout)
}

// closeContext bounds filesystem.Close. After an umount it gets
// closeTimeout. After SIGTERM or SIGINT it gets what is left of
// stopTimeout, or nothing when the server did not answer FlushAll: each
// upload would wait request_timeout twice again, and fail as surely, so
// the dirty files go to the recovery directory at once (the bytes a
// stage never fetched from a server that does not answer could not be
// fetched for the copy either). silent says which.
func (s *shutdown) closeContext() (ctx context.Context, cancel context.CancelFunc, silent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.deadline.IsZero():
		ctx, cancel = context.WithTimeout(context.Background(), closeTimeout)
		return ctx, cancel, false
	case s.silent:
		ctx, cancel = context.WithDeadline(context.Background(), time.Now())
		return ctx, cancel, true
	}
	ctx, cancel = context.WithDeadline(context.Background(), s.deadline)
	return ctx, cancel, false
}

// serve serves the mount until it is unmounted (umount by the user, or
// stop after SIGTERM/SIGINT), then closes the filesystem. It returns an
// error when files could not be uploaded (they are in the recovery
// directory, as the log says).
func (m *mounted) serve(signals *signalSet, sink *logSink) error {
	served := make(chan struct{})
	abandoned := make(chan struct{})
	handling := make(chan struct{})
	defer close(handling)
	go signals.handle(m, sink, abandoned, handling)
	stopProfile := startCPUProfile(m.log)
	go func() {
		m.server.Wait()
		close(served)
	}()
	select {
	case <-served:
		m.log.Info("unmounted")
	case <-abandoned:
		m.log.Warn("files were still open in the detached mount; exiting, which ends them (ENOTCONN)")
	}
	stopProfile()
	ctx, cancel, silent := m.stopping.closeContext()
	defer cancel()
	if silent {
		m.log.Warn("the server did not answer the flush within request_timeout: saving the dirty files in recovery_dir without another attempt")
	}
	defer m.stopMetrics()
	if err := m.filesystem.Close(ctx); err != nil {
		m.log.WithError(err).Error("closing the filesystem: some files could not be uploaded (see recovery_dir)")
		return fmt.Errorf("unmounted, but files could not be uploaded; they were saved as the log says")
	}
	return nil
}

// stop flushes every dirty file within stopTimeout (which Close then
// shares, see closeContext), then unmounts. When the mount is busy
// (a file still open) it is detached lazily: it leaves the namespace at
// once, and the files open in it keep being served until they are closed
// or detachedGrace has passed; then abandoned is closed.
func (m *mounted) stop(abandoned chan<- struct{}) {
	deadline := time.Now().Add(stopTimeout)
	m.stopping.start(deadline)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	err := m.filesystem.FlushAll(ctx)
	cancel()
	m.stopping.flushed(err)
	if err != nil {
		m.log.WithError(err).Error("flushing dirty files before unmounting")
	}
	// go-fuse's Unmount retries a plain unmount for a while; it fails with
	// EBUSY as long as a file is open in the mount.
	if err := m.server.Unmount(); err == nil {
		return
	}
	m.log.Warn("the mount is busy (files are open in it): detaching it lazily")
	if err := detachMount(m.cfg.mountpoint); err != nil {
		m.log.WithError(err).Error("detaching the mount")
	}
	time.AfterFunc(detachedGrace, func() { close(abandoned) })
}
