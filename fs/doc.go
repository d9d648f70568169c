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
// What is being written lives in writers (writer.go), one per file with
// content not yet in OSS, kept in a registry by path (writers.go) rather
// than in nodes: the kernel may forget a node at any time.
//
// LOCK ORDERING (a strict order; a lock is only taken while holding those
// before it):
//
//  1. writer.upload, of several writers in the order of their ids
//     (lockUploads; a rename of a directory holds those under it). Held
//     across network I/O: only uploads and renames of that file wait.
//  2. fileHandle.mu (attaching a writer to a handle).
//  3. writer.mu: the stage. Never held across a request, except while a
//     write waits for the byte budget of its streaming upload (other
//     files, and stat and ls of this one, which read the writer's
//     published entry, do not wait).
//  4. fileNode.mu, dirNode.mu, symlinkNode.mu, dirHandle.mu: the node's
//     last entry. dirHandle.mu is held across the listing of its
//     directory, which takes no other lock of this package.
//  5. writers.mu, the registry: a leaf.
//
// The caches lock internally and call no code of this package while
// holding their locks, so they can be used under any of these. go-fuse's
// own locks are never held while it calls this package.
package fs
