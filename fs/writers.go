package fs

import (
	"slices"
	"strings"
	"sync"
)

// writers is the registry of the files being written, by path: the one
// place that knows which writer holds a path's unuploaded content. Nodes
// find their writer here rather than keeping it, so that a file whose
// inode the kernel forgot (memory pressure reclaims closed inodes) is
// found again, with its data, by the node a new lookup makes; renames of
// the file or of a directory above it move writers here.
//
// Its mutex is a leaf: it is taken under a writer's mu, never the reverse.
type writers struct {
	mu     sync.Mutex
	byPath map[string]*writer // GUARDED_BY(mu)
	nextID uint64             // GUARDED_BY(mu): names the next writer's stage files
}

// get returns the writer at path p, or nil.
func (r *writers) get(p string) *writer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byPath[p]
}

// add registers w at path p and returns the writer it replaces there, if any.
func (r *writers) add(p string, w *writer) (replaced *writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byPath == nil {
		r.byPath = map[string]*writer{}
	}
	replaced = r.byPath[p]
	r.byPath[p] = w
	w.path = p
	return replaced
}

// addIfAbsent registers w at path p unless a writer is there already.
func (r *writers) addIfAbsent(p string, w *writer) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byPath[p]; ok {
		return false
	}
	if r.byPath == nil {
		r.byPath = map[string]*writer{}
	}
	r.byPath[p] = w
	w.path = p
	return true
}

// newID returns a number no other writer of this process has.
func (r *writers) newID() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	return r.nextID
}

// remove takes w out of the registry, if it is still there.
func (r *writers) remove(w *writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byPath[w.path] == w {
		delete(r.byPath, w.path)
	}
}

// pathOf is the path w has now.
func (r *writers) pathOf(w *writer) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return w.path
}

// all returns every registered writer.
func (r *writers) all() []*writer {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*writer, 0, len(r.byPath))
	for _, w := range r.byPath {
		out = append(out, w)
	}
	return out
}

// under returns the writers at dir/... (every depth), ordered by id: the
// order in which a directory rename locks them.
func (r *writers) under(dir string) []*writer {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*writer
	for p, w := range r.byPath {
		if strings.HasPrefix(p, dir+"/") {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b *writer) int { return int(a.id - b.id) })
	return out
}

// childrenOf returns the writers directly in directory dir, by name.
func (r *writers) childrenOf(dir string) map[string]*writer {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*writer{}
	for p, w := range r.byPath {
		if parentOf(p) == dir {
			out[baseName(p)] = w
		}
	}
	return out
}

// move gives the writer at from the path to, and returns the writer that
// was at to (which a rename replaces), if any.
func (r *writers) move(from, to string) (moved, replaced *writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	moved, replaced = r.byPath[from], r.byPath[to]
	if replaced != nil {
		delete(r.byPath, to)
	}
	if moved != nil {
		delete(r.byPath, from)
		r.byPath[to] = moved
		moved.path = to
	}
	return moved, replaced
}

// moveTree moves every writer under directory from to the same place under to.
func (r *writers) moveTree(from, to string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var moving []*writer
	for p, w := range r.byPath {
		if strings.HasPrefix(p, from+"/") {
			moving = append(moving, w)
			delete(r.byPath, p)
		}
	}
	for _, w := range moving {
		w.path = to + strings.TrimPrefix(w.path, from)
		r.byPath[w.path] = w
	}
}

// baseName is the last component of p.
func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
