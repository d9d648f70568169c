package harness

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os"
)

// patternBlock is the unit Pattern generates: every block has its own
// ChaCha8 stream, so any range is produced without the bytes before it.
const patternBlock = 64 << 10

// Pattern is deterministic pseudo-random content of unbounded length: its
// byte at offset i depends only on Seed and i. Tests seed an object from a
// Pattern and compare any range read through the mount with the same
// Pattern, so a 512 MiB object needs no 512 MiB copy in memory.
type Pattern struct {
	Seed uint64
}

// ReadAt fills b with the content at off. It never fails.
func (p Pattern) ReadAt(b []byte, off int64) (int, error) {
	var block [patternBlock]byte
	n := 0
	for n < len(b) {
		idx := (off + int64(n)) / patternBlock
		p.block(idx, &block)
		in := int((off + int64(n)) % patternBlock)
		n += copy(b[n:], block[in:])
	}
	return n, nil
}

// block fills buf with block number idx.
func (p Pattern) block(idx int64, buf *[patternBlock]byte) {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[0:], p.Seed)
	binary.LittleEndian.PutUint64(seed[8:], uint64(idx))
	binary.LittleEndian.PutUint64(seed[16:], 0x6f737366757365) // "ossfuse"
	_, _ = rand.NewChaCha8(seed).Read(buf[:])
}

// Bytes returns n bytes of content starting at off.
func (p Pattern) Bytes(off int64, n int) []byte {
	b := make([]byte, n)
	_, _ = p.ReadAt(b, off)
	return b
}

// Reader returns the first size bytes as a stream, generating each block
// once whatever the reader's buffer size.
func (p Pattern) Reader(size int64) io.Reader {
	return &patternReader{p: p, size: size, cur: -1}
}

type patternReader struct {
	p     Pattern
	size  int64
	off   int64
	cur   int64 // index of the block in buf; -1 for none
	block [patternBlock]byte
}

func (r *patternReader) Read(b []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if rest := r.size - r.off; int64(len(b)) > rest {
		b = b[:rest]
	}
	n := 0
	for n < len(b) {
		idx := r.off / patternBlock
		if idx != r.cur {
			r.p.block(idx, &r.block)
			r.cur = idx
		}
		c := copy(b[n:], r.block[r.off%patternBlock:])
		n += c
		r.off += int64(c)
	}
	return n, nil
}

// Sum256 returns the SHA-256 of the first size bytes.
func (p Pattern) Sum256(size int64) [32]byte {
	h := sha256.New()
	_, _ = io.CopyBuffer(h, p.Reader(size), make([]byte, 1<<20))
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// WriteFile writes the first size bytes to a local file (mode 0644).
func (p Pattern) WriteFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.Copy(w, p.Reader(size)); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
