package cache

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestBlockStatsCountEveryLookup checks the counters the metrics endpoint
// exports: every Get, Peek and Fetch is a hit or a miss, and a Fetch that
// misses runs one fetch.
func TestBlockStatsCountEveryLookup(t *testing.T) {
	c := newBlocks(t, 4, 8)
	c.Put("k", "e", 0, []byte("abcd"))
	c.Get("k", "e", 0)  // hit
	c.Peek("k", "e", 0) // hit
	c.Get("k", "e", 1)  // miss
	c.Peek("k", "x", 0) // miss: another version
	ctx := context.Background()
	fetch := func(context.Context) ([]byte, error) { return []byte("efgh"), nil }
	if _, err := c.Fetch(ctx, "k", "e", 1, fetch); err != nil { // miss, fetch
		t.Fatal(err)
	}
	if _, err := c.Fetch(ctx, "k", "e", 1, fetch); err != nil { // hit
		t.Fatal(err)
	}
	c.Put("k", "e", 2, []byte("ijkl")) // evicts block 0
	want := BlockCacheStats{Hits: 3, Misses: 3, Fetches: 1, Evictions: 1}
	if got := c.Stats(); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

// TestStatsReadWhileCounting reads the counters while lookups run, as a
// scrape does; the race detector checks the access.
func TestStatsReadWhileCounting(t *testing.T) {
	sc, _ := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute, NegativeTTL: time.Minute})
	bc := newBlocks(t, 4, 8)
	sc.Put("a", "A")
	const lookups = 1000
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < lookups; i++ {
			sc.Get("a")
			bc.Get("k", "e", 0)
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 100; i++ {
			sc.Stats()
			bc.Stats()
		}
	}()
	wg.Wait()
	if got := sc.Stats().Hits; got != lookups {
		t.Errorf("%d stat hits, want %d", got, lookups)
	}
	if got := bc.Stats().Misses; got != lookups {
		t.Errorf("%d block misses, want %d", got, lookups)
	}
}
