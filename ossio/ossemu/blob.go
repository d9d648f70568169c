package ossemu

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
)

// blob is the immutable content of one object version (or one multipart
// part). Readers take a blob under the bucket lock and read it afterwards
// without any lock: nothing ever changes the bytes [0, size) of a blob, so
// a reader never sees a torn object.
type blob interface {
	// size is the number of bytes in the blob.
	size() int64
	// open returns a reader over [off, off+n) of the blob. The caller closes it.
	open(off, n int64) (io.ReadCloser, error)
}

// memBlob is a blob held in memory as a list of chunks. Appends and
// multipart assembly share chunks with earlier blobs instead of copying,
// so a 1 GiB multipart complete costs no memcpy and an append costs only
// its own bytes.
type memBlob struct {
	chunks [][]byte
	starts []int64 // starts[i] is the offset of chunks[i]
	total  int64
}

func newMemBlob(chunks ...[]byte) *memBlob {
	b := &memBlob{}
	for _, c := range chunks {
		b.add(c)
	}
	return b
}

func (b *memBlob) add(c []byte) {
	if len(c) == 0 {
		return
	}
	b.chunks = append(b.chunks, c)
	b.starts = append(b.starts, b.total)
	b.total += int64(len(c))
}

func (b *memBlob) size() int64 { return b.total }

// slice returns the bytes [off, off+n) as shared chunks.
func (b *memBlob) slice(off, n int64) *memBlob {
	out := &memBlob{}
	if n <= 0 {
		return out
	}
	i := sort.Search(len(b.starts), func(i int) bool { return b.starts[i]+int64(len(b.chunks[i])) > off })
	for ; i < len(b.chunks) && n > 0; i++ {
		c := b.chunks[i][off-b.starts[i]:]
		if int64(len(c)) > n {
			c = c[:n]
		}
		out.add(c)
		off += int64(len(c))
		n -= int64(len(c))
	}
	return out
}

// concat returns a blob with the chunks of a followed by those of b.
func (b *memBlob) concat(more *memBlob) *memBlob {
	out := &memBlob{}
	for _, c := range b.chunks {
		out.add(c)
	}
	for _, c := range more.chunks {
		out.add(c)
	}
	return out
}

func (b *memBlob) open(off, n int64) (io.ReadCloser, error) {
	return &chunkReader{chunks: b.slice(off, n).chunks}, nil
}

// chunkReader streams a list of chunks; WriteTo lets io.Copy hand each chunk
// to the response writer without an intermediate buffer.
type chunkReader struct {
	chunks [][]byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

func (r *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(r.chunks) > 0 {
		n, err := w.Write(r.chunks[0])
		total += int64(n)
		r.chunks[0] = r.chunks[0][n:]
		if err != nil {
			return total, err
		}
		r.chunks = r.chunks[1:]
	}
	return total, nil
}

func (r *chunkReader) Close() error { return nil }

// fileBlob is a blob stored in a file of the data directory. Several blobs
// may share one file (an appendable object grows its file in place; each
// version sees only its own prefix). The file is removed when the last
// blob referring to it is released and the object no longer uses it.
type fileBlob struct {
	f     *dataFile
	total int64
}

func (b *fileBlob) size() int64 { return b.total }

func (b *fileBlob) open(off, n int64) (io.ReadCloser, error) {
	if err := b.f.acquire(); err != nil {
		return nil, err
	}
	fh, err := os.Open(b.f.path)
	if err != nil {
		b.f.release()
		return nil, err
	}
	return &fileReader{SectionReader: io.NewSectionReader(fh, off, n), fh: fh, f: b.f}, nil
}

type fileReader struct {
	*io.SectionReader
	fh   *os.File
	f    *dataFile
	once sync.Once
}

func (r *fileReader) Close() error {
	err := r.fh.Close()
	r.once.Do(r.f.release)
	return err
}

// dataFile is a reference-counted file of the data directory. Objects hold
// one reference while they use the file; readers hold one while they read.
type dataFile struct {
	path string
	refs atomic.Int64
}

var errGone = errors.New("data file already removed")

func newDataFile(path string) *dataFile {
	f := &dataFile{path: path}
	f.refs.Store(1)
	return f
}

func (f *dataFile) acquire() error {
	for {
		n := f.refs.Load()
		if n <= 0 {
			return fmt.Errorf("%s: %w", f.path, errGone)
		}
		if f.refs.CompareAndSwap(n, n+1) {
			return nil
		}
	}
}

func (f *dataFile) release() {
	if f.refs.Add(-1) == 0 {
		_ = os.Remove(f.path)
	}
}
