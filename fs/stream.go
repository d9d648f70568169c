package fs

import (
	"context"
	"io"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// stream is the multipart upload of a file written sequentially from its
// start: once the file outgrows one part, every write is also handed to
// an ossio.Upload, whose full parts go up in the background (memory
// bounded by the filesystem's byte budget), and flush only sends the last
// part and completes. The stage keeps every byte too, so a writer that
// stops being sequential, or an upload that fails, falls back to
// uploading the stage.
type stream struct {
	up   *ossio.Upload
	key  string    // the object it creates: a rename since makes it useless
	fed  int64     // bytes [0, fed) handed to up
	attr meta.Attr // the attributes the object is created with
}

// uploadOptions are the multipart settings of the mount.
func (f *FS) uploadOptions() ossio.UploadOptions {
	return ossio.UploadOptions{PartSize: f.opts.PartSize, Parallelism: f.opts.Parallelism, Budget: f.budget}
}

// partSize is the part size uploads of the mount use.
func (f *FS) partSize() int64 {
	if f.opts.PartSize > 0 {
		return max(f.opts.PartSize, ossio.MinPartSize)
	}
	return ossio.DefaultPartSize
}

// objectMeta is what an upload of s as key carries: the content type and
// user metadata of its base, with the stage's attributes.
func (s *staging) objectMeta(a meta.Attr) ossio.ObjectMeta {
	var old map[string]string
	contentType := ""
	if s.hasBase {
		old, contentType = s.base.userMeta, s.base.contentType
	}
	return ossio.ObjectMeta{ContentType: contentType, Meta: meta.Merge(old, a)}
}

// streamLocked hands the bytes just written at off to the stream, starting
// it once a sequential file outgrows one part. Any failure only ends the
// stream: the bytes are staged, and flush uploads the stage instead.
func (f *FS) streamLocked(ctx context.Context, s *staging, p []byte, off int64) {
	key := s.key
	// The stream waits for budget (and for parts in flight) under the
	// writer's lock; streams holding part of their buffers can wait on each
	// other for ever when the budget is short. Giving up on the stream
	// after a while ends any such wait: its bytes are staged.
	ctx, cancel := context.WithTimeout(ctx, f.opts.StreamWait)
	defer cancel()
	if s.appendable {
		return // append mode appends at each flush instead
	}
	if !s.sequential {
		f.dropStreamLocked(s)
		return
	}
	if s.stream == nil {
		if s.size < f.partSize() {
			return
		}
		s.stream = &stream{up: ossio.NewUpload(f.client, key, s.objectMeta(s.attr), f.uploadOptions()), key: key, attr: s.attr}
		// What was written before the file outgrew a part comes from disk.
		if err := f.feedFromStage(ctx, s, s.size); err != nil {
			f.log.WithError(err).WithField("key", key).Debug("streaming upload ended; the stage will be uploaded at flush")
			f.dropStreamLocked(s)
			s.sequential = false
		}
		return // the stage held p already
	}
	if s.stream.fed != off || s.stream.key != key {
		f.dropStreamLocked(s)
		s.sequential = false
		return
	}
	if len(p) > 0 {
		if err := s.stream.up.Write(ctx, p); err != nil {
			f.log.WithError(err).WithField("key", key).Debug("streaming upload ended; the stage will be uploaded at flush")
			f.dropStreamLocked(s)
			s.sequential = false
			return
		}
		s.stream.fed += int64(len(p))
	}
}

// feedFromStage hands bytes [fed, end) of the stage file to the stream.
func (f *FS) feedFromStage(ctx context.Context, s *staging, end int64) error {
	buf := make([]byte, 1<<20)
	for s.stream.fed < end {
		n, err := s.file.ReadAt(buf[:min(int64(len(buf)), end-s.stream.fed)], s.stream.fed)
		if n == 0 && err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if err := s.stream.up.Write(ctx, buf[:n]); err != nil {
			return err
		}
		s.stream.fed += int64(n)
	}
	return nil
}

// dropStreamLocked ends the stream, aborting its multipart upload in the
// background (which also returns its buffers to the budget).
func (f *FS) dropStreamLocked(s *staging) {
	if s.stream == nil {
		return
	}
	up := s.stream.up
	s.stream = nil
	go func() {
		if err := up.Abort(context.Background()); err != nil {
			f.log.WithError(err).Debug("abort of an abandoned streaming upload failed")
		}
	}()
}
