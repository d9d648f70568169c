package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

// The workloads check what the mount stored, and clean up after it,
// through ossio: never through the mount under test.

// checkObjectSizes fails unless every key is an object of size bytes.
func checkObjectSizes(ctx context.Context, s *session, keys []string, size int64) error {
	for _, k := range keys {
		info, err := s.emu.client.HeadObject(ctx, k)
		if err != nil {
			return fmt.Errorf("HEAD %s after the write: %w", k, err)
		}
		if info.Size != size {
			return fmt.Errorf("%s holds %d bytes after the write, want %d", k, info.Size, size)
		}
	}
	return nil
}

// listSizes returns the size of every object under prefix, by key.
func listSizes(ctx context.Context, c ossio.Client, prefix string) (map[string]int64, error) {
	sizes := map[string]int64{}
	req := ossio.ListRequest{Prefix: prefix}
	for {
		page, err := c.ListObjects(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Objects {
			sizes[o.Key] = o.Size
		}
		if !page.IsTruncated {
			return sizes, nil
		}
		req.ContinuationToken = page.NextContinuationToken
	}
}

// getObject reads a whole (small) object.
func getObject(ctx context.Context, c ossio.Client, key string) ([]byte, error) {
	res, err := c.GetObject(ctx, ossio.GetRequest{Key: key, Length: -1})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

// deletePrefix deletes every object under prefix through ossio, even when
// the run's context is done.
func deletePrefix(s *session, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sizes, err := listSizes(ctx, s.emu.client, prefix)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(sizes))
	for k := range sizes {
		keys = append(keys, k)
	}
	return deleteObjects(s, keys)
}

// deleteObjects deletes keys through ossio (missing ones are fine), even
// when ctx is done, so that a failed run frees the emulator's memory too.
func deleteObjects(s *session, keys []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.emu.client.DeleteObjects(ctx, keys); err != nil {
		return fmt.Errorf("delete %v: %w", keys, err)
	}
	return nil
}
