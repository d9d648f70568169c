package cache

import (
	"testing"
	"time"
)

func newStat(t *testing.T, opts StatOptions) (*StatCache[string], *FakeClock) {
	t.Helper()
	clock := NewFakeClock(epoch)
	if opts.Clock == nil {
		opts.Clock = clock
	}
	c, err := NewStatCache[string](opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, clock
}

func wantGet(t *testing.T, c *StatCache[string], key, wantV string, wantSt State) {
	t.Helper()
	v, st := c.Get(key)
	if v != wantV || st != wantSt {
		t.Fatalf("Get(%q) = (%q, %v), want (%q, %v)", key, v, st, wantV, wantSt)
	}
}

func TestStatPositiveTTL(t *testing.T) {
	c, clock := newStat(t, StatOptions{Capacity: 10, PositiveTTL: 10 * time.Second, NegativeTTL: time.Second})
	c.Put("a", "A")
	wantGet(t, c, "a", "A", Hit)
	clock.Advance(10*time.Second - time.Nanosecond)
	wantGet(t, c, "a", "A", Hit)
	clock.Advance(time.Nanosecond)
	wantGet(t, c, "a", "", Miss)
	if n := c.Len(); n != 0 {
		t.Fatalf("expired entry kept: Len() = %d", n)
	}
}

func TestStatNegativeTTL(t *testing.T) {
	c, clock := newStat(t, StatOptions{Capacity: 10, PositiveTTL: 10 * time.Second, NegativeTTL: time.Second})
	c.Put("pos", "P")
	c.PutNegative("neg")
	wantGet(t, c, "neg", "", NegativeHit)
	clock.Advance(time.Second)
	wantGet(t, c, "neg", "", Miss)
	wantGet(t, c, "pos", "P", Hit) // each kind expires on its own TTL
}

func TestStatZeroTTLDisables(t *testing.T) {
	t.Run("positive", func(t *testing.T) {
		c, _ := newStat(t, StatOptions{Capacity: 10, NegativeTTL: time.Minute})
		c.Put("a", "A")
		wantGet(t, c, "a", "", Miss)
		c.PutNegative("b")
		wantGet(t, c, "b", "", NegativeHit)
		// The key now exists: the negative entry must go even though the
		// positive answer is not cached.
		c.Put("b", "B")
		wantGet(t, c, "b", "", Miss)
	})
	t.Run("negative", func(t *testing.T) {
		c, _ := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute})
		c.PutNegative("a")
		wantGet(t, c, "a", "", Miss)
		c.Put("b", "B")
		c.PutNegative("b")
		wantGet(t, c, "b", "", Miss)
	})
}

func TestStatCapacityLRU(t *testing.T) {
	c, _ := newStat(t, StatOptions{Capacity: 3, PositiveTTL: time.Minute, NegativeTTL: time.Minute})
	c.Put("a", "A")
	c.Put("b", "B")
	c.PutNegative("c")
	wantGet(t, c, "a", "A", Hit) // a is now the most recently used; b the least
	c.Put("d", "D")
	if n := c.Len(); n != 3 {
		t.Fatalf("Len() = %d, want 3", n)
	}
	wantGet(t, c, "b", "", Miss)
	wantGet(t, c, "a", "A", Hit)
	wantGet(t, c, "c", "", NegativeHit)
	wantGet(t, c, "d", "D", Hit)
}

func TestStatInvalidate(t *testing.T) {
	c, _ := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute, NegativeTTL: time.Minute})
	c.Put("a", "A")
	c.PutNegative("b")
	c.Invalidate("a")
	c.Invalidate("b")
	c.Invalidate("never-cached")
	wantGet(t, c, "a", "", Miss)
	wantGet(t, c, "b", "", Miss)
}

func TestStatInvalidatePrefix(t *testing.T) {
	c, _ := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute, NegativeTTL: time.Minute})
	for _, k := range []string{"dir/", "dir/x", "dir/sub/y", "dirx", "other"} {
		c.Put(k, k)
	}
	c.PutNegative("dir/gone")
	c.InvalidatePrefix("dir/")
	for _, k := range []string{"dir/", "dir/x", "dir/sub/y", "dir/gone"} {
		wantGet(t, c, k, "", Miss)
	}
	wantGet(t, c, "dirx", "dirx", Hit)
	wantGet(t, c, "other", "other", Hit)
}

func TestStatStats(t *testing.T) {
	c, _ := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute, NegativeTTL: time.Minute})
	c.Put("a", "A")
	c.PutNegative("b")
	c.Get("a")
	c.Get("a")
	c.Get("b")
	c.Get("c")
	want := StatCacheStats{Hits: 2, NegativeHits: 1, Misses: 1}
	if got := c.Stats(); got != want {
		t.Fatalf("Stats() = %+v, want %+v", got, want)
	}
}

func TestStateString(t *testing.T) {
	for st, want := range map[State]string{Miss: "miss", Hit: "hit", NegativeHit: "negative-hit", 7: "State(7)"} {
		if got := st.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", uint8(st), got, want)
		}
	}
}

func TestNewStatCacheRejectsBadCapacity(t *testing.T) {
	for _, n := range []int{0, -1} {
		if _, err := NewStatCache[int](StatOptions{Capacity: n}); err == nil {
			t.Errorf("Capacity %d: no error", n)
		}
	}
}

// TestStatAmend checks that Amend changes a fresh value without making it
// younger, and drops what is not fresh.
func TestStatAmend(t *testing.T) {
	c, clock := newStat(t, StatOptions{Capacity: 10, PositiveTTL: 10 * time.Second, NegativeTTL: time.Minute})
	c.Put("dir", "a")
	clock.Advance(6 * time.Second)
	if !c.Amend("dir", func(v string) string { return v + "b" }) {
		t.Fatal("Amend of a fresh value reported false")
	}
	wantGet(t, c, "dir", "ab", Hit)
	clock.Advance(4 * time.Second) // 10s after the Put: expired despite the Amend
	wantGet(t, c, "dir", "", Miss)

	c.PutNegative("gone")
	if c.Amend("gone", func(v string) string { return "x" }) || c.Amend("never", func(v string) string { return "x" }) {
		t.Fatal("Amend of a negative or missing entry reported true")
	}
	wantGet(t, c, "gone", "", Miss) // dropped: the change may have made it exist
}
