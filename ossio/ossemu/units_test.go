package ossemu

import (
	"fmt"
	"hash/crc64"
	"io"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestCRC64CombineMatchesWholeChecksum(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, sizes := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {5, 4}, {1000, 3}, {4096, 100000}} {
		a, b := make([]byte, sizes[0]), make([]byte, sizes[1])
		rng.Read(a)
		rng.Read(b)
		want := crc64.Checksum(append(append([]byte{}, a...), b...), crcTable)
		got := crc64Combine(crc64.Checksum(a, crcTable), crc64.Checksum(b, crcTable), int64(len(b)))
		if got != want {
			t.Errorf("sizes %v: combine = %d, want %d", sizes, got, want)
		}
	}
	// The check value of OSS-API.md §5.3, split across two parts.
	if got := crc64Combine(crc64.Checksum([]byte("12345"), crcTable), crc64.Checksum([]byte("6789"), crcTable), 4); got != 11051210869376104954 {
		t.Errorf("check value = %d", got)
	}
}

func TestParseRange(t *testing.T) {
	const size = 1000
	cases := []struct {
		header   string
		standard bool
		want     byteRange
		err      bool
	}{
		{"", false, byteRange{0, size, false}, false},
		{"bytes=0-499", false, byteRange{0, 500, true}, false},
		{"bytes=500-", false, byteRange{500, 500, true}, false},
		{"bytes=-500", false, byteRange{500, 500, true}, false},
		{"bytes=0-1000", false, byteRange{0, size, false}, false},
		{"bytes=0-1000", true, byteRange{0, size, true}, false},
		{"bytes=500-2000", false, byteRange{0, size, false}, false},
		{"bytes=500-2000", true, byteRange{500, 500, true}, false},
		{"bytes=1000-2000", false, byteRange{0, size, false}, false},
		{"bytes=1000-2000", true, byteRange{}, true},
		{"bytes=1000-", true, byteRange{}, true},
		{"bytes=-2000", false, byteRange{0, size, false}, false},
		{"bytes=-2000", true, byteRange{0, size, true}, false},
		{"byte=0-499", true, byteRange{0, size, false}, false},
		{"bytes=5-2", true, byteRange{0, size, false}, false},
		{"bytes=0-1,3-4", true, byteRange{0, size, false}, false},
	}
	for _, c := range cases {
		got, err := parseRange(c.header, size, c.standard)
		if (err != nil) != c.err || (err == nil && got != c.want) {
			t.Errorf("parseRange(%q, standard=%v) = %+v, %v; want %+v, err=%v", c.header, c.standard, got, err, c.want, c.err)
		}
	}
	if _, err := parseRange("bytes=0-0", 0, true); err == nil || err.Status != 416 {
		t.Errorf("a range of an empty object in standard mode: got %v, want 416", err)
	}
}

// naiveList is the obvious, slow listing the B-tree walk must agree with.
func naiveList(keys []string, prefix, delimiter, after string, max int) (objs, prefixes []string, truncated bool) {
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= after {
			continue
		}
		entry, isPrefix := k, false
		if delimiter != "" {
			if i := strings.Index(k[len(prefix):], delimiter); i >= 0 {
				entry, isPrefix = k[:len(prefix)+i+len(delimiter)], true
				if entry <= after || seen[entry] {
					continue
				}
			}
		}
		if len(objs)+len(prefixes) == max {
			return objs, prefixes, true
		}
		if isPrefix {
			seen[entry] = true
			prefixes = append(prefixes, entry)
		} else {
			objs = append(objs, entry)
		}
	}
	return objs, prefixes, false
}

func TestListAgreesWithNaiveListing(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	alphabet := []string{"a", "b", "/", "c", "ab", "\xff", " ", "+"}
	b := newBucket("t", time.Now())
	var keys []string
	for len(keys) < 400 {
		var sb strings.Builder
		for n := 1 + rng.Intn(6); n > 0; n-- {
			sb.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		k := sb.String()
		if b.get(k) == nil {
			b.objects.ReplaceOrInsert(&object{Key: k, Data: newMemBlob()})
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, prefix := range []string{"", "a", "a/", "ab/", "\xff"} {
		for _, delim := range []string{"", "/", "b"} {
			for _, max := range []int{1, 3, 1000} {
				// Page through as a client does, comparing every page.
				after := ""
				for page := 0; ; page++ {
					got := b.list(prefix, delim, after, max)
					wantObjs, wantPrefixes, wantTrunc := naiveList(keys, prefix, delim, after, max)
					var gotObjs []string
					for _, o := range got.objects {
						gotObjs = append(gotObjs, o.Key)
					}
					name := fmt.Sprintf("prefix %q delim %q max %d after %q", prefix, delim, max, after)
					if fmt.Sprint(gotObjs) != fmt.Sprint(wantObjs) || fmt.Sprint(got.prefixes) != fmt.Sprint(wantPrefixes) || got.truncated != wantTrunc {
						t.Fatalf("%s:\n got %q %q %v\nwant %q %q %v", name, gotObjs, got.prefixes, got.truncated, wantObjs, wantPrefixes, wantTrunc)
					}
					if !got.truncated {
						break
					}
					after = got.next
					if page > len(keys) {
						t.Fatalf("%s: listing does not end", name)
					}
				}
			}
		}
	}
}

func TestURLEncodeKey(t *testing.T) {
	got := urlEncodeKey("demo/gp-\f\n\v a+b%ü~._-")
	want := "demo%2Fgp-%0C%0A%0B%20a%2Bb%25%C3%BC~._-"
	if got != want {
		t.Errorf("urlEncodeKey = %q, want %q", got, want)
	}
}

func TestRestoreControlsRoundTrip(t *testing.T) {
	for n := 0; n < 0x20; n++ {
		ref := []byte(fmt.Sprintf("&#x%X;", n))
		if n == '\t' || n == '\n' || n == '\r' {
			continue
		}
		r, err := parseCharRef(ref)
		if err != nil || r != n {
			t.Fatalf("parseCharRef(%s) = %d, %v", ref, r, err)
		}
		if got := restoreControls("k" + string(rune(controlShift+n))); got != "k"+string(rune(n)) {
			t.Errorf("restoreControls of %#x = %q", n, got)
		}
	}
}

func TestMemBlobSliceAcrossChunks(t *testing.T) {
	b := newMemBlob([]byte("hello "), []byte("brave "), []byte("new world"))
	for _, c := range []struct {
		off, n int64
		want   string
	}{{0, 5, "hello"}, {4, 5, "o bra"}, {6, 6, "brave "}, {10, 11, "e new world"}, {20, 1, "d"}, {0, 0, ""}} {
		rc, _ := b.open(c.off, c.n)
		got, _ := io.ReadAll(rc)
		if string(got) != c.want {
			t.Errorf("open(%d, %d) = %q, want %q", c.off, c.n, got, c.want)
		}
	}
}

func TestParseCopyRange(t *testing.T) {
	for _, c := range []struct {
		header   string
		off, n   int64
		rejected bool
	}{
		{"", 0, 1000, false},
		{"bytes=0-999", 0, 1000, false},
		{"bytes=100-199", 100, 100, false},
		{"bytes=0-1000", 0, 0, true}, // past the end: OSS refuses, never a short part
		{"bytes=1000-1000", 0, 0, true},
		{"bytes=5-2", 0, 0, true},
		{"bytes=a-b", 0, 0, true},
		{"0-9", 0, 0, true},
	} {
		off, n, err := parseCopyRange(c.header, 1000)
		if (err != nil) != c.rejected || (!c.rejected && (off != c.off || n != c.n)) {
			t.Errorf("parseCopyRange(%q) = %d, %d, %v; want %d, %d, rejected=%v", c.header, off, n, err, c.off, c.n, c.rejected)
		}
	}
}
