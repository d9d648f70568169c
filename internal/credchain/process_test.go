package credchain

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseCredentialJSONSpellings(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, doc := range map[string]string{
		"aliyun CLI External, StsToken": `{"mode":"StsToken","access_key_id":"AK","access_key_secret":"SK","sts_token":"TOK","sts_expiration":` + "1893553445" + `}`,
		"SDK process provider":          `{"AccessKeyId":"AK","AccessKeySecret":"SK","SecurityToken":"TOK","Expiration":"2030-01-02T03:04:05Z"}`,
		"ECS metadata":                  `{"Code":"Success","AccessKeyId":"AK","AccessKeySecret":"SK","SecurityToken":"TOK","Expiration":"2030-01-02T03:04:05Z","LastUpdated":"2030-01-02T02:04:05Z"}`,
		"camel case, unix string":       `{"accessKeyId":"AK","accessKeySecret":"SK","securityToken":"TOK","expiration":"1893553445"}`,
	} {
		c, err := parseCredentialJSON([]byte(doc))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c.AccessKeyID != "AK" || c.AccessKeySecret != "SK" || c.SecurityToken != "TOK" || c.Expires == nil || !c.Expires.Equal(exp) {
			t.Errorf("%s: got %+v (expires %v)", name, c, c.Expires)
		}
	}
	c, err := parseCredentialJSON([]byte(`{"mode":"AK","access_key_id":"AK","access_key_secret":"SK"}`))
	if err != nil || c.AccessKeyID != "AK" || c.SecurityToken != "" || c.Expires != nil {
		t.Errorf("CLI AK mode: %+v, %v; want a long-term key without expiry", c, err)
	}
}

func TestParseCredentialJSONErrorsHoldNoSecret(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":          `access_key_secret=` + anySecret,
		"truncated":         `{"access_key_id":"AK","access_key_secret":"` + anySecret,
		"no id":             `{"access_key_secret":"` + anySecret + `"}`,
		"secret not string": `{"access_key_id":"AK","access_key_secret":["` + anySecret + `"]}`,
		"unknown mode":      `{"mode":"EcsRamRole","access_key_id":"AK","access_key_secret":"` + anySecret + `"}`,
		"StsToken no token": `{"mode":"StsToken","access_key_id":"AK","access_key_secret":"` + anySecret + `"}`,
		"code not success":  `{"Code":"Failed","AccessKeyId":"AK","AccessKeySecret":"` + anySecret + `"}`,
		"bad expiration":    `{"access_key_id":"AK","access_key_secret":"` + anySecret + `","expiration":"tomorrow"}`,
	} {
		_, err := parseCredentialJSON([]byte(doc))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		noSecretIn(t, name+" error", err.Error())
	}
}

// script writes an executable shell script and returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "helper.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCredentialProcess(t *testing.T) {
	helper := script(t, `printf '{"mode":"StsToken","access_key_id":"%s","access_key_secret":"SK","sts_token":"TOK","expiration":"2030-01-02T03:04:05Z"}' "$1"`)
	p, source, err := New(Config{Getenv: envOf(nil), CredentialProcess: helper + " from-helper"})
	if err != nil || source != "credential_process" {
		t.Fatalf("New: %q, %v", source, err)
	}
	c, err := p.GetCredentials(context.Background())
	if err != nil || c.AccessKeyID != "from-helper" || c.SecurityToken != "TOK" || c.Expires == nil {
		t.Errorf("credentials %+v, %v; want the helper's, with its argument passed by the shell", c, err)
	}
}

func TestCredentialProcessFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		body, want string
	}{
		"exits 1 after printing the secret": {
			body: `echo '{"access_key_id":"AK","access_key_secret":"` + anySecret + `"}'; echo "role not allowed" >&2; exit 1`,
			want: `exit status 1 (stderr: "role not allowed")`,
		},
		"prints the secret in broken JSON": {
			body: `echo '{"access_key_id":"AK","access_key_secret":"` + anySecret + `"'`,
			want: "not a JSON object",
		},
		"prints no key": {
			body: `echo '{}'`,
			want: "no access key",
		},
		"prints too much": {
			body: `head -c 100000 /dev/zero`,
			want: "more than",
		},
	} {
		src := processSource{command: script(t, tc.body), timeout: 10 * time.Second}
		_, err := src.fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error with %q", name, err, tc.want)
			continue
		}
		noSecretIn(t, name+" error", err.Error())
	}
}

func TestCredentialProcessTimeout(t *testing.T) {
	src := processSource{command: "sleep 30", timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := src.fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not finish within 200ms") {
		t.Errorf("hanging process: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a hanging process held the fetch for %v", d)
	}
}

func TestCredentialProcessErrorNamesTheSourceNotTheCommand(t *testing.T) {
	cmd := "exit 3 # " + anySecret
	p, _, err := New(Config{Getenv: envOf(nil), CredentialProcess: cmd, Log: nil})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.GetCredentials(context.Background())
	if err == nil || !strings.Contains(err.Error(), "credentials from credential_process: exit status 3") {
		t.Fatalf("error %v", err)
	}
	noSecretIn(t, "error", err.Error())
}
