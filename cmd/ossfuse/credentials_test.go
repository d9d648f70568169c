package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseArgsCredentialOptions(t *testing.T) {
	c, err := parseArgs([]string{"bkt", "/m", "-o",
		"endpoint=e,access_key_id=AK,access_key_secret=S=K,session_token=T,passwd_file=/p,ram_role=r,ram_role_endpoint=http://127.0.0.1:8,credential_process=/bin/helper --x=1",
	}, config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.accessKeyID != "AK" || c.accessKeySecret != "S=K" || c.sessionToken != "T" || c.passwdFile != "/p" ||
		c.ramRole != "r" || c.ramRoleEndpoint != "http://127.0.0.1:8" || c.credentialProcess != "/bin/helper --x=1" {
		t.Errorf("credential options parsed as %+v", c)
	}
}

// TestRunRefusesUnusableCredentials runs the command up to its credentials:
// each case fails before any request, with a one-line reason that names
// the culprit and holds no secret.
func TestRunRefusesUnusableCredentials(t *testing.T) {
	const secret = "s3cr3t-passwd-value"
	dir := t.TempDir()
	open := filepath.Join(dir, "open-passwd")
	if err := os.WriteFile(open, []byte("bkt:AK:"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad-passwd")
	if err := os.WriteFile(bad, []byte("AK-"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	helper := filepath.Join(dir, "helper.sh")
	failing := "#!/bin/sh\necho '{\"access_key_id\":\"AK\",\"access_key_secret\":\"" + secret + "\"'\necho 'no role for you' >&2\nexit 1\n"
	if err := os.WriteFile(helper, []byte(failing), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OSS_ACCESS_KEY_ID", "")
	t.Setenv("OSS_ACCESS_KEY_SECRET", "")
	t.Setenv("OSS_SESSION_TOKEN", "")
	for opt, want := range map[string]struct {
		code int
		line string
	}{
		"passwd_file=" + open:          {exitMount, open + " may be read by group or others"},
		"passwd_file=" + bad:           {exitMount, bad + " line 1"},
		"credential_process=" + helper: {exitMount, `credential_process: exit status 1 (stderr: "no role for you")`},
		"access_key_secret=" + secret:  {exitUsage, "access_key_id and access_key_secret go together"},
	} {
		var out bytes.Buffer
		code := run("ossfuse", []string{"bkt", t.TempDir(), "-f", "-o", "endpoint=http://127.0.0.1:1," + opt}, &out, &out, false)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		last := lines[len(lines)-1]
		if code != want.code || !strings.HasPrefix(last, "ossfuse: ") || !strings.Contains(last, want.line) {
			t.Errorf("-o %s: exit %d, last line %q; want exit %d and a line with %q", opt, code, last, want.code, want.line)
		}
		if strings.Contains(out.String(), secret) {
			t.Errorf("-o %s: the output holds the secret:\n%s", opt, out.String())
		}
	}
}
