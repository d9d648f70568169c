package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
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
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"bkt", "/m", "-o", "access_key_secret=a,b", "with\nnewline", ""}
	errc := make(chan error, 1)
	go func() { errc <- writeArgs(w, args) }()
	got, err := readArgs(int(r.Fd()))
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
