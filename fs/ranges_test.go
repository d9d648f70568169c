package fs

import (
	"math/rand/v2"
	"testing"
)

// TestSpanSetAgainstBitmap checks spanSet against a byte-per-position
// reference over random operations.
func TestSpanSetAgainstBitmap(t *testing.T) {
	const size = 64
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 2000; round++ {
		var s spanSet
		ref := make([]bool, size)
		for op := 0; op < 12; op++ {
			a, b := rng.Int64N(size), rng.Int64N(size+1)
			if rng.IntN(5) == 0 {
				s.clip(a)
				for i := a; i < size; i++ {
					ref[i] = false
				}
			} else {
				s.add(a, b)
				for i := a; i < b; i++ {
					ref[i] = true
				}
			}
			for k := 1; k < len(s.spans); k++ {
				if s.spans[k-1].end >= s.spans[k].start {
					t.Fatalf("round %d: spans not disjoint and apart: %v", round, s.spans)
				}
			}
			for _, sp := range s.spans {
				if sp.start >= sp.end {
					t.Fatalf("round %d: empty span in %v", round, s.spans)
				}
			}
			qa, qb := rng.Int64N(size), rng.Int64N(size+1)
			var want []span
			all := true
			for i := qa; i < qb; i++ {
				if ref[i] {
					continue
				}
				all = false
				if n := len(want); n > 0 && want[n-1].end == i {
					want[n-1].end++
				} else {
					want = append(want, span{i, i + 1})
				}
			}
			got := s.gaps(qa, qb)
			if len(got) != len(want) {
				t.Fatalf("round %d: gaps(%d,%d) of %v = %v, want %v", round, qa, qb, s.spans, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("round %d: gaps(%d,%d) of %v = %v, want %v", round, qa, qb, s.spans, got, want)
				}
			}
			if qa < qb {
				if s.covers(qa, qb) != all {
					t.Fatalf("round %d: covers(%d,%d) of %v = %v, want %v", round, qa, qb, s.spans, s.covers(qa, qb), all)
				}
			}
		}
	}
}
