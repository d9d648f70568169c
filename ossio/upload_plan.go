package ossio

import (
	"cmp"
	"slices"
)

// Range is the byte range [Offset, Offset+Length).
type Range struct {
	Offset, Length int64
}

// CopyRanges names byte ranges of an object being uploaded that are
// unchanged from an existing object at the same offsets, so that
// UploadFile copies them inside OSS (UploadPartCopy) instead of sending them.
type CopyRanges struct {
	SrcKey string
	// SrcETag is the ETag of the source version the ranges are unchanged
	// from; every copy is conditional on it (ErrPreconditionFailed if the
	// source changed).
	SrcETag string
	// Ranges may overlap and come in any order; parts outside [0, size) are ignored.
	Ranges []Range
}

// filePart is one part of a planned upload: bytes [off, off+n) of the
// object, copied from the source object at the same offsets or read from
// the local source.
type filePart struct {
	off, n int64
	copy   bool
}

// planParts cuts an object of size bytes into parts: the copy ranges into
// copy parts of about copyPartSize, the rest into upload parts of about
// partSize, with every part but the last at least MinPartSize and at most
// MaxParts parts. A part is copied only when it lies inside a copy range;
// boundaries follow the ranges, except that an upload between two copies
// that would be too small takes bytes from the copy after it, and a copy
// range too small to be a part is uploaded instead. Part sizes double as
// needed to fit in MaxParts; if even that fails the ranges are dropped.
func planParts(size, partSize, copyPartSize int64, ranges []Range) ([]filePart, error) {
	segs := segments(size, normalizeRanges(ranges, size))
	for {
		sizeOf := func(s filePart) int64 {
			if s.copy {
				return copyPartSize
			}
			return partSize
		}
		var count int64
		for _, s := range segs {
			count += partCount(s.n, sizeOf(s))
		}
		if count <= MaxParts {
			parts := make([]filePart, 0, count)
			for _, s := range segs {
				parts = append(parts, splitEven(s, sizeOf(s))...)
			}
			return parts, nil
		}
		switch {
		case partSize < MaxPartSize || copyPartSize < MaxPartSize:
			partSize, copyPartSize = min(2*partSize, MaxPartSize), min(2*copyPartSize, MaxPartSize)
		case len(segs) > 1:
			segs = []filePart{{off: 0, n: size}}
		default:
			return nil, newError("UploadPart", "", ErrTooLarge, "object of %d bytes needs more than %d parts of %d bytes", size, MaxParts, int64(MaxPartSize))
		}
	}
}

// normalizeRanges clips ranges to [0, size), sorts them and merges those
// that overlap or touch.
func normalizeRanges(ranges []Range, size int64) []Range {
	var out []Range
	for _, r := range ranges {
		start, end := max(r.Offset, 0), min(r.Offset+r.Length, size)
		if r.Length > 0 && start < end {
			out = append(out, Range{start, end - start})
		}
	}
	slices.SortFunc(out, func(a, b Range) int { return cmp.Compare(a.Offset, b.Offset) })
	merged := out[:0]
	for _, r := range out {
		if k := len(merged) - 1; k >= 0 && r.Offset <= merged[k].Offset+merged[k].Length {
			merged[k].Length = max(merged[k].Length, r.Offset+r.Length-merged[k].Offset)
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// segments covers [0, size) with alternating upload and copy segments such
// that every segment but the last is at least MinPartSize.
func segments(size int64, ranges []Range) []filePart {
	var raw []filePart
	var pos int64
	for _, r := range ranges {
		if r.Offset > pos {
			raw = append(raw, filePart{off: pos, n: r.Offset - pos})
		}
		raw = append(raw, filePart{off: r.Offset, n: r.Length, copy: true})
		pos = r.Offset + r.Length
	}
	if pos < size {
		raw = append(raw, filePart{off: pos, n: size - pos})
	}
	var out []filePart
	for _, s := range raw {
		if s.copy && s.n < MinPartSize {
			s.copy = false
		}
		// Copies are never shorter than MinPartSize, so a short segment
		// before a copy is an upload: it takes the copy's first bytes.
		if k := len(out) - 1; s.copy && k >= 0 && out[k].n < MinPartSize {
			steal := MinPartSize - out[k].n
			if s.n-steal < MinPartSize {
				s.copy = false
			} else {
				out[k].n += steal
				s.off += steal
				s.n -= steal
			}
		}
		if k := len(out) - 1; k >= 0 && out[k].copy == s.copy {
			out[k].n += s.n
			continue
		}
		out = append(out, s)
	}
	return out
}

// splitEven cuts s into parts of at most ps bytes (ps >= MinPartSize) of
// nearly equal size, none below MinPartSize unless s is.
func splitEven(s filePart, ps int64) []filePart {
	n := partCount(s.n, ps)
	parts := make([]filePart, 0, n)
	base, extra := s.n/n, s.n%n
	off := s.off
	for i := int64(0); i < n; i++ {
		k := base
		if i < extra {
			k++
		}
		parts = append(parts, filePart{off: off, n: k, copy: s.copy})
		off += k
	}
	return parts
}

// partCount is the number of parts splitEven cuts size bytes into.
func partCount(size, ps int64) int64 {
	n := (size + ps - 1) / ps
	if n > 1 && size/n < MinPartSize {
		n = size / MinPartSize
	}
	return max(n, 1)
}
