package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	c, err := parseArgs([]string{
		"bkt:/some/prefix", "/mnt/x", "-f",
		"-o", "endpoint=http://127.0.0.1:9000,region=cn-shanghai,attr_from_list",
		"-oattr_ttl=2s,negative_ttl=500ms,uid=1000,gid=1001,umask=027,file_mode=0600,dir_mode=0700,memory=64MiB,ro,_netdev,nofail,x-systemd.automount,defaults",
	}, config{region: "cn-hangzhou"})
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		bucket: "bkt", prefix: "some/prefix", mountpoint: "/mnt/x", foreground: true,
		endpoint: "http://127.0.0.1:9000", region: "cn-shanghai", attrFromList: true,
		attrTTL: 2 * time.Second, negativeTTL: 500 * time.Millisecond, uid: 1000, gid: 1001,
		umask: 0o27, fileMode: 0o600, dirMode: 0o700, memory: 64 << 20, readOnly: true,
	}
	if c != want {
		t.Errorf("parseArgs =\n %+v\nwant\n %+v", c, want)
	}
}

func TestParseArgsErrorsNameTheOption(t *testing.T) {
	for args, wantInErr := range map[string]string{
		"bkt /m -o endpoint=e,bogus=1":       `"bogus"`,
		"bkt /m -o endpoint=e,attr_ttl=soon": "attr_ttl=soon",
		"bkt /m -o endpoint=e,umask=999":     "umask=999",
		"bkt /m -o endpoint=e,uid=-1":        "uid=-1",
		"bkt /m -o endpoint=e,memory=lots":   "memory=lots",
		"bkt /m -o endpoint=e,ro=yes":        "ro takes no value",
		"bkt /m -o endpoint=e,region":        "region needs a value",
		"bkt /m":                             "endpoint is required",
		"bkt -o endpoint=e":                  "got 1 arguments",
		"bkt /m extra -o endpoint=e":         "3 arguments",
		"bkt /m -x -o endpoint=e":            "unknown flag -x",
		"bkt /m -o":                          "-o needs",
	} {
		_, err := parseArgs(strings.Fields(args), config{})
		if err == nil || !strings.Contains(err.Error(), wantInErr) {
			t.Errorf("parseArgs(%q) error %v, want one mentioning %q", args, err, wantInErr)
		}
	}
}

func TestHelpListsEveryOption(t *testing.T) {
	if _, err := parseArgs([]string{"--help"}, config{}); !errors.Is(err, errHelp) {
		t.Fatalf("--help: %v", err)
	}
	var out bytes.Buffer
	if code := run([]string{"-h"}, &out, &out); code != 0 {
		t.Fatalf("-h exit %d", code)
	}
	for _, o := range options() {
		if !strings.Contains(out.String(), o.name) {
			t.Errorf("help does not mention %s", o.name)
		}
	}
	out.Reset()
	if code := run([]string{"--version"}, &out, &out); code != 0 || !strings.HasPrefix(out.String(), "ossfuse ") {
		t.Errorf("--version: exit %d, %q", code, out.String())
	}
}

func TestRunFailsClearly(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"bkt", t.TempDir() + "/missing", "-o", "endpoint=http://127.0.0.1:1"}, &out, &out); code == 0 || !strings.Contains(out.String(), "not a directory") {
		t.Errorf("missing mountpoint: exit %d, %q", code, out.String())
	}
	out.Reset()
	// Nothing listens on port 1 of loopback: the mount must refuse at once
	// with the reason, not mount a filesystem that fails every call.
	if code := run([]string{"bkt", t.TempDir(), "-o", "endpoint=http://127.0.0.1:1"}, &out, &out); code == 0 || !strings.Contains(out.String(), "cannot reach bucket bkt") {
		t.Errorf("unreachable endpoint: exit %d, %q", code, out.String())
	}
}
