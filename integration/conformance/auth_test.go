package conformance

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

// Authentication (OSS-API.md §2): both signature versions over every kind
// of request ossio sends, and the documented failures.

var signatures = []struct {
	name string
	opts []envOption
	ec   string // EC of SignatureDoesNotMatch
}{
	{"V4", nil, "0002-00000201"},
	{"V1", []envOption{withV1()}, "0002-00000040"},
}

// TestSignedWorkload runs every Client operation, including the signed
// sub-resources (append, position, symlink, uploads, uploadId, partNumber,
// continuation-token, delete) and keys that need escaping, with each
// signature version: the emulator must verify all of them.
func TestSignedWorkload(t *testing.T) {
	t.Parallel()
	for _, sig := range signatures {
		t.Run(sig.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sig.opts...)
			c := e.Client
			ctx := ctxT(t)
			data := content(20, 200<<10)
			put(t, c, "w/a", data)
			if _, err := c.HeadObject(ctx, "w/a"); err != nil {
				t.Error(err)
			}
			if body, _ := get(t, c, ossio.GetRequest{Key: "w/a", Offset: 10, Length: 20}); !bytes.Equal(body, data[10:30]) {
				t.Error("ranged GET returned the wrong bytes")
			}
			for pos := int64(0); pos < 300; pos += 100 {
				if _, err := c.AppendObject(ctx, ossio.AppendRequest{Key: "w/log", Position: pos, Body: bytes.NewReader(data[:100]), Size: 100}); err != nil {
					t.Error(err)
				}
			}
			if _, err := c.CopyObject(ctx, ossio.CopyRequest{SrcKey: "w/a", DstKey: "w/b", Directive: ossio.MetadataReplace, Meta: map[string]string{"x": "y"}}); err != nil {
				t.Error(err)
			}
			if err := c.PutSymlink(ctx, ossio.PutSymlinkRequest{Key: "w/link", Target: "w/a"}); err != nil {
				t.Error(err)
			}
			if _, err := c.GetSymlink(ctx, "w/link"); err != nil {
				t.Error(err)
			}
			id := initiate(t, c, "w/mp")
			p1 := uploadPart(t, c, "w/mp", id, 1, data)
			p2, err := c.UploadPartCopy(ctx, ossio.UploadPartCopyRequest{Key: "w/mp", UploadID: id, Number: 2, SrcKey: "w/a", Offset: 5, Length: 50})
			if err != nil {
				t.Error(err)
			}
			if parts, err := c.ListParts(ctx, "w/mp", id); err != nil || len(parts) != 2 {
				t.Errorf("ListParts: %v %v", parts, err)
			}
			if _, err := c.CompleteMultipart(ctx, ossio.CompleteMultipartRequest{Key: "w/mp", UploadID: id, Parts: []ossio.Part{p1, p2}}); err != nil {
				t.Error(err)
			}
			if err := c.AbortMultipart(ctx, "w/other", initiate(t, c, "w/other")); err != nil {
				t.Error(err)
			}
			listAll(t, c, ossio.ListRequest{Prefix: "w/", MaxKeys: 2}, []int{2, 2, 1})
			if err := c.DeleteObjects(ctx, []string{"w/a", "w/b"}); err != nil {
				t.Error(err)
			}
			if err := c.DeleteObject(ctx, "w/log"); err != nil {
				t.Error(err)
			}
			exerciseSpecialKeys(t, c)
			if st := e.stats(t); len(st.Errors) != 0 {
				t.Errorf("signed workload: errors %v", st.Errors)
			}
		})
	}
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	for _, sig := range signatures {
		t.Run(sig.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sig.opts...)
			put(t, e.Client, "k", []byte("k"))
			ctx := ctxT(t)
			badSecret := e.newClient(t, func(c *ossio.Config) {
				c.Credentials = credentials.NewStaticCredentialsProvider(testAK, "wrong-secret")
			})
			_, err := badSecret.PutObject(ctx, ossio.PutRequest{Key: "bad", Body: strings.NewReader("x"), Size: 1})
			if oe := wantErr(t, err, ossio.ErrAccessDenied, 403, "SignatureDoesNotMatch"); oe != nil && oe.EC != sig.ec {
				t.Errorf("SignatureDoesNotMatch EC %q, want %s", oe.EC, sig.ec)
			}
			_, err = badSecret.HeadObject(ctx, "k")
			wantErr(t, err, ossio.ErrAccessDenied, 403, "SignatureDoesNotMatch")
			_, err = badSecret.ListObjects(ctx, ossio.ListRequest{})
			wantErr(t, err, ossio.ErrAccessDenied, 403, "SignatureDoesNotMatch")

			unknown := e.newClient(t, func(c *ossio.Config) {
				c.Credentials = credentials.NewStaticCredentialsProvider("LTAIunknownKey", testSK)
			})
			_, err = unknown.GetObject(ctx, wholeGet("k"))
			wantErr(t, err, ossio.ErrAccessDenied, 403, "InvalidAccessKeyId")
			_, err = unknown.HeadObject(ctx, "k")
			wantErr(t, err, ossio.ErrAccessDenied, 403, "InvalidAccessKeyId")
			// An unknown key against a missing bucket: the bucket check comes first.
			nowhere := e.newClient(t, func(c *ossio.Config) {
				c.Credentials = credentials.NewStaticCredentialsProvider("LTAIunknownKey", testSK)
				c.Bucket = "no-such-bucket"
			})
			_, err = nowhere.GetObject(ctx, wholeGet("k"))
			wantErr(t, err, ossio.ErrNoSuchBucket, 404, "NoSuchBucket")

			anonymous := e.newClient(t, func(c *ossio.Config) { c.Credentials = nil })
			_, err = anonymous.GetObject(ctx, wholeGet("k"))
			wantErr(t, err, ossio.ErrAccessDenied, 403, "AccessDenied")

			if _, err := e.Client.HeadObject(ctx, "bad"); err == nil {
				t.Error("a PUT with a bad signature created its object")
			}
			if sig.name != "V1" {
				return
			}
			// V1 mismatches carry the server's string to sign.
			rc := e.rawClient(t, func(c *oss.Config) *oss.Config {
				return c.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testAK, "wrong-secret"))
			})
			_, err = rc.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("k")})
			se := wantServiceErr(t, err, 403, "SignatureDoesNotMatch")
			var doc struct{ OSSAccessKeyId, SignatureProvided, StringToSign, StringToSignBytes string } //nolint:revive // OSS names
			if se == nil || xml.Unmarshal(se.Snapshot, &doc) != nil || doc.OSSAccessKeyId != testAK || doc.SignatureProvided == "" ||
				!strings.Contains(doc.StringToSign, "/"+testBucket+"/k") || doc.StringToSignBytes == "" {
				t.Errorf("V1 SignatureDoesNotMatch document lacks the signing details: %+v", doc)
			}
		})
	}
}

// TestRequestTimeTooSkewed runs the emulator's clock 20 minutes off (either
// way). Without retries the request fails with 403 RequestTimeTooSkewed;
// with them the SDK adopts the server's Date and the retry succeeds.
func TestRequestTimeTooSkewed(t *testing.T) {
	t.Parallel()
	for _, sig := range signatures {
		for _, skew := range []time.Duration{20 * time.Minute, -20 * time.Minute} {
			t.Run(fmt.Sprintf("%s/%v", sig.name, skew), func(t *testing.T) {
				t.Parallel()
				opts := append([]envOption{withEmulator(func(o *ossemu.Options) {
					o.Now = func() time.Time { return time.Now().Add(skew) }
				})}, sig.opts...)
				e := newEnv(t, opts...)
				_, err := e.Client.HeadObject(ctxT(t), "k")
				if oe := wantErr(t, err, ossio.ErrAccessDenied, 403, "RequestTimeTooSkewed"); oe != nil && oe.EC != "0002-00000504" {
					t.Errorf("RequestTimeTooSkewed EC %q, want 0002-00000504", oe.EC)
				}

				e.resetStats(t)
				retrying := e.newClient(t, func(c *ossio.Config) { c.MaxAttempts = 3 })
				put(t, retrying, "k", []byte("skewed"))
				put(t, retrying, "k2", []byte("skewed"))
				st := e.stats(t)
				if st.Errors["RequestTimeTooSkewed"] != 1 || st.Requests["PutObject"] != 3 {
					t.Errorf("with retries: requests %v errors %v; want one RequestTimeTooSkewed, then the corrected clock", st.Requests, st.Errors)
				}
			})
		}
	}
	t.Run("within 15 minutes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withEmulator(func(o *ossemu.Options) { o.Now = func() time.Time { return time.Now().Add(10 * time.Minute) } }))
		put(t, e.Client, "k", []byte("ok"))
		if st := e.stats(t); len(st.Errors) != 0 {
			t.Errorf("10 minutes of skew: errors %v", st.Errors)
		}
	})
}

func TestSecurityToken(t *testing.T) {
	t.Parallel()
	for _, sig := range signatures {
		t.Run(sig.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]envOption{withEmulator(func(o *ossemu.Options) {
				o.Credentials = append(o.Credentials, ossemu.Credential{AccessKeyID: "STS.tempKey", AccessKeySecret: "temp-secret", SecurityToken: "sts-token-123"})
			})}, sig.opts...)
			e := newEnv(t, opts...)
			c := e.newClient(t, func(c *ossio.Config) {
				c.Credentials = credentials.NewStaticCredentialsProvider("STS.tempKey", "temp-secret", "sts-token-123")
			})
			put(t, c, "sts", []byte("token"))
			if body, _ := get(t, c, wholeGet("sts")); string(body) != "token" {
				t.Errorf("read %q", body)
			}
		})
	}
}

// TestPresignedURLs fetches presigned GETs with plain HTTP, then again once
// the emulator's clock has passed their expiry.
func TestPresignedURLs(t *testing.T) {
	t.Parallel()
	for _, sig := range signatures {
		expiredEC := map[string]string{"V1": "0002-00000069", "V4": "0002-00000236"}[sig.name]
		t.Run(sig.name, func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{t: time.Now()}
			e := newEnv(t, append([]envOption{withEmulator(func(o *ossemu.Options) { o.Now = clk.Now })}, sig.opts...)...)
			put(t, e.Client, "pre signed+key", []byte("presigned"))
			p, err := e.rawClient(t).Presign(ctxT(t), &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("pre signed+key")},
				func(o *oss.PresignOptions) { o.Expires = time.Minute })
			if err != nil {
				t.Fatal(err)
			}
			fetch := func() (*http.Response, string) {
				t.Helper()
				resp, err := http.Get(p.URL)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			if resp, body := fetch(); resp.StatusCode != 200 || body != "presigned" {
				t.Errorf("presigned GET: %d %q", resp.StatusCode, body)
			}
			clk.Advance(2 * time.Minute)
			if resp, _ := fetch(); resp.StatusCode != 403 || resp.Header.Get("x-oss-ec") != expiredEC {
				t.Errorf("expired presigned GET: status %d EC %q, want 403 EC %s", resp.StatusCode, resp.Header.Get("x-oss-ec"), expiredEC)
			}
		})
	}
}
