package credchain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fake keys. Every test that sees an error checks that none of the secrets
// below is in it.
const (
	optSecret    = "opt-SECRET-0001"
	envSecret    = "env-SECRET-0002"
	bucketSecret = "bucket-SECRET-0003"
	otherSecret  = "other-SECRET-0004"
	anySecret    = "default-SECRET-0005"
)

var allSecrets = []string{optSecret, envSecret, bucketSecret, otherSecret, anySecret}

// noSecretIn fails the test when s holds one of the fake secrets.
func noSecretIn(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range allSecrets {
		if strings.Contains(s, secret) {
			t.Errorf("%s holds a secret: %q", what, s)
		}
	}
}

// writePasswd writes a passwd file with mode perm and returns its path.
func writePasswd(t *testing.T, content string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "passwd-ossfs")
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // WriteFile's mode passes the umask
		t.Fatal(err)
	}
	return p
}

// envOf returns a Getenv over m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// keyOf resolves cfg and returns the key ID it signs with and its source.
func keyOf(t *testing.T, cfg Config) (id, source string) {
	t.Helper()
	p, source, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if p == nil {
		return "", source
	}
	c, err := p.GetCredentials(context.Background())
	if err != nil {
		t.Fatalf("GetCredentials: %v", err)
	}
	return c.AccessKeyID, source
}

func TestChainTakesTheFirstConfiguredSource(t *testing.T) {
	passwd := writePasswd(t, "bkt:passwd-id:"+bucketSecret+"\n", 0o600)
	env := envOf(map[string]string{EnvAccessKeyID: "env-id", EnvAccessKeySecret: envSecret})
	none := envOf(nil)
	for _, tc := range []struct {
		name       string
		cfg        Config
		wantID     string
		wantSource string
	}{
		{"options win", Config{AccessKeyID: "opt-id", AccessKeySecret: optSecret, Getenv: env, PasswdFile: passwd}, "opt-id", "options"},
		{"then the environment", Config{Getenv: env, PasswdFile: passwd, RAMRole: "r"}, "env-id", "environment"},
		{"then a passwd file", Config{Getenv: none, PasswdFile: passwd, RAMRole: "r", CredentialProcess: "false"}, "passwd-id", "passwd file " + passwd},
		{"then a default passwd file", Config{Getenv: none, DefaultPasswdFiles: []string{passwd}, RAMRole: "r"}, "passwd-id", "passwd file " + passwd},
		{"nothing: anonymous", Config{Getenv: none, DefaultPasswdFiles: []string{filepath.Join(t.TempDir(), "missing")}}, "", "none (anonymous requests)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Bucket = "bkt"
			id, source := keyOf(t, tc.cfg)
			if id != tc.wantID || source != tc.wantSource {
				t.Errorf("signs with %q from %q, want %q from %q", id, source, tc.wantID, tc.wantSource)
			}
		})
	}
	// The temporary sources are not contacted by New; their order shows in
	// the source chosen.
	for _, tc := range []struct {
		cfg        Config
		wantSource string
	}{
		{Config{Getenv: none, RAMRole: "reader", CredentialProcess: "false"}, `ram_role "reader"`},
		{Config{Getenv: none, CredentialProcess: "false"}, "credential_process"},
	} {
		p, source, err := New(tc.cfg)
		if err != nil || p == nil || source != tc.wantSource {
			t.Errorf("New(%+v) = %v, %q, %v; want a provider from %q", tc.cfg, p, source, err, tc.wantSource)
		}
	}
}

func TestChainSessionToken(t *testing.T) {
	for _, cfg := range []Config{
		{AccessKeyID: "id", AccessKeySecret: optSecret, SessionToken: "tok", Getenv: envOf(nil)},
		{Getenv: envOf(map[string]string{EnvAccessKeyID: "id", EnvAccessKeySecret: envSecret, EnvSessionToken: "tok"})},
	} {
		p, _, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := p.GetCredentials(context.Background()); err != nil || c.SecurityToken != "tok" {
			t.Errorf("token %q, %v; want tok", c.SecurityToken, err)
		}
	}
}

func TestChainRefusesHalfAKey(t *testing.T) {
	for name, cfg := range map[string]Config{
		"option id alone":     {AccessKeyID: "id", Getenv: envOf(nil)},
		"option secret alone": {AccessKeySecret: optSecret, Getenv: envOf(nil)},
		"option token alone":  {SessionToken: "tok", Getenv: envOf(nil)},
		"env secret alone":    {Getenv: envOf(map[string]string{EnvAccessKeySecret: envSecret})},
		"env id alone":        {Getenv: envOf(map[string]string{EnvAccessKeyID: "id"})},
		"endpoint alone":      {Getenv: envOf(nil), RAMRoleEndpoint: "http://127.0.0.1:1"},
		"bad endpoint":        {Getenv: envOf(nil), RAMRole: "r", RAMRoleEndpoint: "ftp://x"},
		"bad role":            {Getenv: envOf(nil), RAMRole: "a/b"},
	} {
		p, _, err := New(cfg)
		if err == nil || p != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, p, err)
			continue
		}
		noSecretIn(t, name+" error", err.Error())
	}
}

func TestPasswdFileBucketLineWins(t *testing.T) {
	content := strings.Join([]string{
		"# ossfs passwd file",
		"",
		"default-id:" + anySecret,
		"other:other-id:" + otherSecret,
		"  bkt : bucket-id : " + bucketSecret + "  ",
		"later-default:" + anySecret,
	}, "\n")
	p := writePasswd(t, content, 0o600)
	if id, _ := keyOf(t, Config{Bucket: "bkt", PasswdFile: p, Getenv: envOf(nil)}); id != "bucket-id" {
		t.Errorf("bucket bkt signs with %q, want bucket-id", id)
	}
	if id, _ := keyOf(t, Config{Bucket: "third", PasswdFile: p, Getenv: envOf(nil)}); id != "default-id" {
		t.Errorf("bucket third signs with %q, want the first default line's default-id", id)
	}
}

func TestPasswdFileWithoutALineForTheBucket(t *testing.T) {
	p := writePasswd(t, "other:other-id:"+otherSecret+"\n", 0o600)
	// Named explicitly, a file that cannot serve the bucket is an error...
	_, _, err := New(Config{Bucket: "bkt", PasswdFile: p, Getenv: envOf(nil)})
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "bkt") {
		t.Fatalf("explicit passwd file without the bucket: %v; want an error naming the file and bucket", err)
	}
	noSecretIn(t, "error", err.Error())
	// ...while a default one is skipped for the next source.
	second := writePasswd(t, "bkt:second-id:"+bucketSecret+"\n", 0o600)
	if id, _ := keyOf(t, Config{Bucket: "bkt", DefaultPasswdFiles: []string{p, second}, Getenv: envOf(nil)}); id != "second-id" {
		t.Errorf("signs with %q, want second-id from the second default file", id)
	}
	if _, source, err := New(Config{Bucket: "bkt", DefaultPasswdFiles: []string{p}, CredentialProcess: "false", Getenv: envOf(nil)}); err != nil || source != "credential_process" {
		t.Errorf("source %q, %v; want credential_process after a default passwd file without the bucket", source, err)
	}
}

func TestPasswdFileRefusedWhenOthersMayReadIt(t *testing.T) {
	for _, perm := range []os.FileMode{0o640, 0o604, 0o644, 0o620} {
		p := writePasswd(t, "bkt:id:"+bucketSecret+"\n", perm)
		for _, cfg := range []Config{
			{Bucket: "bkt", PasswdFile: p, Getenv: envOf(nil)},
			{Bucket: "bkt", DefaultPasswdFiles: []string{p}, Getenv: envOf(nil)},
		} {
			_, _, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("mode %04o: %v; want a refusal naming the file and the fix", perm, err)
				continue
			}
			noSecretIn(t, "error", err.Error())
		}
	}
}

func TestPasswdFileMalformedLine(t *testing.T) {
	for _, line := range []string{
		"just-" + bucketSecret,
		"a:b:c:" + bucketSecret,
		"bkt::" + bucketSecret,
		":" + bucketSecret,
	} {
		p := writePasswd(t, "# comment\n"+line+"\n", 0o600)
		_, _, err := New(Config{Bucket: "bkt", PasswdFile: p, Getenv: envOf(nil)})
		if err == nil || !strings.Contains(err.Error(), p+" line 2") {
			t.Errorf("line %q: %v; want an error naming the file and line 2", line, err)
			continue
		}
		noSecretIn(t, "error", err.Error())
	}
}

func TestPasswdFileMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, _, err := New(Config{Bucket: "bkt", PasswdFile: missing, Getenv: envOf(nil)}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing passwd_file: %v; want an error naming it", err)
	}
}

// nobody is the uid the ownership tests give away files to.
const nobody = 65534

// needRoot skips a test that must chown files.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("chown needs root (CI runs the tests as root)")
	}
}

// TestPasswdFileRefusedWhenAnotherUserOwnsIt checks that a passwd file
// owned by another user than the one ossfuse runs as (nor root) is
// refused, even by root, which used to read it.
func TestPasswdFileRefusedWhenAnotherUserOwnsIt(t *testing.T) {
	needRoot(t)
	p := writePasswd(t, "bkt:id:"+bucketSecret+"\n", 0o600)
	if err := os.Chown(p, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{
		{Bucket: "bkt", PasswdFile: p, Getenv: envOf(nil)},
		{Bucket: "bkt", DefaultPasswdFiles: []string{p}, Getenv: envOf(nil), RAMRole: "r"},
	} {
		_, _, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), "passwd file "+p+" is owned by uid 65534") {
			t.Errorf("%+v: %v; want a refusal naming the file and its owner", cfg, err)
			continue
		}
		noSecretIn(t, "error", err.Error())
	}
}

// TestPasswdFileOwnerAndDirectories checks the rule on owners and
// directories for another effective user than root: the file and every
// directory above it owned by that user or root, no directory writable by
// group or others unless it is sticky; symbolic links are followed.
func TestPasswdFileOwnerAndDirectories(t *testing.T) {
	needRoot(t)
	const user = 1000
	base := t.TempDir() // under /tmp: sticky, root's
	mkdir := func(name string, mode os.FileMode, uid int) string {
		d := filepath.Join(base, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, 0); err != nil {
			t.Fatal(err)
		}
		return d
	}
	n := 0
	file := func(dir string, uid int) string {
		n++
		p := filepath.Join(dir, fmt.Sprintf("passwd-ossfs-%d", n))
		if err := os.WriteFile(p, []byte("id:"+anySecret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, 0); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own := mkdir("own", 0o700, user)
	sticky := mkdir("sticky", 0o777|os.ModeSticky, 0)
	stickyOwn := filepath.Join(sticky, "mine")
	if err := os.Mkdir(stickyOwn, 0o700); err != nil || os.Chown(stickyOwn, user, 0) != nil {
		t.Fatal(err)
	}
	open := mkdir("open", 0o777, user)
	group := mkdir("group", 0o770, user)
	foreign := mkdir("foreign", 0o755, nobody)
	rootDir := mkdir("root", 0o755, 0)
	link := filepath.Join(own, "link")
	if err := os.Symlink(file(open, user), link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want string // "" to accept
	}{
		{file(own, user), ""},
		{file(rootDir, 0), ""},
		{file(rootDir, user), ""},
		{file(stickyOwn, user), ""},
		{file(own, nobody), "is owned by uid 65534, neither the user ossfuse runs as (uid 1000) nor root"},
		{file(open, user), "is in directory " + open + ", which group or others may write (mode 0777)"},
		{file(group, user), "is in directory " + group + ", which group or others may write (mode 0770)"},
		{file(foreign, user), "is in directory " + foreign + ", owned by uid 65534"},
		{link, "is in directory " + open + ", which group or others may write"},
	} {
		st, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		err = checkPasswdOwner(tc.path, st, user)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v; want it accepted", tc.path, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "passwd file "+tc.path)):
			t.Errorf("%s: %v; want an error naming it and saying %q", tc.path, err, tc.want)
		}
	}
}
