package ossio

import (
	"hash/crc64"
	"io"
)

// The CRC-64 of x-oss-hash-crc64ecma: Go's crc64 with the ECMA table
// (CRC-64/XZ), chained with crc64.Update.
var crcTable = crc64.MakeTable(crc64.ECMA)

// crcPoly is the reflected ECMA polynomial.
const crcPoly = 0xC96C5795D7870F42

// crcX2n[k] is x^(2^k) modulo the polynomial, for crc64Combine.
var crcX2n = func() (t [64]uint64) {
	p := uint64(1) << 62 // x^1
	for k := range t {
		t[k] = p
		p = crcMultModP(p, p)
	}
	return t
}()

func crc64Update(crc uint64, b []byte) uint64 { return crc64.Update(crc, crcTable, b) }

// crc64Combine returns the CRC-64 of A followed by B from crcA, crcB and
// the length of B, as zlib's crc32_combine does: crcA times x^(8*lenB),
// plus crcB. It costs O(log lenB), so a completed upload's CRC comes from
// its parts' without re-reading them.
func crc64Combine(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA
	}
	return crcMultModP(crcX2nModP(lenB, 3), crcA) ^ crcB
}

// crcMultModP multiplies two polynomials modulo the CRC polynomial, all
// reflected (bit 63 is x^0).
func crcMultModP(a, b uint64) uint64 {
	if a == 0 {
		return 0
	}
	m := uint64(1) << 63
	var p uint64
	for {
		if a&m != 0 {
			p ^= b
			if a&(m-1) == 0 {
				return p
			}
		}
		m >>= 1
		if b&1 != 0 {
			b = b>>1 ^ crcPoly
		} else {
			b >>= 1
		}
	}
}

// crcX2nModP returns x^(n * 2^k) modulo the polynomial.
func crcX2nModP(n int64, k uint) uint64 {
	p := uint64(1) << 63 // x^0
	for n != 0 {
		if n&1 != 0 {
			p = crcMultModP(crcX2n[k&63], p)
		}
		n >>= 1
		k++
	}
	return p
}

// crcMismatch reports whether OSS reported a CRC-64 that differs from the
// one of the bytes sent. 0 stands for "not reported": the Client's results
// cannot tell it from a real 0, which is the CRC of no bytes (and of
// other data with odds of 2^-64), so an object's check is skipped then, as
// the SDK's own check is when the header is missing.
func crcMismatch(got, sent uint64) bool { return got != 0 && got != sent }

// hashingSection is a part body that computes the CRC-64 of the bytes the
// client actually read and sent, however often it rewinds to retry: bytes
// are hashed the first time they are read.
type hashingSection struct {
	r      *io.SectionReader
	pos    int64
	hashed int64 // bytes [0, hashed) are in crc
	crc    uint64
}

func (h *hashingSection) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if end := h.pos + int64(n); h.pos <= h.hashed && end > h.hashed {
		h.crc = crc64Update(h.crc, p[h.hashed-h.pos:n])
		h.hashed = end
	}
	h.pos += int64(n)
	return n, err
}

func (h *hashingSection) Seek(offset int64, whence int) (int64, error) {
	pos, err := h.r.Seek(offset, whence)
	if err == nil {
		h.pos = pos
	}
	return pos, err
}

// sum returns the CRC-64 of the whole section, reading what the client
// skipped.
func (h *hashingSection) sum() (uint64, error) {
	if h.hashed == h.r.Size() {
		return h.crc, nil
	}
	sec := io.NewSectionReader(h.r, h.hashed, h.r.Size()-h.hashed)
	w := crc64.New(crcTable)
	if _, err := io.Copy(w, sec); err != nil {
		return 0, err
	}
	return crc64Combine(h.crc, w.Sum64(), h.r.Size()-h.hashed), nil
}
