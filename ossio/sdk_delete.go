package ossio

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// DeleteObject implements Client. OSS answers 204 for missing keys; a 404
// NoSuchKey from a less faithful server is treated the same.
func (c *sdkClient) DeleteObject(ctx context.Context, key string) error {
	const op = "DeleteObject"
	if err := checkKey(op, key); err != nil {
		return err
	}
	_, err := c.api.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: &c.bucket, Key: &key})
	if err = c.fail(op, key, err); errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// DeleteObjects implements Client. Batches are sent one after another in
// quiet mode, so a successful batch has no body; the first failing batch
// ends the call.
func (c *sdkClient) DeleteObjects(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := checkKey("DeleteObjects", k); err != nil {
			return err
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), MaxDeleteBatch)
		if err := c.deleteBatch(ctx, keys[:n]); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// deleteBatch sends one DeleteMultipleObjects request.
func (c *sdkClient) deleteBatch(ctx context.Context, keys []string) error {
	const op = "DeleteObjects"
	objects := make([]oss.DeleteObject, len(keys))
	for i := range keys {
		objects[i].Key = &keys[i]
	}
	// The SDK parses only <Deleted> entries, so per-key <Error> entries (the
	// only content of a quiet-mode answer) would vanish; keep the raw body.
	var body []byte
	capture := func(o *oss.Options) {
		o.ResponseHandlers = append(o.ResponseHandlers, func(resp *http.Response) error {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(b))
			body = b
			return err
		})
	}
	_, err := c.api.DeleteMultipleObjects(ctx, &oss.DeleteMultipleObjectsRequest{
		Bucket:  &c.bucket,
		Objects: objects,
		Quiet:   true,
	}, capture)
	if err != nil {
		return c.fail(op, keys[0], err)
	}
	return deleteFailures(keys, body)
}

// deleteFailures reports the <Error> entries of a DeleteResult body, if any.
// NoSuchKey entries are successes: missing keys count as deleted.
func deleteFailures(keys []string, body []byte) error {
	const op = "DeleteObjects"
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var result struct {
		Errors []struct {
			Key     string `xml:"Key"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
	}
	if err := xml.Unmarshal(body, &result); err != nil {
		return &Error{Op: op, Key: keys[0], Status: http.StatusOK, NextPosition: -1, Kind: ErrUnknown,
			Cause: fmt.Errorf("unreadable DeleteResult: %w", err)}
	}
	var failed []string
	var first *Error
	for _, f := range result.Errors {
		if f.Code == "NoSuchKey" {
			continue
		}
		key := f.Key
		if k, err := url.QueryUnescape(key); err == nil {
			key = k // encoding-type=url also applies to error entries
		}
		failed = append(failed, key)
		if first == nil {
			first = &Error{Op: op, Key: key, Code: f.Code, Status: http.StatusOK, NextPosition: -1,
				Kind: KindOf(f.Code, 0)}
		}
	}
	if first == nil {
		return nil
	}
	first.Message = fmt.Sprintf("%d of %d keys not deleted: %s", len(failed), len(keys), summarize(failed, 3))
	return first
}

// summarize lists up to n items and how many more there are.
func summarize(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
