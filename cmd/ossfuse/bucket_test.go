package main

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"time"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

// emulator serves ossemu in-process on loopback, over https when tls is
// set, with one bucket and one key pair.
func emulator(t *testing.T, tls bool) *httptest.Server {
	t.Helper()
	srv, err := ossemu.New(ossemu.Options{
		Buckets:     []string{"bkt"},
		Credentials: []ossemu.Credential{{AccessKeyID: "id", AccessKeySecret: "right-secret"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // refused TLS handshakes are expected
	if tls {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)
	return hs
}

// check runs checkBucket for the command line args against the endpoint.
func check(t *testing.T, endpoint string, args ...string) error {
	t.Helper()
	cfg, err := parseArgs(append([]string{"bkt", "/m", "-o", "endpoint=" + endpoint + ",access_key_id=id,access_key_secret=right-secret"}, args...), defaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg.bucket, _, _ = strings.Cut(cfg.bucket, ":")
	client, _, err := newClient(cfg, discardLog(), nil, &requestLog{log: discardLog()})
	if err != nil {
		return err
	}
	mapper, err := meta.NewMapper("")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.mountTimeout)
	defer cancel()
	return checkBucket(ctx, cfg, client, mapper)
}

// TestCheckBucketExplainsFailures checks the one-line reasons given before
// mounting: a wrong secret, a missing bucket, an endpoint that does not
// answer.
func TestCheckBucketExplainsFailures(t *testing.T) {
	hs := emulator(t, false)
	if err := check(t, hs.URL); err != nil {
		t.Fatalf("the right key: %v", err)
	}
	err := check(t, hs.URL, "--access_key_secret=wrong-secret")
	if err == nil || !strings.Contains(err.Error(), "access to bucket bkt denied (SignatureDoesNotMatch)") || !strings.Contains(err.Error(), "request id") || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("wrong secret: %v", err)
	}
	cfgArgs := []string{"other", "/m", "-o", "endpoint=" + hs.URL + ",access_key_id=id,access_key_secret=right-secret"}
	cfg, _ := parseArgs(cfgArgs, defaultConfig())
	client, _, err := newClient(cfg, discardLog(), nil, &requestLog{log: discardLog()})
	if err != nil {
		t.Fatal(err)
	}
	mapper, _ := meta.NewMapper("")
	if err := checkBucket(context.Background(), cfg, client, mapper); err == nil || !strings.Contains(err.Error(), "bucket other does not exist at "+hs.URL) {
		t.Errorf("missing bucket: %v", err)
	}
	// A listener that accepts and never answers: the bound is mount_timeout.
	silent := httptest.NewUnstartedServer(nil)
	t.Cleanup(silent.Close)
	start := time.Now()
	err = check(t, "http://"+silent.Listener.Addr().String(), "--mount_timeout=300ms")
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms") || time.Since(start) > 5*time.Second {
		t.Errorf("silent endpoint: %v after %v", err, time.Since(start))
	}
}

// TestRequestTimeoutReachesTheClient checks that request_timeout bounds
// the requests of the mount's client: against a listener that accepts and
// never answers, the bucket check gives up after two attempts of 300ms,
// long before mount_timeout, and says why.
func TestRequestTimeoutReachesTheClient(t *testing.T) {
	silent := httptest.NewUnstartedServer(nil)
	t.Cleanup(silent.Close)
	start := time.Now()
	err := check(t, "http://"+silent.Listener.Addr().String(), "--request_timeout=300ms", "--mount_timeout=1m")
	elapsed := time.Since(start)
	bound := 3*ossio.RequestBound(ossio.Config{RequestTimeout: 300 * time.Millisecond}) + 10*time.Second
	if err == nil || !strings.Contains(err.Error(), "two attempts got no answer within 300ms (request_timeout)") || elapsed > bound {
		t.Errorf("silent endpoint: %v after %v, want request_timeout named within %v", err, elapsed, bound)
	}
}

// TestCAFileAndInsecure checks the TLS options against an https endpoint
// with a self-signed certificate: refused by default, accepted with its
// certificate as ca_file, or with insecure.
func TestCAFileAndInsecure(t *testing.T) {
	hs := emulator(t, true)
	err := check(t, hs.URL)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("self-signed endpoint without ca_file: %v, want a certificate error", err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
	if err := os.WriteFile(caFile, cert, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := check(t, hs.URL, "--ca_file="+caFile); err != nil {
		t.Errorf("with ca_file: %v", err)
	}
	if err := check(t, hs.URL, "--insecure"); err != nil {
		t.Errorf("with insecure: %v", err)
	}
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := check(t, hs.URL, "--ca_file="+notPEM); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("ca_file without a certificate: %v", err)
	}
}

func TestCheckMountpoint(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir      string
		nonempty bool
		want     string
	}{
		{filepath.Join(dir, "missing"), false, "does not exist"},
		{file, false, "is not a directory"},
		{dir, false, "is not empty"},
		{"/proc", true, "is busy"},
	} {
		if err := checkMountpoint(tc.dir, tc.nonempty); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("checkMountpoint(%s): %v, want %q", tc.dir, err, tc.want)
		}
	}
	if err := checkMountpoint(empty, false); err != nil {
		t.Errorf("an empty directory: %v", err)
	}
	if err := checkMountpoint(dir, true); err != nil {
		t.Errorf("a non-empty directory with nonempty: %v", err)
	}
}

func TestDefaultPermissionsFollowAllowOther(t *testing.T) {
	for opts, want := range map[string]bool{
		"":                                   false,
		"allow_other":                        true,
		"allow_other,no_default_permissions": false,
		"default_permissions":                true,
	} {
		cfg, err := parseArgs([]string{"bkt", "/m", "-o", "endpoint=e," + opts}, defaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(strings.Join(fuseMountOptions(cfg).Options, ","), "default_permissions")
		if got != want {
			t.Errorf("-o %s: default_permissions %v, want %v", opts, got, want)
		}
	}
}

// TestRunFailsClearly runs the command in the foreground against mounts
// that must be refused at once, with the reason on one line.
func TestRunFailsClearly(t *testing.T) {
	hs := emulator(t, false)
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bkt", t.TempDir() + "/missing", "-f", "-o", "endpoint=" + hs.URL}, "does not exist"},
		{[]string{"bkt", full, "-f", "-o", "endpoint=" + hs.URL}, "is not empty"},
		// Nothing listens on port 1 of loopback.
		{[]string{"bkt", t.TempDir(), "-f", "-o", "endpoint=http://127.0.0.1:1"}, "cannot reach bucket bkt at http://127.0.0.1:1"},
		{[]string{"bkt", t.TempDir(), "-f", "-o", "endpoint=" + hs.URL + ",access_key_id=id,access_key_secret=wrong"}, "access to bucket bkt denied"},
		{[]string{"nope", t.TempDir(), "-f", "-o", "endpoint=" + hs.URL + ",access_key_id=id,access_key_secret=right-secret"}, "bucket nope does not exist"},
	} {
		var out strings.Builder
		code := run("ossfuse", tc.args, &out, &out, false)
		if code != exitMount || !strings.Contains(out.String(), tc.want) || strings.Count(out.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want exit 1 and one line with %q", tc.args, code, out.String(), tc.want)
		}
	}
}

func TestAllowOtherNeedsUserAllowOther(t *testing.T) {
	dir := t.TempDir()
	without, with := filepath.Join(dir, "without.conf"), filepath.Join(dir, "with.conf")
	if err := os.WriteFile(without, []byte("# user_allow_other\nmount_max = 1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(with, []byte("mount_max = 1000\nuser_allow_other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	allow := config{allowOther: true}
	if err := checkAllowOther(allow, 1000, without); err == nil || !strings.Contains(err.Error(), "user_allow_other in "+without) {
		t.Errorf("a user without user_allow_other: %v", err)
	}
	if err := checkAllowOther(allow, 1000, filepath.Join(dir, "missing.conf")); err == nil {
		t.Errorf("a user without fuse.conf: accepted")
	}
	for _, ok := range []error{checkAllowOther(allow, 1000, with), checkAllowOther(allow, 0, without), checkAllowOther(config{}, 1000, without)} {
		if ok != nil {
			t.Errorf("refused: %v", ok)
		}
	}
}

// discardLog is a logger that writes nowhere.
func discardLog() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}
