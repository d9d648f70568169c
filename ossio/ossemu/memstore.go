package ossemu

import (
	"io"
	"time"
)

// memStore keeps every object in memory. Bodies are read once into
// chunks; later appends, copies and multipart assemblies share them.
type memStore struct{}

// readChunk is the chunk size for bodies of unknown length.
const readChunk = 8 << 20

func (memStore) write(r io.Reader, sizeHint int64) (blob, digests, error) {
	h := newHashingWriter()
	b := &memBlob{}
	chunk := int64(readChunk)
	if sizeHint >= 0 && sizeHint <= 8*readChunk {
		chunk = sizeHint + 1 // one allocation; the extra byte sees EOF
	}
	for {
		buf := make([]byte, chunk)
		n, err := readFull(r, buf)
		h.Write(buf[:n])
		b.add(buf[:n:n])
		if err == io.EOF {
			return b, h.digests(), nil
		}
		if err != nil {
			return nil, digests{}, err
		}
	}
}

// readFull fills buf from r. It returns io.EOF (and the bytes read) when
// the stream ended cleanly, nil when buf is full, or the stream's error —
// unlike io.ReadFull it keeps a truncated body's ErrUnexpectedEOF distinct
// from a clean end.
func readFull(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (memStore) appendData(old, extra blob) (blob, error) {
	return old.(*memBlob).concat(extra.(*memBlob)), nil
}

func (memStore) concat(parts []blob) (blob, error) {
	out := &memBlob{}
	for _, p := range parts {
		for _, c := range p.(*memBlob).chunks {
			out.add(c)
		}
	}
	return out, nil
}

func (memStore) slice(b blob, off, n int64) (blob, error) { return b.(*memBlob).slice(off, n), nil }

func (memStore) share(b blob) blob { return b }

func (memStore) drop(blob) {}

func (memStore) persist(string, *object) error { return nil }

func (memStore) unpersist(string, string) error { return nil }

func (memStore) createBucket(string) error { return nil }

func (memStore) deleteBucket(string) error { return nil }

func (memStore) load(time.Time) (map[string]*bucket, error) { return map[string]*bucket{}, nil }
