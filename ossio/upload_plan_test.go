package ossio

import (
	"bytes"
	"fmt"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"testing"
)

const (
	planKiB = 1 << 10
	planMiB = 1 << 20
)

// checkPlan verifies the rules every plan keeps: parts cover [0, size) in
// order, all but the last are MinPartSize..MaxPartSize, copies lie inside
// a range, and there are at most MaxParts.
func checkPlan(t *testing.T, size int64, ranges []Range, plan []filePart) {
	t.Helper()
	inRange := func(p filePart) bool {
		for _, r := range ranges {
			if p.off >= r.Offset && p.off+p.n <= r.Offset+r.Length {
				return true
			}
		}
		return false
	}
	var pos int64
	for i, p := range plan {
		last := i == len(plan)-1
		switch {
		case p.off != pos:
			t.Fatalf("part %d at %d, want %d: %v", i+1, p.off, pos, plan)
		case p.n <= 0 || p.n > MaxPartSize || (!last && p.n < MinPartSize):
			t.Fatalf("part %d of %d bytes: %v", i+1, p.n, plan)
		case p.copy && !inRange(p):
			t.Fatalf("copied part %d [%d, +%d) outside the ranges %v", i+1, p.off, p.n, ranges)
		}
		pos += p.n
	}
	if pos != size || len(plan) > MaxParts {
		t.Fatalf("plan covers %d of %d bytes in %d parts", pos, size, len(plan))
	}
}

func TestPlanParts(t *testing.T) {
	for _, tc := range []struct {
		size   int64
		ranges []Range
		want   string // parts as "off+n" with c for copies
	}{
		{20 * planMiB, nil, "[{0 6990507 false} {6990507 6990507 false} {13981014 6990506 false}]"},
		{64 * planMiB, []Range{{0, 30 * planMiB}, {30*planMiB + 4*planKiB, 34*planMiB - 4*planKiB}},
			"[{0 31457280 true} {31457280 102400 false} {31559680 35549184 true}]"},
		// A range too small to be a part is sent; ranges touching merge.
		{20 * planMiB, []Range{{planMiB, 50 * planKiB}, {10 * planMiB, 2 * planMiB}, {12 * planMiB, 2 * planMiB}},
			"[{0 5242880 false} {5242880 5242880 false} {10485760 4194304 true} {14680064 6291456 false}]"},
		// A change in the last bytes: the tail is a small last part.
		{16 * planMiB, []Range{{0, 16*planMiB - 10}}, "[{0 16777206 true} {16777206 10 false}]"},
		// A change in the first bytes takes 100 KiB of the copy after it.
		{16 * planMiB, []Range{{10, 16*planMiB - 10}}, "[{0 102400 false} {102400 16674816 true}]"},
		// Two changes with a copy between too short to keep once the first
		// change has taken its share: all sent.
		{planMiB + 150*planKiB, []Range{{10, 150 * planKiB}}, "[{0 1202176 false}]"},
		// Ranges outside the object are clipped.
		{20 * planMiB, []Range{{-5, 10}, {19 * planMiB, 5 * planMiB}},
			"[{0 6640982 false} {6640982 6640981 false} {13281963 6640981 false} {19922944 1048576 true}]"},
	} {
		plan, err := planParts(tc.size, DefaultPartSize, DefaultCopyPartSize, tc.ranges)
		if err != nil {
			t.Fatal(err)
		}
		checkPlan(t, tc.size, normalizeRanges(tc.ranges, tc.size), plan)
		if got := fmt.Sprint(plan); got != tc.want {
			t.Errorf("size %d, ranges %v:\n got %s\nwant %s", tc.size, tc.ranges, got, tc.want)
		}
	}
}

func TestPlanPartsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		size := r.Int64N(200*planMiB) + 1
		var ranges []Range
		for k := r.IntN(8); k > 0; k-- {
			ranges = append(ranges, Range{r.Int64N(size), r.Int64N(size/4 + 1)})
		}
		ps := MinPartSize + r.Int64N(16*planMiB)
		plan, err := planParts(size, ps, MinPartSize+r.Int64N(256*planMiB), ranges)
		if err != nil {
			t.Fatal(err)
		}
		checkPlan(t, size, normalizeRanges(ranges, size), plan)
	}
}

func TestPlanPartsFitsMaxParts(t *testing.T) {
	// 100 GiB in 1 MiB parts would be 102400 parts; and 6000 ranges of
	// 4 MiB with 1 MiB gaps would be 12000 segments.
	size := int64(100 << 30)
	plan, err := planParts(size, planMiB, 4*planMiB, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, size, nil, plan)
	var ranges []Range
	for i := int64(0); i < 6000; i++ {
		ranges = append(ranges, Range{i * 5 * planMiB, 4 * planMiB})
	}
	size = 6000 * 5 * planMiB
	if plan, err = planParts(size, planMiB, 4*planMiB, ranges); err != nil {
		t.Fatal(err)
	}
	checkPlan(t, size, ranges, plan)
	if _, err := planParts(MaxParts*MaxPartSize+1, planMiB, planMiB, nil); err == nil {
		t.Error("an object over 10000 parts of 5 GiB was planned")
	}
}

func TestCRC64Combine(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	data := seededBytes(1<<16, 30)
	for i := 0; i < 200; i++ {
		cut := r.IntN(len(data) + 1)
		a, b := data[:cut], data[cut:]
		got := crc64Combine(crc64.Checksum(a, crcTable), crc64.Checksum(b, crcTable), int64(len(b)))
		if want := crc64.Checksum(data, crcTable); got != want {
			t.Fatalf("cut %d: %d, want %d", cut, got, want)
		}
	}
	// Long zero runs exercise the high powers.
	zeros := make([]byte, 5<<20)
	want := crc64.Update(crc64.Checksum([]byte("abc"), crcTable), crcTable, zeros)
	if got := crc64Combine(crc64.Checksum([]byte("abc"), crcTable), crc64.Checksum(zeros, crcTable), int64(len(zeros))); got != want {
		t.Errorf("zeros: %d, want %d", got, want)
	}
}

func TestHashingSectionHashesWhatWasSent(t *testing.T) {
	data := seededBytes(100000, 31)
	want := crc64.Checksum(data[1000:90000], crcTable)

	// Read part, rewind (a retry), read all.
	h := &hashingSection{r: io.NewSectionReader(bytes.NewReader(data), 1000, 89000)}
	if _, err := io.CopyN(io.Discard, h, 5000); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, h); err != nil {
		t.Fatal(err)
	}
	if got, err := h.sum(); err != nil || got != want || h.hashed != 89000 {
		t.Errorf("rewound: %d (%v), want %d", got, err, want)
	}

	// Skip ahead: sum reads what was skipped.
	h = &hashingSection{r: io.NewSectionReader(bytes.NewReader(data), 1000, 89000)}
	if _, err := io.CopyN(io.Discard, h, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Seek(50000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, h); err != nil {
		t.Fatal(err)
	}
	if got, err := h.sum(); err != nil || got != want {
		t.Errorf("skipped: %d (%v), want %d", got, err, want)
	}
}
