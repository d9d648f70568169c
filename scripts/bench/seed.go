package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// Seeding: objects go in through ossio, never through the mount, with
// deterministic content (harness.Pattern), so that every run reads the
// same bytes.
const (
	bigObjectKey    = "w1/seq.bin"
	bigObjectSeed   = 1
	seedPartSize    = 16 << 20 // multipart part size of the W1 object
	seedPartsAtOnce = 4        // parts uploaded at once
	seedPutsAtOnce  = 64       // small objects uploaded at once
	listObjectSize  = 1 << 10  // bytes in each W7 object
	markerType      = "application/x-directory"
	regularMode     = "33188" // S_IFREG | 0644, as ossfs writes x-oss-meta-mode
	dirMode         = "16877" // S_IFDIR | 0755
)

// seedBigObject uploads the W1 object of size bytes by multipart upload
// with parallel parts.
func seedBigObject(ctx context.Context, c ossio.Client, size int64) error {
	p := harness.Pattern{Seed: bigObjectSeed}
	id, err := c.InitiateMultipart(ctx, ossio.InitiateMultipartRequest{Key: bigObjectKey, ContentType: "application/octet-stream"})
	if err != nil {
		return err
	}
	nparts := int((size + seedPartSize - 1) / seedPartSize)
	parts := make([]ossio.Part, nparts)
	err = forEach(ctx, nparts, seedPartsAtOnce, func(ctx context.Context, i int) error {
		off := int64(i) * seedPartSize
		n := min(seedPartSize, size-off)
		part, err := c.UploadPart(ctx, ossio.UploadPartRequest{
			Key: bigObjectKey, UploadID: id, Number: i + 1, Body: bytes.NewReader(p.Bytes(off, int(n))), Size: n,
		})
		parts[i] = part
		return err
	})
	if err == nil {
		_, err = c.CompleteMultipart(ctx, ossio.CompleteMultipartRequest{Key: bigObjectKey, UploadID: id, Parts: parts})
	}
	if err != nil {
		abortCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.AbortMultipart(abortCtx, bigObjectKey, id)
		return fmt.Errorf("seed %s: %w", bigObjectKey, err)
	}
	return nil
}

// listDir names a W7 directory: its path in the mount and object count.
type listDir struct {
	Name  string `json:"name"` // e.g. "d10k"
	Count int    `json:"count"`
}

// path is the directory's path relative to the mount's root.
func (d listDir) path() string { return "w7/" + d.Name }

// seedListDirs creates a marker for w7/ and for each directory, and Count
// objects of listObjectSize bytes in each, with ossfs metadata (mode, uid,
// gid, mtime) so that exact attributes differ from list-only ones.
func seedListDirs(ctx context.Context, c ossio.Client, dirs []listDir) error {
	markers := []string{"w7/"}
	for _, d := range dirs {
		markers = append(markers, d.path()+"/")
	}
	if err := putMarkers(ctx, c, markers...); err != nil {
		return err
	}
	for _, d := range dirs {
		p := harness.Pattern{Seed: uint64(1000 + d.Count)}
		err := forEach(ctx, d.Count, seedPutsAtOnce, func(ctx context.Context, i int) error {
			key := fmt.Sprintf("%s/file-%06d", d.path(), i)
			_, err := c.PutObject(ctx, ossio.PutRequest{
				Key: key, Body: bytes.NewReader(p.Bytes(int64(i)*listObjectSize, listObjectSize)), Size: listObjectSize,
				Meta: map[string]string{"mode": regularMode, "uid": "0", "gid": "0", "mtime": strconv.Itoa(1700000000 + i)},
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("seed %s: %w", d.path(), err)
		}
	}
	return nil
}

// putMarkers writes empty directory markers (keys ending in "/").
func putMarkers(ctx context.Context, c ossio.Client, keys ...string) error {
	for _, k := range keys {
		if !strings.HasSuffix(k, "/") {
			return fmt.Errorf("marker %q does not end in /", k)
		}
		if _, err := c.PutObject(ctx, ossio.PutRequest{
			Key: k, Body: bytes.NewReader(nil), Size: 0, ContentType: markerType,
			Meta: map[string]string{"mode": dirMode, "uid": "0", "gid": "0", "mtime": "1700000000"},
		}); err != nil {
			return fmt.Errorf("seed marker %s: %w", k, err)
		}
	}
	return nil
}

// forEach calls fn(ctx, i) for i in [0, n) with at most width calls at
// once. The first error cancels the calls not yet started and is returned.
func forEach(ctx context.Context, n, width int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range min(width, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}
