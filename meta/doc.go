// Package meta translates between OSS objects and POSIX files: the mapping
// of object keys to paths under a mount prefix and the rules for names, the
// x-oss-meta-* headers that carry mode, owner and mtime, directory markers,
// and the encodings of symbolic links.
//
// The on-bucket format is the one ossfs 1.x (Alibaba's fork of s3fs-fuse)
// reads and writes, so that a bucket written by either tool mounts correctly
// in the other. Where ossfs versions disagree, the comments say which one we
// follow and why.
//
// Everything here is a pure function of its arguments: no I/O, no clock, no
// logging. Functions that meet bad data on the bucket never fail a whole
// stat or listing for it; they fall back to the mount's defaults and return
// a human-readable warning that the caller logs once.
//
// meta imports ossio (for ObjectInfo and ListEntry) and nothing else from
// the project.
package meta
