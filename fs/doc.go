// Package fs is the go-fuse node tree of ossfuse: directory, file and
// symlink nodes over an OSS bucket reached through ossio.
//
// What the filesystem knows of each path is an entry, kept in two caches
// with TTLs: the stat cache (path -> entry, positive and negative) and the
// listing cache (directory path -> its children). Nodes hold no attributes
// of their own beyond the last entry they served; every answer comes from
// the caches while they are fresh, else from one HEAD (plus one LIST with
// max-keys 1 when the HEAD misses, for implicit directories).
//
// LOCK ORDERING: go-fuse's own locks, then a node's mu, then a handle's
// mu. The caches lock internally and call no code of this package while
// holding their locks, so they can be used under any of these.
package fs
