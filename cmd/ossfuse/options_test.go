package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	c, err := parseArgs([]string{
		"bkt:/some/prefix", "/mnt/x", "-f",
		"-o", "endpoint=http://127.0.0.1:9000,region=cn-shanghai,attr_from_list",
		"-oattr_ttl=2s,negative_ttl=500ms,uid=1000,gid=1001,umask=027,file_mode=0600,dir_mode=0700,memory=64MiB,ro,_netdev,nofail,x-systemd.automount,defaults",
		"--part_size=16MiB", "--parallelism", "8", "--append_mode", "--recovery_dir", "/var/r",
		"--log_level=debug", "--log_file=/var/log/o.log", "--mount_timeout=3s", "--ca_file=/etc/ca.pem", "--insecure", "-o", "request_timeout=2s",
	}, config{region: "cn-hangzhou"})
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		bucket: "bkt", prefix: "some/prefix", mountpoint: "/mnt/x", foreground: true,
		endpoint: "http://127.0.0.1:9000", region: "cn-shanghai", attrFromList: true,
		attrTTL: 2 * time.Second, negativeTTL: 500 * time.Millisecond, uid: 1000, gid: 1001,
		umask: 0o27, fileMode: 0o600, dirMode: 0o700, memory: 64 << 20, readOnly: true,
		partSize: 16 << 20, parallelism: 8, appendMode: true, recoveryDir: "/var/r",
		logLevel: "debug", logFile: "/var/log/o.log", mountTimeout: 3 * time.Second,
		caFile: "/etc/ca.pem", insecure: true, requestTimeout: 2 * time.Second,
	}
	if c != want {
		t.Errorf("parseArgs =\n %+v\nwant\n %+v", c, want)
	}
}

// sampleValue returns a valid value for an option's placeholder.
func sampleValue(t *testing.T, o option) string {
	samples := map[string]string{
		"URL": "http://127.0.0.1:9", "REGION": "cn-shanghai", "FILE": "/tmp/f", "DIR": "/tmp/d",
		"N": "3", "OOO": "027", "DURATION": "2s", "BYTES": "16MiB", "LEVEL": "debug",
		"ID": "an-id", "SECRET": "a-secret", "TOKEN": "a-token",
		"NAME": "a-role", "COMMAND": "/bin/true", "HOST:PORT": "127.0.0.1:0",
	}
	v, ok := samples[o.value]
	if !ok {
		t.Fatalf("option %s: no sample value for placeholder %q; add one to this test", o.name, o.value)
	}
	return v
}

// TestEveryOptionWorksAsFlagAndAsO checks each option of the table in all
// its spellings: -o name=value, --name=value and --name value (or -o name
// and --name for a switch) give the same configuration, which differs from
// the defaults.
func TestEveryOptionWorksAsFlagAndAsO(t *testing.T) {
	base := []string{"bkt", "/mnt/x", "--endpoint=http://127.0.0.1:1"}
	defaults := defaultConfig()
	for _, o := range options() {
		var spellings [][]string
		if o.value == "" {
			spellings = [][]string{{"-o", o.name}, {"--" + o.name}, {"-o" + o.name}}
		} else {
			v := sampleValue(t, o)
			spellings = [][]string{{"-o", o.name + "=" + v}, {"--" + o.name + "=" + v}, {"--" + o.name, v}}
		}
		if o.name == "access_key_id" || o.name == "access_key_secret" || o.name == "session_token" {
			// The credential options go together.
			for i := range spellings {
				spellings[i] = append(spellings[i], "-o", "access_key_id=i,access_key_secret=s")
			}
		}
		var first config
		for i, extra := range spellings {
			c, err := parseArgs(append(append([]string(nil), base...), extra...), defaults)
			if err != nil {
				t.Errorf("%v: %v", extra, err)
				continue
			}
			if i == 0 {
				first = c
				if o.name != "endpoint" && reflect.DeepEqual(c, mustParse(t, base, defaults)) && o.name != "access_key_id" && o.name != "access_key_secret" {
					t.Errorf("%v changes nothing in the configuration", extra)
				}
			} else if c != first {
				t.Errorf("%v gives\n %+v\nbut %v gives\n %+v", extra, c, spellings[0], first)
			}
		}
	}
}

func mustParse(t *testing.T, args []string, defaults config) config {
	t.Helper()
	c, err := parseArgs(args, defaults)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseArgsErrorsNameTheOption(t *testing.T) {
	for args, wantInErr := range map[string]string{
		"bkt /m -o endpoint=e,bogus=1":           `unknown option "bogus"`,
		"bkt /m --bogus -o endpoint=e":           `unknown option "bogus"`,
		"bkt /m -o endpoint=e,attr_ttl=soon":     "attr_ttl=soon",
		"bkt /m -o endpoint=e,umask=999":         "umask=999",
		"bkt /m -o endpoint=e,umask=1000":        "umask=1000: want an octal number from 0 to 777",
		"bkt /m -o endpoint=e,umask=-1":          "umask=-1",
		"bkt /m -o endpoint=e,file_mode=0":       "file_mode=0: want an octal number from 1 to 7777",
		"bkt /m -o endpoint=e,dir_mode=000":      "dir_mode=000: want an octal number from 1 to 7777",
		"bkt /m -o endpoint=e,file_mode=10000":   "file_mode=10000",
		"bkt /m -o endpoint=e,dir_mode=0100755":  "dir_mode=0100755",
		"bkt /m -o endpoint=e,uid=-1":            "uid=-1",
		"bkt /m -o endpoint=e,memory=lots":       "memory=lots",
		"bkt /m -o endpoint=e,part_size=1KiB":    "part_size=1KiB",
		"bkt /m -o endpoint=e,parallelism=0":     "parallelism=0",
		"bkt /m -o endpoint=e,log_level=loud":    "log_level=loud",
		"bkt /m -o endpoint=e,log_file=":         "log_file=",
		"bkt /m -o endpoint=e,mount_timeout=-1s": "mount_timeout=-1s",
		"bkt /m -o endpoint=e,request_timeout=0": "request_timeout=0",
		"bkt /m -o endpoint=e,ro=yes":            "ro takes no value",
		"bkt /m -o endpoint=e --insecure=1":      "insecure takes no value",
		"bkt /m -o endpoint=e,region":            "region needs a value",
		"bkt /m -o endpoint=e --region":          "region needs a value",
		"bkt /m -o endpoint=e,access_key_id=i":   "access_key_id and access_key_secret go together",
		"bkt /m -o endpoint=e,session_token=t":   "session_token needs",
		"bkt /m":                                 "endpoint is required",
		"bkt -o endpoint=e":                      "got 1 arguments",
		"bkt /m extra -o endpoint=e":             "3 arguments",
		":/p /m -o endpoint=e":                   "bucket name is empty",
		"bkt /m -x -o endpoint=e":                "unknown flag -x",
		"bkt /m -o":                              "-o needs",
	} {
		_, err := parseArgs(strings.Fields(args), defaultConfig())
		if err == nil || !strings.Contains(err.Error(), wantInErr) || strings.Contains(err.Error(), "\n") {
			t.Errorf("parseArgs(%q) error %v, want one line mentioning %q", args, err, wantInErr)
		}
	}
}

// TestBadOptionExitsTwo checks the command's answer to a bad option: exit
// status 2 and one line on stderr naming the option, before anything is
// started.
func TestBadOptionExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"bkt", t.TempDir(), "-o", "endpoint=http://127.0.0.1:1,no_such_option"},
		{"bkt", t.TempDir(), "--endpoint", "http://127.0.0.1:1", "--attr_ttl=forever"},
	} {
		var stdout, stderr bytes.Buffer
		code := run("ossfuse", args, &stdout, &stderr, false)
		lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
		if code != exitUsage || len(lines) != 1 || !strings.HasPrefix(lines[0], "ossfuse: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, stderr.String())
		}
	}
}

// TestSizesAndDurationsRefuseNonsense checks every size and duration
// option against values that used to pass and become something else
// downstream: 0, NaN, Inf and overflows turned memory into the 256 MiB
// default, a zero TTL into 5s, and mount_timeout=0 failed every mount.
// Each must exit 2 with one line naming the option.
func TestSizesAndDurationsRefuseNonsense(t *testing.T) {
	bad := map[string][]string{
		"BYTES": {"0", "0B", "0.1", "NaN", "nan", "Inf", "+Inf", "-Inf", "-1", "-5MiB", "99999999999999EiB",
			"9223372036854775808", "8EiB", "1e3", "1e9KiB", "0x100000", "lots", ""},
		"DURATION": {"0", "0s", "-0s", "-1s", "-1ns", "NaN", "Inf", "9999999999h", "soon", ""},
	}
	tooLarge := map[string][]string{
		"memory": {"2PiB", "1025TiB"}, "part_size": {"6GiB", "99KiB"}, "mount_timeout": {"25h", "24h0m0.001s"},
	}
	checked := 0
	for _, o := range options() {
		values, ok := bad[o.value]
		if !ok {
			continue
		}
		checked++
		for _, v := range append(values, tooLarge[o.name]...) {
			var stdout, stderr bytes.Buffer
			code := run("ossfuse", []string{"bkt", "/mnt/x", "-o", "endpoint=http://127.0.0.1:1," + o.name + "=" + v}, &stdout, &stderr, false)
			want := "ossfuse: option " + o.name + "=" + v + ": want "
			if code != exitUsage || !strings.HasPrefix(stderr.String(), want) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("%s=%s: exit %d, stderr %q; want exit 2 and one line starting %q", o.name, v, code, stderr.String(), want)
			}
		}
	}
	if checked < 6 {
		t.Errorf("checked %d size and duration options; the table has memory, part_size, three TTLs and mount_timeout", checked)
	}
	// The bounds themselves are accepted.
	for _, opt := range []string{"memory=5GiB,part_size=5GiB", "part_size=100KiB,memory=100KiB", "memory=1PiB", "mount_timeout=24h", "mount_timeout=1ms", "attr_ttl=1ns"} {
		if _, err := parseArgs([]string{"bkt", "/mnt/x", "-o", "endpoint=e," + opt}, defaultConfig()); err != nil {
			t.Errorf("%s: %v", opt, err)
		}
	}
}

// TestPartMustFitInMemory checks that a part size the memory budget cannot
// hold is refused, whichever of the two is left at its default: the
// upload filling such a part would wait for ever.
func TestPartMustFitInMemory(t *testing.T) {
	for opts, wantInErr := range map[string]string{
		"memory=8MiB,part_size=16MiB": "option part_size is larger than memory: a part",
		"part_size=512MiB":            "option part_size is larger than memory (256MiB, the default)",
		"memory=1MiB":                 "option memory is smaller than part_size (8MiB, the default)",
	} {
		_, err := parseArgs([]string{"bkt", "/mnt/x", "-o", "endpoint=e," + opts}, defaultConfig())
		if err == nil || !strings.Contains(err.Error(), wantInErr) {
			t.Errorf("%s: error %v, want one mentioning %q", opts, err, wantInErr)
		}
	}
	for _, opts := range []string{"memory=8MiB", "part_size=256MiB", "memory=1GiB,part_size=1GiB"} {
		if _, err := parseArgs([]string{"bkt", "/mnt/x", "-o", "endpoint=e," + opts}, defaultConfig()); err != nil {
			t.Errorf("%s: %v", opts, err)
		}
	}
}

// TestSecretNeverInErrors checks that a bad value of a secret option is
// reported without the value.
func TestSecretNeverInErrors(t *testing.T) {
	table := append(options(), option{name: "test_secret", value: "S", secret: true, set: func(*config, string) error {
		return os.ErrInvalid
	}})
	err := applySetting(&config{}, table, setting{name: "test_secret", value: "hunter2", hasValue: true})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "test_secret") {
		t.Errorf("error %v: want it to name test_secret without its value", err)
	}
}

func TestHelpGroupsEveryOption(t *testing.T) {
	var out bytes.Buffer
	if code := run("ossfuse", []string{"--help"}, &out, &out, false); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	help := out.String()
	known := map[group]bool{}
	for _, g := range groups {
		known[g] = true
		if !strings.Contains(help, "\n"+string(g)+":\n") {
			t.Errorf("help has no group %q", g)
		}
	}
	for _, o := range options() {
		if !known[o.group] {
			t.Errorf("option %s is in group %q, which is not in groups", o.name, o.group)
		}
		// The option must be listed under its own group's heading.
		section := help[strings.Index(help, "\n"+string(o.group)+":\n"):]
		if next := strings.Index(section[2:], ":\n\n"); next > 0 {
			section = section[:next]
		}
		if !strings.Contains(section, "  "+optionSynopsis(o)+" ") {
			t.Errorf("help does not list %s under %q", o.name, o.group)
		}
	}
	out.Reset()
	if code := run("ossfuse", []string{"--version"}, &out, &out, false); code != 0 || !strings.HasPrefix(out.String(), "ossfuse dev (commit unknown)") {
		t.Errorf("--version: exit %d, %q", code, out.String())
	}
}

// The README's options table sits between these markers; it must be what
// `ossfuse --help-markdown` prints, so the documentation cannot drift.
const (
	readmeTableBegin = "<!-- options:begin (generated: bin/ossfuse --help-markdown) -->\n"
	readmeTableEnd   = "<!-- options:end -->"
)

func TestREADMEOptionsTableIsCurrent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	begin, end := strings.Index(readme, readmeTableBegin), strings.Index(readme, readmeTableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md has no options table between %q and %q", readmeTableBegin, readmeTableEnd)
	}
	got := readme[begin+len(readmeTableBegin) : end]
	if want := helpMarkdown(); strings.TrimSpace(got) != strings.TrimSpace(want) {
		t.Errorf("README.md's options table differs from the code's; replace it with the output of `go run ./cmd/ossfuse --help-markdown`:\n%s", want)
	}
}
