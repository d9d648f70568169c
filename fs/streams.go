package fs

import "sync/atomic"

// streamCount counts the readers of a mount that are in a sequential run.
// Their prefetch windows share the block cache and the byte budget it is
// charged to: if together they asked for more than these hold, each block
// prefetched would evict one prefetched earlier and not yet read, and every
// byte would be fetched twice. So each reader's window is capped at half
// the cache (or of the budget, if smaller) divided among the streams; the
// other half holds the blocks being read, those read again, and writes.
type streamCount struct {
	n atomic.Int64
}

// maxWindowLocked is the largest window this reader may keep ahead now:
// MaxWindow, or its share of half the block cache when several readers
// stream at once; never less than one block.
func (r *objectReader) maxWindowLocked() int64 {
	w := r.opts.MaxWindow
	if r.streams != nil {
		room := min(r.blocks.MaxBytes(), r.budget.Max())
		share := room / (2 * max(1, r.streams.n.Load()))
		w = min(w, share)
	}
	return max(w, r.bs)
}

// windowLocked is the window the prefetcher keeps ahead: the pattern's,
// shrunk at once when more readers start streaming.
func (r *objectReader) windowLocked() int64 {
	r.pat.window = min(r.pat.window, r.maxWindowLocked())
	return r.pat.window
}

// setStreamingLocked records whether this reader is in a sequential run.
func (r *objectReader) setStreamingLocked(on bool) {
	if r.streams == nil || r.streaming == on {
		return
	}
	r.streaming = on
	if on {
		r.streams.n.Add(1)
	} else {
		r.streams.n.Add(-1)
	}
}
