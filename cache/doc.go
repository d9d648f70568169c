// Package cache holds ossfuse's in-memory caches and its memory budget:
//
//   - StatCache: answers to "what is at this key?" with separate TTLs for
//     positive answers (the key exists, here is its value) and negative ones
//     (it does not exist). The fs package keeps one for Lookup/Getattr
//     attributes and one for directory listings.
//   - BlockCache: immutable fixed-size blocks of object data keyed by
//     (key, ETag, block index), bounded by a hard byte limit.
//   - Budget: the one byte budget of the file data held in memory (DESIGN
//     §4): the buffers of reads and writes in flight, and the blocks of the
//     BlockCache built on it.
//
// Memory bound. A BlockCache given a Budget charges its blocks to it, so the
// file data ossfuse holds is at most the Budget's Max, however it is split
// between in flight and cached. The cache is the budget's slack: a request
// that finds the budget short makes the cache drop its least recently used
// blocks, so cached blocks never keep a read or a write waiting (nor
// deadlock one), and the cache may fill whatever the others leave free. The
// flow of a read: acquire the bytes of a GET from the Budget, fetch, hand
// each block with its bytes to the cache (PutHeld), which gives them back
// when it drops the block.
//
// The package knows nothing of FUSE or OSS: values, keys and loaders are the
// caller's. Concurrent misses of one key or block cost one load (singleflight),
// and a mutation recorded while a load is in flight always wins over the
// load's (older) answer.
package cache
