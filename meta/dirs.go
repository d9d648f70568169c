package meta

import "strings"

// MarkerContentType is the Content-Type of the directory markers we write,
// as ossfs 1.x does (S3fsCurl::LookupMimeType gives it to every key ending
// in "/"). A marker is a zero-byte object at the directory's key ("a/b/").
const MarkerContentType = "application/x-directory"

// IsDirMarker reports whether an object is a directory marker: its key
// ends in "/" and it holds no data, or its Content-Type says it is a
// directory. The content type is not required, since the OSS console,
// ossutil and SDK users create "dir/" objects as application/octet-stream
// or without a type; it only rescues markers that were given a body.
//
// A "dir/" object with data and an ordinary content type is not a marker:
// the directory still exists (its key ends in "/", so it is reached only as
// one), but rmdir must not delete the object, since that would lose data.
//
// The older conventions are not markers for us:
//   - "dir" objects with S_IFDIR in their mode (s3fs before 1.63): see
//     Decode, which shows them as files.
//   - "dir_$folder$" objects (Hadoop's s3n and the tools that copied it).
//     ossfs 1.x lists them as the directory "dir" when its compat_dir is
//     on, which is the default in Aliyun's builds (support_compat_dir =
//     true) and is no longer upstream s3fs's. We show them as the
//     zero-byte files they are: treating them as directories would oblige
//     every rmdir and rename to find and delete them, and a "_$folder$"
//     object that holds data would be deleted with its directory. The
//     directory itself still appears (implicitly) whenever it has children.
func IsDirMarker(key, contentType string, size int64) bool {
	if !strings.HasSuffix(key, "/") {
		return false
	}
	return size == 0 || isDirContentType(contentType)
}

// isDirContentType reports whether a Content-Type names a directory:
// ours, or httpd/unix-directory, which Nextcloud writes and ossfs accepts.
func isDirContentType(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	return ct == MarkerContentType || ct == "httpd/unix-directory"
}
