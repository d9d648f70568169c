package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/sirupsen/logrus"

	"github.com/ossfuse/ossfuse/cache"
	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// Options configure a filesystem. Zero values mean the documented defaults.
type Options struct {
	// Client reaches the bucket. Required.
	Client ossio.Client
	// Mapper turns paths into keys under the mount's prefix.
	Mapper meta.Mapper
	// Defaults are the owner and modes of objects without ossfs metadata.
	Defaults meta.Defaults

	// AttrTTL bounds how long attributes and listings are trusted
	// (default 5s); EntryTTL how long the kernel trusts a name (default
	// AttrTTL); NegativeTTL how long "no such file" is trusted (default 5s).
	AttrTTL, EntryTTL, NegativeTTL time.Duration
	// AttrFromList fills readdir attributes from the listing alone with the
	// mount defaults, instead of HEADing each listed object.
	AttrFromList bool
	// HeadParallelism bounds the HEADs a readdir issues at once (default 32).
	HeadParallelism int

	// MemoryBudget bounds the file data held in memory (default 256 MiB):
	// the buffers of reads in flight and of uploads, and the cached blocks,
	// which give their room up whenever reads or writes need it.
	// BlockCacheBytes bounds the cached blocks alone (default, and at most,
	// MemoryBudget).
	MemoryBudget    int64
	BlockCacheBytes int64
	// Reader tunes reads and prefetching (its BlockSize must stay zero).
	Reader ReaderOptions

	// StatCapacity and ListCapacity bound the cached entries and listings
	// (defaults 200000 and 2000).
	StatCapacity, ListCapacity int

	// ReadOnly refuses every change with EROFS.
	ReadOnly bool
	// Bucket is the name of the mount's bucket: it names the stage
	// directories, so that a mount of another bucket sharing CacheDir never
	// takes this one's stages after a crash.
	Bucket string
	// CacheDir holds the staging files of files being written, in a
	// directory of this mount (stages-BUCKET.PID.START), so that mounts sharing it do
	// not meet (default: a directory of this process under the system's
	// temporary directory, removed at Close).
	CacheDir string
	// RecoveryDir receives the content of files that could not be uploaded
	// by the time the filesystem closes (default: CacheDir/recovered).
	RecoveryDir string
	// PartSize is the size of upload parts (default ossio.DefaultPartSize);
	// Parallelism the parts of one file uploading at once (default
	// ossio.DefaultParallelism).
	PartSize    int64
	Parallelism int
	// StageLimit bounds the bytes written into the stages of files being
	// written (0: only the disk bounds them); a write past it fails with
	// ENOSPC, as on a full disk.
	StageLimit int64
	// StreamWait bounds how long a write waits for its streaming upload
	// (budget for a part buffer, a slot among the parts in flight) before
	// the stream is dropped and the file is uploaded from its stage at
	// flush instead (default 60s).
	StreamWait time.Duration
	// AppendMode creates new files as Appendable objects: each flush
	// appends what was written since, so readers of the object see it grow.
	AppendMode bool

	ownCacheDir bool // CacheDir was made up by withDefaults

	// Log receives one line per failure; nil discards.
	Log *logrus.Entry
	// Clock drives the TTLs; nil is the real clock.
	Clock cache.Clock
}

// Defaults of Options.
const (
	DefaultAttrTTL         = 5 * time.Second
	DefaultNegativeTTL     = 5 * time.Second
	DefaultHeadParallelism = 32
	DefaultStreamWait      = 60 * time.Second
	DefaultMemoryBudget    = 256 << 20
	DefaultStatCapacity    = 200000
	DefaultListCapacity    = 2000
)

// blockSize is the unit of the block cache: large enough that a sequential
// read touches few blocks, small enough that the cache holds many files.
const blockSize = 1 << 20

func (o Options) withDefaults() Options {
	if o.AttrTTL == 0 {
		o.AttrTTL = DefaultAttrTTL
	}
	if o.EntryTTL == 0 {
		o.EntryTTL = o.AttrTTL
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = DefaultNegativeTTL
	}
	if o.HeadParallelism <= 0 {
		o.HeadParallelism = DefaultHeadParallelism
	}
	if o.MemoryBudget <= 0 {
		o.MemoryBudget = DefaultMemoryBudget
	}
	if o.BlockCacheBytes <= 0 || o.BlockCacheBytes > o.MemoryBudget {
		o.BlockCacheBytes = o.MemoryBudget
	}
	if o.StatCapacity <= 0 {
		o.StatCapacity = DefaultStatCapacity
	}
	if o.ListCapacity <= 0 {
		o.ListCapacity = DefaultListCapacity
	}
	if o.StreamWait <= 0 {
		o.StreamWait = DefaultStreamWait
	}
	if o.Clock == nil {
		o.Clock = cache.RealClock{}
	}
	if o.CacheDir == "" {
		o.CacheDir = filepath.Join(os.TempDir(), fmt.Sprintf("ossfuse-%d", os.Getpid()))
		o.ownCacheDir = true
	}
	if o.Log == nil {
		l := logrus.New()
		l.SetLevel(logrus.PanicLevel)
		o.Log = logrus.NewEntry(l)
	}
	return o
}

// FS is a mounted bucket: the caches and the shared byte budget of one mount.
type FS struct {
	opts    Options
	client  ossio.Client
	log     *logrus.Entry
	stats   *cache.StatCache[entry]       // path -> entry
	lists   *cache.StatCache[*dirListing] // directory path -> children
	blocks  *cache.BlockCache
	budget  *cache.Budget
	streams streamCount // readers in a sequential run, sharing the block cache
	skipped skipLog
	writers writers // the files being written, by path
	// closing is set once Close starts: no background retry starts after.
	closing atomic.Bool
	// stageDir holds the stages of this process, under CacheDir; the
	// process holds stageLock (flock) for as long as it runs.
	stageDir   string
	stageLock  *os.File
	stageUsage stageUsage
	// mounted is the mtime of directories that have no object of their
	// own (the root, implicit directories): a stable, plausible time.
	mounted time.Time
}

// New builds a filesystem from opts.
func New(opts Options) (*FS, error) {
	if opts.Client == nil {
		return nil, errors.New("fs: Options.Client is required")
	}
	opts = opts.withDefaults()
	f := &FS{opts: opts, client: opts.Client, log: opts.Log.WithField("component", "fs"), mounted: opts.Clock.Now().Truncate(time.Second),
		stageDir: filepath.Join(opts.CacheDir, fmt.Sprintf("%s%s.%d.%d", stageDirPrefix, opts.Bucket, os.Getpid(), time.Now().UnixNano()))}
	var err error
	if f.stats, err = cache.NewStatCache[entry](cache.StatOptions{
		Capacity: opts.StatCapacity, PositiveTTL: opts.AttrTTL, NegativeTTL: opts.NegativeTTL, Clock: opts.Clock,
	}); err != nil {
		return nil, fmt.Errorf("fs: stat cache: %w", err)
	}
	if f.lists, err = cache.NewStatCache[*dirListing](cache.StatOptions{
		Capacity: opts.ListCapacity, PositiveTTL: opts.AttrTTL, Clock: opts.Clock,
	}); err != nil {
		return nil, fmt.Errorf("fs: listing cache: %w", err)
	}
	if f.budget, err = cache.NewBudget(opts.MemoryBudget); err != nil {
		return nil, fmt.Errorf("fs: memory budget: %w", err)
	}
	if f.blocks, err = cache.NewBlockCache(cache.BlockOptions{BlockSize: blockSize, MaxBytes: opts.BlockCacheBytes, Budget: f.budget}); err != nil {
		return nil, fmt.Errorf("fs: block cache: %w", err)
	}
	f.stageUsage.limit = opts.StageLimit
	if err := f.claimStageDir(); err != nil {
		return nil, fmt.Errorf("fs: cache directory: %w", err)
	}
	return f, nil
}

// DataBytes is the most file data the filesystem holds in memory: the byte
// budget, which the block cache is part of.
func (f *FS) DataBytes() int64 { return f.opts.MemoryBudget }

// Root returns the node of the mount's root directory.
func (f *FS) Root() fusefs.InodeEmbedder { return &dirNode{fs: f} }

// FuseOptions returns the go-fuse options that match f: the kernel's entry,
// attribute and negative TTLs follow the filesystem's, writes and reads go
// in 1 MiB requests, no splicing, and enough background requests are allowed for the
// kernel's readahead to keep parallel reads going.
func (f *FS) FuseOptions(mo fuse.MountOptions) *fusefs.Options {
	entry, attr, neg := f.opts.EntryTTL, f.opts.AttrTTL, f.opts.NegativeTTL
	if mo.MaxWrite == 0 {
		mo.MaxWrite = 1 << 20
	}
	if mo.MaxReadAhead == 0 {
		mo.MaxReadAhead = 1 << 20
	}
	if mo.MaxBackground == 0 {
		mo.MaxBackground = 64
	}
	// Reads answer from memory, never from a file descriptor: go-fuse's
	// splice path would only cost syscalls (and log a failure for every
	// 1 MiB read, which with its header exceeds the pipe's maximum size).
	mo.DisableSplice = true
	return &fusefs.Options{
		MountOptions:    mo,
		EntryTimeout:    &entry,
		AttrTimeout:     &attr,
		NegativeTimeout: &neg,
		UID:             f.opts.Defaults.Uid,
		GID:             f.opts.Defaults.Gid,
	}
}

// skipLog remembers the keys already reported as impossible to show as a
// path, so each is logged once. It stops remembering past a bound: a
// bucket of millions of odd keys must not grow memory without limit.
type skipLog struct {
	mu   sync.Mutex
	seen map[string]struct{} // GUARDED_BY(mu)
}

const maxSkipLog = 10000

// once reports whether key has not been reported yet, recording it.
func (s *skipLog) once(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]struct{}{}
	}
	if _, ok := s.seen[key]; ok || len(s.seen) >= maxSkipLog {
		return false
	}
	s.seen[key] = struct{}{}
	return true
}
