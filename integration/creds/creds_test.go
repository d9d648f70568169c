// Package creds mounts ossfuse over an emulator that accepts only
// short-lived STS credentials, handed out by a credential process or by an
// ECS metadata service stub on loopback, and shows that the mount outlives
// them: ossfuse fetches the next credentials before the first expire, and
// no request is refused on the way. A passwd file mount is checked too.
//
// Each test starts its own anonymous emulator and then registers the
// credentials it accepts through the emulator's admin endpoint
// (POST /_ossemu/credentials), which switches signature checks on.
package creds

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

func TestMain(m *testing.M) { harness.Main(m) }

// lifetime is how long the first STS credentials of a test live. The mount
// (a race-built ossfuse on a busy machine) must come up well within it.
const lifetime = 6 * time.Second

// stsCred is a credential as the emulator's admin endpoint takes it.
type stsCred struct {
	AccessKeyID     string    `json:"accessKeyId"`
	AccessKeySecret string    `json:"accessKeySecret"`
	SecurityToken   string    `json:"securityToken,omitempty"`
	Expires         time.Time `json:"expires,omitempty"`
}

// seedCred is a long-term key the test itself writes objects with.
var seedCred = stsCred{AccessKeyID: "LTAIseedKey", AccessKeySecret: "seed-secret-never-in-a-log"}

// setCredentials makes creds the keys emu accepts.
func setCredentials(t *testing.T, emu *harness.Emulator, creds ...stsCred) {
	t.Helper()
	body, err := json.Marshal(creds)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post(emu.Endpoint+"/_ossemu/credentials", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("register credentials: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("register credentials: %s: %s", resp.Status, b)
	}
}

// seedClient returns a client of emu's bucket signing with seedCred.
func seedClient(t *testing.T, emu *harness.Emulator) ossio.Client {
	t.Helper()
	c, err := ossio.New(ossio.Config{
		Endpoint: emu.Endpoint, Region: emu.Region, Bucket: emu.Bucket,
		Credentials: credentials.NewStaticCredentialsProvider(seedCred.AccessKeyID, seedCred.AccessKeySecret),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func put(t *testing.T, c ossio.Client, key, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.PutObject(ctx, ossio.PutRequest{Key: key, Body: strings.NewReader(body), Size: int64(len(body))}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// newSTS returns STS credentials named n, expiring at exp.
func newSTS(n string, exp time.Time) stsCred {
	return stsCred{
		AccessKeyID:     "STS.key-" + n,
		AccessKeySecret: "sts-secret-" + n + "-never-in-a-log",
		SecurityToken:   "sts-token-" + n + "-never-in-a-log",
		Expires:         exp,
	}
}

// outlive is the body shared by the refresh tests. It starts an emulator
// accepting the seed key and first (STS, expiring in lifetime), mounts with
// the options mountOpts give for a source handing out first, and reads a
// file. It then registers second and calls handOut(second), so the source
// gives it from now on, and keeps the mount busy until first has expired
// (one lookup every 50ms, each of which must answer ENOENT: a refused
// request would be EACCES or EIO). Finally it reads a file written after
// the expiry, and checks that the emulator refused nothing and that the
// log holds no secret. It returns when second was handed out and when
// first expired, so that the caller can check that its source was asked
// in between: a refresh ahead of expiry.
func outlive(t *testing.T, mountOpts func(first stsCred) []harness.MountOption, handOut func(stsCred)) (handedOut, expired time.Time) {
	emu := harness.StartEmulator(t, harness.WithAnonymous())
	first := newSTS("one", time.Now().Add(lifetime).Truncate(time.Second))
	second := newSTS("two", time.Now().Add(time.Hour).Truncate(time.Second))
	setCredentials(t, emu, seedCred, first)
	seed := seedClient(t, emu)
	put(t, seed, "before.txt", "written before the mount\n")

	m := harness.Mount(t, emu, mountOpts(first)...)
	if got := harness.Run(t, m.Dir, "cat", "before.txt"); got != "written before the mount\n" {
		t.Fatalf("cat before.txt = %q", got)
	}
	setCredentials(t, emu, seedCred, first, second)
	handOut(second)
	handedOut = time.Now()

	// Bounded: the loop ends once first has expired, a few seconds from now.
	deadline := first.Expires.Add(time.Second)
	lookups := 0
	for ; time.Now().Before(deadline); lookups++ {
		_, err := os.Stat(m.Path(fmt.Sprintf("missing-%d", lookups)))
		if !errors.Is(err, syscall.ENOENT) {
			t.Fatalf("lookup %d, %v before the first credentials expire: %v; want ENOENT",
				lookups, time.Until(first.Expires).Round(time.Millisecond), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	put(t, seed, "after.txt", "written after the first credentials expired\n")
	if got := harness.Run(t, m.Dir, "cat", "after.txt"); got != "written after the first credentials expired\n" {
		t.Fatalf("cat after.txt = %q", got)
	}
	st := emu.Stats(t)
	for _, code := range []string{"SecurityTokenExpired", "InvalidAccessKeyId", "InvalidSecurityToken", "SignatureDoesNotMatch", "AccessDenied"} {
		if st.Errors[code] != 0 {
			t.Errorf("the emulator refused %d requests with %s; want a refresh before expiry", st.Errors[code], code)
		}
	}
	t.Logf("%d lookups across the expiry, %d requests in all", lookups, st.Total())
	log := m.Log()
	for _, c := range []stsCred{seedCred, first, second} {
		for _, s := range []string{c.AccessKeySecret, c.SecurityToken} {
			if s != "" && strings.Contains(log, s) {
				t.Errorf("the mount's log holds a secret %q", s)
			}
		}
	}
	return handedOut, first.Expires
}

// wantRefreshAhead fails the test unless one of fetches (when the source
// was asked) lies between handedOut and expired.
func wantRefreshAhead(t *testing.T, fetches []time.Time, handedOut, expired time.Time) {
	t.Helper()
	for _, f := range fetches {
		if f.After(handedOut) && f.Before(expired) {
			return
		}
	}
	t.Errorf("the source was asked at %v; want once between the hand-out at %v and the expiry at %v",
		fetches, handedOut.Format(time.StampMilli), expired.Format(time.StampMilli))
}

// cliDocument renders c as the aliyun CLI's External mode prints it.
func cliDocument(c stsCred) []byte {
	return fmt.Appendf(nil, `{"mode":"StsToken","access_key_id":%q,"access_key_secret":%q,"sts_token":%q,"expiration":%q}`,
		c.AccessKeyID, c.AccessKeySecret, c.SecurityToken, c.Expires.UTC().Format(time.RFC3339))
}

// writeAtomically replaces path's content in one rename, so the helper
// never reads half a document.
func writeAtomically(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialProcessOutlivesShortLivedCredentials(t *testing.T) {
	t.Parallel()
	harness.RequireFUSE(t)
	dir := t.TempDir()
	doc, calls := filepath.Join(dir, "creds.json"), filepath.Join(dir, "calls")
	helper := filepath.Join(dir, "helper.sh")
	if err := os.WriteFile(helper, []byte("#!/bin/sh\ndate +%s%N >> "+calls+"\ncat "+doc+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	handedOut, expired := outlive(t, func(first stsCred) []harness.MountOption {
		writeAtomically(t, doc, cliDocument(first))
		return []harness.MountOption{harness.WithOptions("credential_process=" + helper), harness.WithEnv("HOME=" + dir)}
	}, func(second stsCred) {
		writeAtomically(t, doc, cliDocument(second))
	})
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	var runs []time.Time
	for _, line := range strings.Fields(string(b)) {
		ns, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			t.Fatalf("calls file: %q", line)
		}
		runs = append(runs, time.Unix(0, ns))
	}
	wantRefreshAhead(t, runs, handedOut, expired)
}

// metadataStub is an ECS instance metadata service on loopback, serving
// one role with IMDSv2 session tokens.
type metadataStub struct {
	mu   sync.Mutex
	cred stsCred     // GUARDED_BY(mu)
	gets []time.Time // GUARDED_BY(mu): when the credentials were asked for
}

func (s *metadataStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
		fmt.Fprint(w, "imds-session")
	case r.Method == http.MethodGet && r.URL.Path == "/latest/meta-data/ram/security-credentials/ossfuse-reader":
		if r.Header.Get("X-aliyun-ecs-metadata-token") != "imds-session" {
			http.Error(w, "session token required", http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		c := s.cred
		s.gets = append(s.gets, time.Now())
		s.mu.Unlock()
		fmt.Fprintf(w, `{"Code":"Success","AccessKeyId":%q,"AccessKeySecret":%q,"SecurityToken":%q,"Expiration":%q,"LastUpdated":%q}`,
			c.AccessKeyID, c.AccessKeySecret, c.SecurityToken, c.Expires.UTC().Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339))
	default:
		http.NotFound(w, r)
	}
}

func (s *metadataStub) set(c stsCred) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cred = c
}

func TestRAMRoleOutlivesShortLivedCredentials(t *testing.T) {
	t.Parallel()
	harness.RequireFUSE(t)
	stub := &metadataStub{}
	srv := httptest.NewServer(stub) // 127.0.0.1
	defer srv.Close()
	handedOut, expired := outlive(t, func(first stsCred) []harness.MountOption {
		stub.set(first)
		return []harness.MountOption{
			harness.WithOptions("ram_role=ossfuse-reader", "ram_role_endpoint="+srv.URL),
			harness.WithEnv("HOME=" + t.TempDir()),
		}
	}, stub.set)
	stub.mu.Lock()
	gets := append([]time.Time(nil), stub.gets...)
	stub.mu.Unlock()
	wantRefreshAhead(t, gets, handedOut, expired)
}

func TestPasswdFileMount(t *testing.T) {
	t.Parallel()
	harness.RequireFUSE(t)
	emu := harness.StartEmulator(t, harness.WithAnonymous())
	reader := stsCred{AccessKeyID: "LTAIpasswdKey", AccessKeySecret: "passwd-secret-never-in-a-log"}
	setCredentials(t, emu, seedCred, reader)
	put(t, seedClient(t, emu), "hello.txt", "hello\n")
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd-ossfs")
	// A default line with a wrong key comes first: the bucket's own line wins.
	content := "# keys\nLTAIwrongKey:wrong-secret\n" + emu.Bucket + ":" + reader.AccessKeyID + ":" + reader.AccessKeySecret + "\n"
	if err := os.WriteFile(passwd, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	m := harness.Mount(t, emu, harness.WithOptions("passwd_file="+passwd), harness.WithEnv("HOME="+dir))
	if got := harness.Run(t, m.Dir, "cat", "hello.txt"); got != "hello\n" {
		t.Errorf("cat hello.txt = %q", got)
	}
	if log := m.Log(); !strings.Contains(log, "passwd file "+passwd) || strings.Contains(log, reader.AccessKeySecret) {
		t.Errorf("the log should name the passwd file and hold no secret:\n%s", log)
	}
}
