package fs

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// dirListing is a snapshot of one directory's children. It is immutable
// once built: readers share it without locks.
type dirListing struct {
	names   []string // sorted
	entries map[string]entry
}

// list returns the children of directory dir, from the listing cache while
// fresh. Loading a listing also refreshes the stat cache of every child, so
// the lookups that follow a readdir (ls -l, find) cost nothing.
func (f *FS) list(ctx context.Context, dir string) (*dirListing, error) {
	l, _, err := f.lists.Load(ctx, dir, func(ctx context.Context) (*dirListing, bool, error) {
		l, err := f.fetchListing(ctx, dir)
		return l, err == nil, err
	})
	return l, err
}

// fetchListing pages through the directory with delimiter "/", then makes
// the attributes exact with parallel HEADs unless the mount takes them from
// the listing alone.
func (f *FS) fetchListing(ctx context.Context, dir string) (*dirListing, error) {
	dirKey := f.opts.Mapper.DirKey(dir)
	l := &dirListing{entries: map[string]entry{}}
	// Start after the directory's own marker: it is not a child, and it
	// would take a key of the first page, so that 1000 children cost two.
	req := ossio.ListRequest{Prefix: dirKey, Delimiter: "/", MaxKeys: ossio.MaxListKeys, StartAfter: dirKey}
	for {
		page, err := f.client.ListObjects(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Objects {
			if name, ok := f.childName(dirKey, o.Key); ok {
				if _, isDir := l.entries[name]; !isDir { // a directory x/ wins over a file x
					l.entries[name] = f.listedEntry(o)
				}
			}
		}
		for _, p := range page.CommonPrefixes {
			if name, ok := f.childName(dirKey, p); ok {
				l.entries[name] = f.dirEntry("")
			}
		}
		if !page.IsTruncated {
			break
		}
		req.ContinuationToken = page.NextContinuationToken
	}
	if !f.opts.AttrFromList {
		if err := f.exactAttrs(ctx, dirKey, l); err != nil {
			return nil, err
		}
	}
	for name := range l.entries {
		l.names = append(l.names, name)
	}
	sort.Strings(l.names)
	for _, name := range l.names {
		f.stats.Put(childPath(dir, name), l.entries[name])
	}
	return l, nil
}

// childName turns a listed key or prefix into a name of the directory,
// logging once the keys that cannot be shown as a path. They are never
// touched: not deleted, not rewritten.
func (f *FS) childName(dirKey, key string) (string, bool) {
	name, _, skip := meta.Classify(dirKey, key)
	if skip != "" {
		if f.skipped.once(key) {
			f.log.WithField("key", key).Warn("object skipped: " + skip)
		}
		return "", false
	}
	return name, name != ""
}

// exactAttrs replaces the listed attributes with those of a HEAD of each
// child (a directory's marker for directories), HeadParallelism at a time,
// so a listing never costs one serial round trip per entry.
func (f *FS) exactAttrs(ctx context.Context, dirKey string, l *dirListing) error {
	type job struct {
		name string
		e    entry
	}
	jobs := make([]job, 0, len(l.entries))
	for name, e := range l.entries { // snapshot: the HEADs below rewrite the map
		jobs = append(jobs, job{name, e})
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opts.HeadParallelism)
	for _, j := range jobs {
		g.Go(func() error {
			exact, found, err := f.exactEntry(gctx, dirKey+j.name, j.e)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if found {
				l.entries[j.name] = exact
			} else {
				delete(l.entries, j.name) // deleted since it was listed
			}
			return nil
		})
	}
	return g.Wait()
}

// exactEntry HEADs the object behind a listed entry at key: the object
// itself, or a directory's marker. It reports found=false for an object
// deleted since it was listed; a directory without a marker is implicit
// and keeps its defaults.
func (f *FS) exactEntry(ctx context.Context, key string, listed entry) (entry, bool, error) {
	if listed.kind == kindDir {
		key += "/"
	}
	info, err := f.client.HeadObject(ctx, key)
	switch {
	case err == nil:
		exact := f.fileEntry(info)
		if listed.kind == kindDir {
			exact.kind, exact.attr.Mode = kindDir, meta.ModeDir|exact.attr.Perm()
		}
		return exact, true, nil
	case listed.kind == kindDir && errors.Is(err, ossio.ErrNotFound):
		return listed, true, nil
	case errors.Is(err, ossio.ErrSymlinkTarget):
		return listed, true, nil // a dangling native symlink: the listed entry stands
	case errors.Is(err, ossio.ErrNotFound):
		return entry{}, false, nil
	}
	return entry{}, false, err
}

// withChild returns a copy of l in which name is e (added or replaced).
func (l *dirListing) withChild(name string, e entry) *dirListing {
	out := &dirListing{entries: maps.Clone(l.entries)}
	if out.entries == nil {
		out.entries = map[string]entry{}
	}
	i, found := slices.BinarySearch(l.names, name)
	out.names = slices.Clone(l.names)
	if !found {
		out.names = slices.Insert(out.names, i, name)
	}
	out.entries[name] = e
	return out
}

// withoutChild returns a copy of l without name.
func (l *dirListing) withoutChild(name string) *dirListing {
	i, found := slices.BinarySearch(l.names, name)
	if !found {
		return l
	}
	out := &dirListing{names: slices.Delete(slices.Clone(l.names), i, i+1), entries: maps.Clone(l.entries)}
	delete(out.entries, name)
	return out
}
