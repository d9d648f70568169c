// Package cache holds ossfuse's in-memory caches and its memory budget:
//
//   - StatCache: answers to "what is at this key?" with separate TTLs for
//     positive answers (the key exists, here is its value) and negative ones
//     (it does not exist). The fs package keeps one for Lookup/Getattr
//     attributes and one for directory listings.
//   - BlockCache: immutable fixed-size blocks of object data keyed by
//     (key, ETag, block index), bounded by a hard byte limit.
//   - Budget: the byte budget that bounds the buffers of in-flight reads and
//     writes (DESIGN §4).
//
// Memory bound. The block cache and the budget are sized apart, so that a burst
// of writes can never be starved by a full cache nor make it shed blocks on the
// hot path: the memory ossfuse holds for file data is at most
// Budget max + BlockOptions.MaxBytes. The intended flow for a read is: acquire
// the bytes of a GET from the Budget, fetch, hand the blocks to the BlockCache
// (which then accounts for them under its own MaxBytes), release the Budget.
//
// The package knows nothing of FUSE or OSS: values, keys and loaders are the
// caller's. Concurrent misses of one key or block cost one load (singleflight),
// and a mutation recorded while a load is in flight always wins over the
// load's (older) answer.
package cache
