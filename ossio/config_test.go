package ossio

import (
	"net/http"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

func TestParseEndpoint(t *testing.T) {
	cases := []struct {
		in        string
		host      string
		plainHTTP bool
		ok        bool
	}{
		{"http://127.0.0.1:9000", "127.0.0.1:9000", true, true},
		{"HTTPS://oss-cn-hangzhou.aliyuncs.com/", "oss-cn-hangzhou.aliyuncs.com", false, true},
		{"oss-cn-hangzhou-internal.aliyuncs.com", "oss-cn-hangzhou-internal.aliyuncs.com", false, true},
		{"localhost:9000", "localhost:9000", false, true},
		{"", "", false, false},
		{"ftp://host", "", false, false},
		{"http://", "", false, false},
		{"http://host/bucket", "", false, false},
		{"http://host?x=1", "", false, false},
		{"http://user@host", "", false, false},
	}
	for _, tc := range cases {
		host, plain, err := parseEndpoint(tc.in)
		if (err == nil) != tc.ok || host != tc.host || plain != tc.plainHTTP {
			t.Errorf("parseEndpoint(%q) = %q, %v, %v; want %q, %v, ok=%v", tc.in, host, plain, err, tc.host, tc.plainHTTP, tc.ok)
		}
	}
}

func TestNewValidates(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("ak", "sk")
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"v4 signed", Config{Endpoint: "http://127.0.0.1:1", Bucket: "bkt", Region: "cn-hangzhou", Credentials: creds}, true},
		{"anonymous without region", Config{Endpoint: "http://127.0.0.1:1", Bucket: "bkt"}, true},
		{"v1 without region", Config{Endpoint: "h", Bucket: "bkt", Credentials: creds, SignatureV1: true}, true},
		{"v4 signed without region", Config{Endpoint: "h", Bucket: "bkt", Credentials: creds}, false},
		{"bad region", Config{Endpoint: "h", Bucket: "bkt", Region: "CN_Hangzhou"}, false},
		{"uppercase bucket", Config{Endpoint: "h", Bucket: "Bkt"}, false},
		{"short bucket", Config{Endpoint: "h", Bucket: "b"}, false},
		{"no endpoint", Config{Bucket: "bkt"}, false},
		{"negative attempts", Config{Endpoint: "h", Bucket: "bkt", MaxAttempts: -1}, false},
		{"negative request timeout", Config{Endpoint: "h", Bucket: "bkt", RequestTimeout: -time.Second}, false},
	}
	for _, tc := range cases {
		c, err := New(tc.cfg)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err == nil && c == nil {
			t.Errorf("%s: nil client", tc.name)
		}
	}
}

// TestHTTPClientTimeouts checks that RequestTimeout reaches the wait for
// response headers and the connect, which a shorter ConnectTimeout or the
// default bounds further.
func TestHTTPClientTimeouts(t *testing.T) {
	for _, tc := range []struct {
		cfg                 Config
		wantHeader, wantTLS time.Duration
	}{
		{Config{}, DefaultRequestTimeout, DefaultConnectTimeout},
		{Config{RequestTimeout: 2 * time.Second}, 2 * time.Second, 2 * time.Second},
		{Config{RequestTimeout: time.Minute, ConnectTimeout: 3 * time.Second}, time.Minute, 3 * time.Second},
	} {
		tr := newHTTPClient(tc.cfg).Transport.(*http.Transport)
		if tr.ResponseHeaderTimeout != tc.wantHeader || tr.TLSHandshakeTimeout != tc.wantTLS {
			t.Errorf("%+v: ResponseHeaderTimeout %v, TLSHandshakeTimeout %v; want %v, %v",
				tc.cfg, tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tc.wantHeader, tc.wantTLS)
		}
	}
}

func TestHTTPClientPoolAndCompression(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, DefaultMaxConnections}, {200, 200}} {
		hc := newHTTPClient(Config{MaxConnections: tc.in})
		tr, ok := hc.Transport.(*http.Transport)
		if !ok {
			t.Fatalf("transport is %T", hc.Transport)
		}
		if tr.MaxConnsPerHost != tc.want || tr.MaxIdleConnsPerHost != tc.want || !tr.DisableCompression {
			t.Errorf("MaxConnections %d: MaxConnsPerHost=%d MaxIdleConnsPerHost=%d DisableCompression=%v",
				tc.in, tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost, tr.DisableCompression)
		}
	}
}
