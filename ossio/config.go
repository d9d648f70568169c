package ossio

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/retry"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultRequestTimeout is long enough for OSS to answer any request
	// ossfuse makes (a healthy OSS sends the first byte of an answer within
	// a second; the slowest is a server-side copy of up to MaxCopySize,
	// which OSS does in seconds) and short enough that a server that stops
	// answering fails an operation within a minute (see RequestTimeout).
	DefaultRequestTimeout = 30 * time.Second
	// DefaultConnectTimeout bounds a connect unless RequestTimeout is
	// shorter: a healthy endpoint completes one in milliseconds.
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxAttempts    = retry.DefaultMaxAttempts
	DefaultMaxConnections = 64
)

// Config describes how to reach one bucket.
type Config struct {
	// Endpoint is a URL ("http://127.0.0.1:9000") or a bare host[:port]
	// ("oss-cn-hangzhou.aliyuncs.com"); a bare host means https.
	Endpoint string
	// Region is the region ID, e.g. "cn-hangzhou"; required to sign with V4.
	Region string
	// Bucket is the bucket every call of the Client addresses.
	Bucket string
	// SignatureV1 signs requests with OSS signature version 1 instead of V4.
	SignatureV1 bool
	// PathStyle addresses the bucket as endpoint/bucket/key instead of
	// bucket.endpoint/key. The SDK switches to it by itself for IP endpoints.
	PathStyle bool
	// Credentials signs requests; nil means anonymous access.
	Credentials credentials.CredentialsProvider
	// RequestTimeout bounds every attempt of a request wherever it can
	// stall: connecting, waiting for the answer once the request is sent
	// (time to first byte), and any pause of a request or response body (no
	// byte moving for that long). It bounds waiting, not duration: an
	// upload or a download that keeps moving is never cut. An attempt that
	// times out fails with ErrTimeout; it is retried once at most (see
	// timeoutRetryer), so a server that stops answering fails a call within
	// RequestBound. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// ConnectTimeout bounds dialling and the TLS handshake; zero means
	// DefaultConnectTimeout or RequestTimeout, whichever is shorter.
	ConnectTimeout time.Duration
	// MaxAttempts is the number of attempts per request made by the SDK's
	// standard retryer; zero means DefaultMaxAttempts, 1 disables retries.
	MaxAttempts int
	// MaxConnections caps the connections to the bucket's host and sizes the
	// idle pool alike, so parallel ranged reads reuse their connections;
	// zero means DefaultMaxConnections.
	MaxConnections int
	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool
	// CAFile names a PEM bundle of the certificate authorities trusted for
	// https instead of the system's (a private endpoint, a test server).
	CAFile string
	// HTTPClient replaces the HTTP client New builds (tests). The timeouts
	// (but the retry rule of timeouts), MaxConnections, InsecureSkipVerify
	// and CAFile then do not apply.
	HTTPClient *http.Client
	// UserAgent is appended to the SDK's User-Agent.
	UserAgent string
	// OnRetry, when set, is called before every retry the SDK makes of a
	// request, with the Outcome of the attempt that failed (metrics).
	OnRetry func(outcome string)
	// OnFailedRequest, when set, hears of every request that failed: with
	// retrying true before the SDK retries it, false when the error goes
	// back to the caller. Routine answers (a missing key, a caller that
	// gave up) are not reported. It is how every failed request gets one
	// log line with its request ID.
	OnFailedRequest func(e *Error, retrying bool)

	// rootCAs is CAFile's content, loaded by New.
	rootCAs *x509.CertPool
}

// New validates cfg and returns a Client on the official OSS SDK.
func New(cfg Config) (Client, error) {
	if !oss.IsValidBucketName(&cfg.Bucket) {
		return nil, fmt.Errorf("ossio: invalid bucket name %q", cfg.Bucket)
	}
	host, plainHTTP, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Region != "" && !oss.IsValidRegion(cfg.Region) {
		return nil, fmt.Errorf("ossio: invalid region %q", cfg.Region)
	}
	creds := cfg.Credentials
	if creds == nil {
		// The SDK dereferences the provider on every request; anonymous
		// access needs its explicit marker type.
		creds = credentials.NewAnonymousCredentialsProvider()
	}
	_, anonymous := creds.(*credentials.AnonymousCredentialsProvider)
	if !cfg.SignatureV1 && !anonymous && cfg.Region == "" {
		return nil, errors.New("ossio: signature V4 needs a region")
	}
	if cfg.MaxAttempts < 0 || cfg.MaxConnections < 0 ||
		cfg.ConnectTimeout < 0 || cfg.RequestTimeout < 0 {
		return nil, errors.New("ossio: negative timeout, attempt or connection count")
	}
	attempts := orDefault(cfg.MaxAttempts, DefaultMaxAttempts)

	hc := cfg.HTTPClient
	if hc == nil {
		if cfg.rootCAs, err = loadCAFile(cfg.CAFile); err != nil {
			return nil, err
		}
		hc = newHTTPClient(cfg)
	}
	var base retry.Retryer = timeoutRetryer{retry.NewStandard(func(o *retry.RetryOptions) { o.MaxAttempts = attempts })}
	if cfg.OnRetry != nil || cfg.OnFailedRequest != nil {
		// Wrapped before the per-call commit-safe retryer wraps it in turn,
		// so the retries of every call are seen.
		base = observedRetryer{Retryer: base, onRetry: cfg.OnRetry, onFailed: cfg.OnFailedRequest}
	}
	sdkCfg := oss.LoadDefaultConfig().
		WithEndpoint(host).
		WithDisableSSL(plainHTTP).
		WithRegion(cfg.Region).
		WithCredentialsProvider(creds).
		WithUsePathStyle(cfg.PathStyle).
		WithRetryer(base).
		WithRetryMaxAttempts(attempts).
		WithHttpClient(hc).
		// Go's transport asks for gzip on non-range GETs by itself; OSS then
		// compresses text objects and drops ETag and Content-Length. Asking
		// for identity also covers an injected HTTPClient.
		WithDefaultRequestHeaders(map[string]string{"Accept-Encoding": "identity"})
	if cfg.SignatureV1 {
		sdkCfg = sdkCfg.WithSignatureVersion(oss.SignatureVersionV1)
	} else {
		sdkCfg = sdkCfg.WithSignatureVersion(oss.SignatureVersionV4)
	}
	if cfg.UserAgent != "" {
		sdkCfg = sdkCfg.WithUserAgent(cfg.UserAgent)
	}
	return newSDKClient(oss.NewClient(sdkCfg), cfg.Bucket, base, cfg.OnFailedRequest), nil
}

// parseEndpoint splits an endpoint into the host[:port] the SDK wants and
// whether it is plain http. The SDK itself would accept any string and fail
// on the first request; we reject malformed endpoints up front.
func parseEndpoint(endpoint string) (host string, plainHTTP bool, err error) {
	s := strings.TrimSpace(endpoint)
	if s == "" {
		return "", false, errors.New("ossio: empty endpoint")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false, fmt.Errorf("ossio: invalid endpoint %q: %w", endpoint, err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", false, fmt.Errorf("ossio: endpoint %q: scheme must be http or https", endpoint)
	case u.Host == "" || u.Hostname() == "":
		return "", false, fmt.Errorf("ossio: endpoint %q has no host", endpoint)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", false, fmt.Errorf("ossio: endpoint %q must be scheme://host[:port] only", endpoint)
	}
	return u.Host, scheme == "http", nil
}

// loadCAFile reads a PEM bundle of certificate authorities; an empty path
// means the system's (nil).
func loadCAFile(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ossio: CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ossio: CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
