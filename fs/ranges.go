package fs

import "slices"

// span is the byte range [start, end).
type span struct{ start, end int64 }

// spanSet is a set of bytes kept as sorted, disjoint, non-adjacent spans.
// A staged file records with it which bytes of its base object it holds
// locally and which it changed.
type spanSet struct{ spans []span }

// add puts [start, end) in the set.
func (s *spanSet) add(start, end int64) {
	if start >= end {
		return
	}
	// The spans that touch [start, end) merge with it.
	i, _ := slices.BinarySearchFunc(s.spans, start, func(sp span, x int64) int {
		switch {
		case sp.end < x:
			return -1
		default:
			return 1
		}
	})
	j := i
	for j < len(s.spans) && s.spans[j].start <= end {
		start, end = min(start, s.spans[j].start), max(end, s.spans[j].end)
		j++
	}
	s.spans = slices.Replace(s.spans, i, j, span{start, end})
}

// clip removes every byte at or past end.
func (s *spanSet) clip(end int64) {
	for k := len(s.spans) - 1; k >= 0; k-- {
		switch {
		case s.spans[k].start >= end:
			s.spans = s.spans[:k]
		case s.spans[k].end > end:
			s.spans[k].end = end
		}
	}
}

// gaps returns the parts of [start, end) that are not in the set.
func (s *spanSet) gaps(start, end int64) []span {
	var out []span
	for _, sp := range s.spans {
		if sp.end <= start {
			continue
		}
		if sp.start >= end {
			break
		}
		if sp.start > start {
			out = append(out, span{start, sp.start})
		}
		start = max(start, sp.end)
	}
	if start < end {
		out = append(out, span{start, end})
	}
	return out
}

// covers reports whether every byte of [start, end) is in the set.
func (s *spanSet) covers(start, end int64) bool { return len(s.gaps(start, end)) == 0 }

// union returns the bytes in s or in o.
func (s *spanSet) union(o *spanSet) spanSet {
	out := spanSet{spans: slices.Clone(s.spans)}
	for _, sp := range o.spans {
		out.add(sp.start, sp.end)
	}
	return out
}
