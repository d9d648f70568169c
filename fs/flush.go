package fs

import (
	"context"
	"errors"
	"io"
	"maps"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// flushState is what a flush uploads, taken under the node's mutex; the
// stage's content cannot change until the flush ends (writes wait).
type flushState struct {
	key           string
	size          int64
	attr          meta.Attr
	contentGen    uint64
	attrGen       uint64
	contentDirty  bool
	explicitMtime bool
}

// uploadStage writes the stage's content and attributes to OSS with the
// cheapest strategy that is exact, and returns the resulting entry:
//
//   - attributes only: a self-copy with the new metadata;
//   - a new file of an append-mode mount, or bytes added at the end of an
//     Appendable object and nothing else changed: one AppendObject;
//   - a file written sequentially past one part: completing its stream;
//   - anything else: UploadFile, copying the unchanged ranges of a large
//     base inside OSS and sending the rest (a small file is one PutObject).
func (f *FS) uploadStage(ctx context.Context, s *staging, st flushState) (entry, error) {
	switch {
	case !st.contentDirty && s.hasBase && s.base.key == st.key && s.base.objType != ossio.TypeAppendable:
		e, err := f.replaceAttr(ctx, "", s.base, st.attr)
		e.attr.Size = st.size
		return e, err
	case s.appendable && !s.hasBase, s.canAppend(st):
		return f.appendStage(ctx, s, st)
	case s.stream != nil && s.stream.fed == st.size && s.stream.key == st.key:
		return f.completeStream(ctx, s, st)
	}
	return f.putStage(ctx, s, st)
}

// canAppend reports whether the flush adds bytes at the end of an
// Appendable base and changes nothing else an append cannot carry.
func (s *staging) canAppend(st flushState) bool {
	b := s.base
	return s.hasBase && b.objType == ossio.TypeAppendable && b.key == st.key &&
		s.baseValid == b.attr.Size && len(s.written.spans) == 0 && st.size-s.baseValid <= ossio.MaxPutSize &&
		!st.explicitMtime && st.attr.Mode == b.attr.Mode && st.attr.Uid == b.attr.Uid && st.attr.Gid == b.attr.Gid
}

// appendStage appends the bytes past the base's end with AppendObject (at
// 0 it creates the Appendable object). When another client appended
// meanwhile, OSS says where the object now ends and the bytes go there:
// like O_APPEND on a local file, appends land at the end, whoever wrote last.
func (f *FS) appendStage(ctx context.Context, s *staging, st flushState) (entry, error) {
	pos := s.baseValid
	// The mtime of an Appendable object is its Last-Modified, which each
	// append moves; an x-oss-meta-mtime would stay at the first append's.
	m := s.objectMeta(st.attr)
	delete(m.Meta, meta.MetaMtime)
	body := io.NewSectionReader(stageReader{ctx: ctx, fs: f, s: s}, s.baseValid, st.size-s.baseValid)
	req := ossio.AppendRequest{Key: st.key, Position: pos, Body: body, Size: st.size - s.baseValid, ContentType: m.ContentType, Meta: m.Meta}
	res, err := f.client.AppendObject(ctx, req)
	if next, ok := ossio.NextAppendPosition(err); ok && pos > 0 {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return entry{}, err
		}
		req.Position = next
		res, err = f.client.AppendObject(ctx, req)
		if err == nil {
			f.log.WithField("key", st.key).Info("another client appended to the object; appended after its bytes")
		}
	}
	if err != nil {
		return entry{}, err
	}
	e := entry{kind: kindFile, key: st.key, etag: res.ETag, attr: st.attr, objType: ossio.TypeAppendable, contentType: m.ContentType, userMeta: m.Meta}
	e.attr.Size = res.NextPosition
	return e, nil
}

// completeStream finishes the streaming upload. Its metadata was fixed
// when it started (OSS cannot change it at completion): the object's
// mtime is the time the stream started, and a mode, owner or mtime set
// since costs one self-copy.
func (f *FS) completeStream(ctx context.Context, s *staging, st flushState) (entry, error) {
	res, err := s.stream.up.Close(ctx)
	if err != nil {
		return entry{}, err
	}
	m := s.objectMeta(s.stream.attr)
	a := s.stream.attr
	a.Mtime, a.Size = meta.StoredTime(a.Mtime), st.size
	e := entry{kind: kindFile, key: st.key, etag: res.ETag, attr: a, exact: true, objType: ossio.TypeMultipart,
		contentType: m.ContentType, userMeta: m.Meta}
	if st.explicitMtime || st.attr.Mode != a.Mode || st.attr.Uid != a.Uid || st.attr.Gid != a.Gid {
		return f.replaceAttr(ctx, "", e, st.attr)
	}
	return e, nil
}

// putStage uploads the whole content, copying the ranges unchanged from a
// (non-Appendable: OSS cannot copy those) base inside OSS.
func (f *FS) putStage(ctx context.Context, s *staging, st flushState) (entry, error) {
	var copies *ossio.CopyRanges
	if b := s.base; s.hasBase && b.key == st.key && b.etag != "" && b.objType != ossio.TypeAppendable {
		copies = &ossio.CopyRanges{SrcKey: b.key, SrcETag: b.etag}
		for _, g := range s.written.gaps(0, s.baseValid) {
			copies.Ranges = append(copies.Ranges, ossio.Range{Offset: g.start, Length: g.end - g.start})
		}
	}
	m := s.objectMeta(st.attr)
	res, err := ossio.UploadFile(ctx, f.client, st.key, stageReader{ctx: ctx, fs: f, s: s}, st.size, m, f.uploadOptions(), copies)
	if err != nil {
		if errors.Is(err, ossio.ErrPreconditionFailed) {
			err = errors.Join(errStale, err)
		}
		return entry{}, err
	}
	a := st.attr
	a.Mtime, a.Size = meta.StoredTime(a.Mtime), st.size
	return entry{kind: kindFile, key: st.key, etag: res.ETag, attr: a, exact: true, objType: ossio.TypeNormal,
		contentType: m.ContentType, userMeta: maps.Clone(m.Meta)}, nil
}

// rebaseLocked makes e, just uploaded from the stage as st, the stage's
// base: every byte of the content is now either in the stage file or
// unchanged in e's object.
func (s *staging) rebaseLocked(e entry, st flushState) {
	present := s.fetched.union(&s.written)
	present.add(s.baseValid, st.size)
	present.clip(st.size)
	if e.attr.Size != st.size {
		// An append landed after another client's bytes: the stage no
		// longer mirrors the object, whose bytes are read from it again.
		present = spanSet{}
		_ = s.file.Truncate(0)
		_ = s.file.Truncate(e.attr.Size)
		s.size = e.attr.Size
	}
	s.base, s.hasBase, s.baseValid = e, true, e.attr.Size
	s.fetched, s.written = present, spanSet{}
	s.contentUploaded, s.attrUploaded = st.contentGen, st.attrGen
	s.appendable, s.sequential, s.stream, s.emptied = false, false, nil, false
	// The content is in OSS: should the journal fail to restart, the next
	// mount (if this process died) only saves a clean stage to recovery.
	_ = s.restartJournalLocked()
}
