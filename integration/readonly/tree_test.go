package readonly

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// object is one seeded object.
type object struct {
	key         string
	body        []byte
	meta        map[string]string // x-oss-meta-* without the prefix
	contentType string
	native      string // when set, a native OSS symlink to this key
}

const (
	dirType = "application/x-directory"

	bigKey      = "big/big.bin"
	bigSize     = 512 << 20
	bigPartSize = 16 << 20
	manyN       = 2500 // entries of many/
	tttN        = 168  // entries of ttt/, as xfstests generic/257
	dBinSize    = 300_000
)

var (
	bigPattern = harness.Pattern{Seed: 512}
	dBin       = harness.Pattern{Seed: 1}.Bytes(0, dBinSize)
	// longName is one byte over NAME_MAX.
	longName = strings.Repeat("n", 256)
)

// tree is everything seeded but the generated directories (many/, ttt/) and
// the big object. data/ holds no symlink and no unrepresentable key, so it
// can be copied out and compared with a local copy (writeLocal).
var tree = []object{
	{key: "data/hello.txt", body: []byte("hello, world\n")},
	{key: "data/empty", body: []byte{}},
	{key: "data/a/top.txt", body: []byte("top of a\n")},
	{key: "data/a/b/c.txt", body: []byte("c lives in a/b, an implicit directory\n")},
	{key: "data/a/b/d.bin", body: dBin},
	{key: "data/empty-dir/", contentType: dirType, body: []byte{}},
	{key: "data/unicode/héllo wörld.txt", body: []byte("accents and a space\n")},
	{key: "data/unicode/日本語 ファイル.txt", body: []byte("日本語\n")},
	{key: "data/unicode/space dir/inner file.txt", body: []byte("inner\n")},
	{key: "data/grep/needle.txt", body: []byte("alpha\nthe NEEDLE-42 is here\nomega\n")},
	{key: "data/grep/deep/er/also.txt", body: []byte("NEEDLE-42 again\n")},
	{key: "data/grep/nope.txt", body: []byte("needle-41, not it\n")},
	{key: "data/meta/exec.sh", body: []byte("#!/bin/sh\necho hi\n"),
		meta: map[string]string{"mode": "33261", "uid": "1000", "gid": "1000", "mtime": "1600000000"}},
	{key: "data/meta/private", body: []byte("secret\n"),
		meta: map[string]string{"mode": "33152", "uid": "1234", "gid": "5678", "mtime": "1500000000.123456789"}},
	{key: "data/meta/octal", body: []byte("mode in octal\n"),
		meta: map[string]string{"mode": "0100640", "uid": "7", "gid": "8", "mtime": "1234567890"}},
	{key: "data/meta/dir700/", contentType: dirType, body: []byte{},
		meta: map[string]string{"mode": "16832", "uid": "42", "gid": "43", "mtime": "1400000000"}},
	{key: "data/meta/dir700/inside.txt", body: []byte("inside a 0700 directory\n")},

	{key: "links/native", native: "data/hello.txt"},
	{key: "links/ossfs", body: []byte("../data/a/b/c.txt"),
		meta: map[string]string{"mode": "41471", "uid": "1000", "gid": "1000", "mtime": "1600000001"}},

	{key: "conflict/x", body: []byte("the file x, hidden by the directory x/\n")},
	{key: "conflict/x/inside.txt", body: []byte("inside x/\n")},

	{key: "weird/ok.txt", body: []byte("ok\n")},
	{key: "weird/dir/fine.txt", body: []byte("fine\n")},
	{key: "weird/bad//key", body: []byte("empty component\n")},
	{key: "weird/dir/./x", body: []byte("dot component\n")},
	{key: "weird/dir/../y", body: []byte("dot-dot component\n")},
	{key: "weird/" + longName, body: []byte("name over NAME_MAX\n")},
}

// manyKey and manyBody define the entries of many/.
func manyKey(i int) string { return fmt.Sprintf("many/f%04d", i) }
func manyBody(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("entry %d\n", i)), i%7+1)
}

// allSmall returns tree plus the generated directories.
func allSmall() []object {
	out := append([]object(nil), tree...)
	for i := range manyN {
		out = append(out, object{key: manyKey(i), body: manyBody(i)})
	}
	for i := 1; i <= tttN; i++ {
		out = append(out, object{key: fmt.Sprintf("ttt/%d", i), body: []byte{}})
	}
	return out
}

// seedTree puts every small object with 16 parallel writers.
func seedTree(ctx context.Context, c ossio.Client) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, o := range allSmall() {
		g.Go(func() error {
			if o.native != "" {
				return c.PutSymlink(ctx, ossio.PutSymlinkRequest{Key: o.key, Target: o.native})
			}
			_, err := c.PutObject(ctx, ossio.PutRequest{
				Key: o.key, Body: bytes.NewReader(o.body), Size: int64(len(o.body)),
				ContentType: o.contentType, Meta: o.meta,
			})
			return err
		})
	}
	return g.Wait()
}

// seedBig uploads bigPattern as a multipart object, generating the parts in
// order (and hashing them) while up to 4 are in flight.
func seedBig(ctx context.Context, c ossio.Client) ([32]byte, error) {
	var sum [32]byte
	id, err := c.InitiateMultipart(ctx, ossio.InitiateMultipartRequest{Key: bigKey})
	if err != nil {
		return sum, err
	}
	h := sha256.New()
	parts := make([]ossio.Part, bigSize/bigPartSize)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	src := bigPattern.Reader(bigSize)
	for i := range parts {
		buf := make([]byte, bigPartSize)
		if _, err := io.ReadFull(src, buf); err != nil {
			return sum, err
		}
		h.Write(buf)
		g.Go(func() error {
			p, err := c.UploadPart(gctx, ossio.UploadPartRequest{
				Key: bigKey, UploadID: id, Number: i + 1, Body: bytes.NewReader(buf), Size: int64(len(buf)),
			})
			parts[i] = p
			return err
		})
	}
	if err := g.Wait(); err != nil {
		_ = c.AbortMultipart(ctx, bigKey, id)
		return sum, err
	}
	if _, err := c.CompleteMultipart(ctx, ossio.CompleteMultipartRequest{Key: bigKey, UploadID: id, Parts: parts}); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// body returns the seeded body of key.
func body(key string) []byte {
	for _, o := range allSmall() {
		if o.key == key {
			return o.body
		}
	}
	panic("no seeded object " + key)
}

// files returns the regular files seeded under prefix (keys relative to
// the mount root => bodies), leaving out markers, symlinks and the file
// hidden by a directory.
func files(prefix string) map[string][]byte {
	out := map[string][]byte{}
	for _, o := range allSmall() {
		if !strings.HasPrefix(o.key, prefix) || strings.HasSuffix(o.key, "/") || o.native != "" || o.meta["mode"] == "41471" {
			continue
		}
		if o.key == "conflict/x" || strings.HasPrefix(o.key, "weird/") {
			continue
		}
		out[o.key] = o.body
	}
	return out
}

// writeLocal writes the seeded data/ tree under dir, from the same bodies.
func writeLocal(dir string) error {
	for _, o := range tree {
		if !strings.HasPrefix(o.key, "data/") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(o.key))
		if strings.HasSuffix(o.key, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, o.body, 0o644); err != nil {
			return err
		}
	}
	return nil
}
