package main

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCleanArgsDropsSecrets(t *testing.T) {
	args := []string{
		"bkt:/p", "/mnt/x", "-o", "endpoint=http://e,access_key_id=ID,access_key_secret=S3CRET,_netdev",
		"--session_token", "T0KEN", "--access_key_secret=S3CRET2", "-f", "--attr_ttl", "1s",
	}
	table := options()
	if !hasSecret(args, table) {
		t.Fatal("hasSecret = false")
	}
	got := cleanArgs(args, table)
	want := []string{"bkt:/p", "/mnt/x", "-o", "endpoint=http://e,access_key_id=ID,foreground,attr_ttl=1s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cleanArgs = %q, want %q", got, want)
	}
	// The cleaned line must mean the same mount, secrets aside.
	full, err := parseArgs(append(args[:len(args):len(args)], "--access_key_secret=S3CRET2"), defaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	clean, err := parseArgs(append(got, "--access_key_secret=S3CRET2", "--session_token=T0KEN"), defaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if full != clean {
		t.Errorf("the cleaned command line means\n %+v\nnot\n %+v", clean, full)
	}
	if hasSecret([]string{"bkt", "/m", "-o", "endpoint=e,access_key_id=x"}, table) {
		t.Error("hasSecret is true for a command line without secret")
	}
}

func TestArgsThroughDescriptor(t *testing.T) {
	// readArgs owns and closes the descriptor it is given, as the daemon
	// owns the one it inherits: no *os.File may hold it too, or its
	// finalizer would close the number again later, when it names another
	// test's socket.
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	w := os.NewFile(uintptr(p[1]), "args-w")
	args := []string{"bkt", "/m", "-o", "access_key_secret=a,b", "with\nnewline", ""}
	errc := make(chan error, 1)
	go func() { errc <- writeArgs(w, args) }()
	got, err := readArgs(p[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, args) {
		t.Errorf("read %q, want %q", got, args)
	}

	inv, internal, err := parseInternal([]string{argsFDFlag + "3", readyFDFlag + "4", "--", "bkt", "/m"})
	if err != nil || !internal || inv.argsFD != 3 || inv.readyFD != 4 {
		t.Errorf("parseInternal = %+v, %v, %v", inv, internal, err)
	}
	if _, internal, _ := parseInternal([]string{"bkt", "/m"}); internal {
		t.Error("an ordinary command line is taken for an internal one")
	}
	if _, _, err := parseInternal([]string{argsFDFlag + "x", "--"}); err == nil {
		t.Error("a bad descriptor number is accepted")
	}
	if _, _, err := parseInternal([]string{argsFDFlag + "3", "access_key_secret=Xq7", "--"}); err == nil || strings.Contains(err.Error(), "Xq7") {
		t.Errorf("internal invocation with another argument: %v; want an error without it", err)
	}
}

func TestHelperArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		fake bool
	}{
		{"bkt /mnt -o rw,endpoint=e", "bkt /mnt -o rw,endpoint=e", false},
		{"bkt /mnt -n -s -v -o rw,endpoint=e -t fuse.ossfuse", "bkt /mnt -o rw,endpoint=e", false},
		{"bkt /mnt -f -o endpoint=e", "bkt /mnt -o endpoint=e", true},
		{"bkt /mnt -sfnv -o endpoint=e", "bkt /mnt -o endpoint=e", true},
	} {
		got, fake, err := helperArgs(strings.Fields(tc.in))
		if err != nil || strings.Join(got, " ") != tc.want || fake != tc.fake {
			t.Errorf("helperArgs(%q) = %q, fake %v, %v; want %q, fake %v", tc.in, got, fake, err, tc.want, tc.fake)
		}
	}
	if _, _, err := helperArgs([]string{"bkt", "/mnt", "-N", "/proc/1/ns/mnt"}); err == nil {
		t.Error("-N is accepted")
	}
	if !isHelper("/sbin/mount.fuse.ossfuse") || isHelper("/usr/local/bin/ossfuse") {
		t.Error("isHelper does not go by the name")
	}
}

// TestHelperFakeMountChecksOnly checks `mount -f`: the helper validates the
// options, mounts nothing and exits 0; a bad option still fails with 2.
func TestHelperFakeMountChecksOnly(t *testing.T) {
	var out strings.Builder
	dir := t.TempDir()
	if code := run("/sbin/mount.fuse.ossfuse", []string{"bkt", dir, "-f", "-o", "rw,endpoint=http://127.0.0.1:1"}, &out, &out, false); code != 0 {
		t.Errorf("fake mount: exit %d: %s", code, out.String())
	}
	if mounted, _ := isMountPoint(dir); mounted {
		t.Errorf("a fake mount mounted %s", dir)
	}
	if code := run("/sbin/mount.fuse.ossfuse", []string{"bkt", dir, "-f", "-o", "rw,endpoint=e,bogus"}, &out, &out, false); code != exitUsage {
		t.Errorf("fake mount with a bad option: exit %d, want 2", code)
	}
}

// secretPieces are the parts of the test secrets below that no message may
// show: every secret is made of them and of separators.
var secretPieces = []string{"Xq7", "Zr9", "Wp4", "Vk2"}

// TestSecretPiecesNeverInErrors gives every secret option a secret that an
// -o list cuts apart (commas, with =, spaces and backslashes around them),
// and checks that the error is one line naming the option, and that
// neither it nor the argv shown by ps hold any piece of the secret.
// An unescaped comma used to make the rest of the secret an unknown
// option, echoed in the error.
func TestSecretPiecesNeverInErrors(t *testing.T) {
	secrets := []string{
		"Xq7,Zr9", "Xq7,Zr9=Wp4", "Xq7,Zr9 Wp4", "Xq7 ,Zr9,Wp4=Vk2", "Xq7,uid=Zr9", "Xq7,ro=Zr9",
		"Xq7,memory=Zr9", "Xq7,,Zr9", "Xq7,=Zr9", "Xq7,Zr9\\", "Xq7\\\\,Zr9", "Xq7,endpoint",
		"Xq7,access_key_secret=Zr9,Wp4", "Xq7,part_size=Zr9,memory=Wp4",
	}
	table := options()
	for _, o := range table {
		if !o.secret {
			continue
		}
		for _, secret := range secrets {
			args := []string{"bkt", "/mnt/x", "-o", "endpoint=http://127.0.0.1:1,access_key_id=i," + o.name + "=" + secret}
			var stdout, stderr bytes.Buffer
			code := run("ossfuse", args, &stdout, &stderr, false)
			msg := stderr.String()
			if code != exitUsage || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, o.name) {
				t.Errorf("%s=%s: exit %d, stderr %q; want exit 2 and one line naming %s", o.name, secret, code, msg, o.name)
			}
			shown := strings.Join(cleanArgs(args, table), " ")
			for _, piece := range secretPieces {
				if strings.Contains(msg, piece) || strings.Contains(shown, piece) {
					t.Errorf("%s=%s: %q of the secret is shown: stderr %q, argv %q", o.name, secret, piece, msg, shown)
				}
			}
		}
		// The = or a dash mistyped: the name holds the secret.
		for _, typo := range [][]string{
			{"-o", "endpoint=e," + o.name + ":Xq7"}, {"-o", "endpoint=e," + o.name + "Xq7"},
			{"-o", "endpoint=e," + o.name + " Xq7,Zr9"}, {"--" + o.name + ":Xq7", "-o", "endpoint=e"},
			{"-" + o.name + "=Xq7", "-o", "endpoint=e"}, {"-" + o.name + ":Xq7", "-o", "endpoint=e"},
		} {
			_, err := parseArgs(append([]string{"bkt", "/mnt/x"}, typo...), defaultConfig())
			if err == nil || strings.Contains(err.Error(), "Xq7") || strings.Contains(err.Error(), "Zr9") || !strings.Contains(err.Error(), o.name) {
				t.Errorf("%q: error %v; want one naming %s and not the secret", typo, err, o.name)
			}
		}
	}
}

// TestSecretsWithCommasEscaped checks how a secret holding commas, =,
// spaces or backslashes is given: escaped in an -o list (as libfuse and
// ossfs read it), or whole in a flag; and that the argv ps shows keeps the
// other options meaning what they meant.
func TestSecretsWithCommasEscaped(t *testing.T) {
	const secret = `Xq7,Zr9=Wp4 Vk2\x,`
	escaped := `Xq7\,Zr9=Wp4 Vk2\\x\,`
	for _, args := range [][]string{
		{"bkt", "/m", "-o", "endpoint=e,access_key_id=i,access_key_secret=" + escaped + ",uid=7"},
		{"bkt", "/m", "-oendpoint=e,access_key_id=i,access_key_secret=" + escaped + ",uid=7"},
		{"bkt", "/m", "-o", "endpoint=e,access_key_id=i,uid=7", "--access_key_secret=" + secret},
		{"bkt", "/m", "-o", "endpoint=e,access_key_id=i,uid=7", "--access_key_secret", secret},
	} {
		c, err := parseArgs(args, defaultConfig())
		if err != nil {
			t.Errorf("%q: %v", args, err)
			continue
		}
		if c.accessKeySecret != secret || c.uid != 7 {
			t.Errorf("%q: secret %q, uid %d; want %q and 7", args, c.accessKeySecret, c.uid, secret)
		}
	}
	// Values with commas and backslashes survive the cleaned argv.
	args := []string{"bkt", "/m", "-o", `endpoint=e,credential_process=/bin/helper a\,b c\\d,access_key_id=i`, "--access_key_secret=s"}
	clean := cleanArgs(args, options())
	full, err := parseArgs(args, defaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	again, err := parseArgs(append(clean, "--access_key_secret=s"), defaultConfig())
	if err != nil || again != full || full.credentialProcess != `/bin/helper a,b c\d` {
		t.Errorf("cleaned argv %q means %+v, %v; want %+v", clean, again, err, full)
	}
}

func TestSplitEscaped(t *testing.T) {
	for in, want := range map[string][]string{
		`a,b`: {"a", "b"}, `a\,b`: {"a,b"}, `a\\,b`: {`a\`, "b"}, `a\`: {`a\`}, `\a`: {"a"}, ``: {""},
		`,`: {"", ""}, `a\\\,b`: {`a\,b`}, `a\054b,c`: {"a,b", "c"}, `\0541`: {",1"}, `\134,`: {`\`, ""},
		`\477`: {"477"}, `\05`: {"05"}, `\05,`: {"05", ""}, `x\377`: {"x\xff"}, `\\054`: {`\054`},
	} {
		if got := splitEscaped(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitEscaped(%q) = %q, want %q", in, got, want)
		}
		if len(want) == 1 && in != `a\` {
			if got := splitEscaped(escapeOption(want[0])); !reflect.DeepEqual(got, want) {
				t.Errorf("splitEscaped(escapeOption(%q)) = %q", want[0], got)
			}
		}
	}
}
