package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// scriptsDir is the module's scripts directory.
func scriptsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "scripts"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// toolDir makes a directory to be the whole PATH of a script: links to the
// real tools named, and stubs (name -> shell script body) for the others.
func toolDir(t *testing.T, tools []string, stubs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range tools {
		if err := os.Symlink(harness.RequireTool(t, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range stubs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runScript runs argv with exactly env as its environment, within a minute.
func runScript(t *testing.T, env []string, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v: no exit within a minute", argv)
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("%v: %v", argv, err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// TestGoproxyPicksTheFirstProxy checks scripts/goproxy.sh, which tells
// install-deps.sh where to fetch Go: the first entry of GOPROXY that is a
// proxy, from `go env` when a Go is on PATH, else from the environment,
// else Go's default; and a clear failure when there is none.
func TestGoproxyPicksTheFirstProxy(t *testing.T) {
	script := filepath.Join(scriptsDir(t), "goproxy.sh")
	noGo := toolDir(t, []string{"bash"}, nil)
	withGo := toolDir(t, []string{"bash"}, map[string]string{
		"go": `[ "$*" = "env GOPROXY" ] && echo 'off,https://goproxy.cn/,direct' || exit 2`,
	})
	for _, tc := range []struct {
		path, goproxy string
		setGoproxy    bool
		want          string // "" for a failure
	}{
		{noGo, "", false, "https://proxy.golang.org"},
		{noGo, "", true, "https://proxy.golang.org"},
		{noGo, "https://mirror.example/goproxy/", true, "https://mirror.example/goproxy"},
		{noGo, "direct,https://a.example,https://b.example", true, "https://a.example"},
		{noGo, "off|direct|https://a.example|https://b.example", true, "https://a.example"},
		{noGo, "https://a.example|https://b.example,direct", true, "https://a.example"},
		{noGo, "file:///srv/goproxy,direct", true, "file:///srv/goproxy"},
		{noGo, "direct", true, ""},
		{noGo, "off", true, ""},
		{noGo, "direct|off,", true, ""},
		// go env wins: it also knows `go env -w GOPROXY=...`.
		{withGo, "https://ignored.example", true, "https://goproxy.cn"},
	} {
		env := []string{"PATH=" + tc.path}
		if tc.setGoproxy {
			env = append(env, "GOPROXY="+tc.goproxy)
		}
		stdout, stderr, code := runScript(t, env, script)
		switch {
		case tc.want != "" && (code != 0 || stdout != tc.want+"\n"):
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", env, code, stdout, stderr, tc.want)
		case tc.want == "" && (code != 1 || stdout != "" || !strings.Contains(stderr, "GOPROXY="+tc.goproxy+" names no proxy")):
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and a line saying GOPROXY names no proxy", env, code, stdout, stderr)
		}
	}
}

// TestInstallDepsFetchesGoFromGOPROXY runs scripts/install-deps.sh on a
// machine without Go (its PATH holds the tools it needs and stubs of the
// Debian packages' commands; a /usr/local/go is hidden under a tmpfs in a
// private mount namespace) with GOPROXY naming a file:// proxy, which
// curl reads: the toolchain must come from there.
func TestInstallDepsFetchesGoFromGOPROXY(t *testing.T) {
	var wrap []string
	if _, err := os.Stat("/usr/local/go"); err == nil {
		if os.Geteuid() != 0 {
			t.Skip("hiding /usr/local/go needs root (CI runs the tests as root)")
		}
		wrap = []string{harness.RequireTool(t, "unshare"), "-m", "/bin/sh", "-c",
			harness.RequireTool(t, "mount") + ` -t tmpfs tmpfs /usr/local/go && exec "$@"`, "sh"}
	}
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	want := string(m[1])

	// The proxy: the toolchain module's zip, holding a go that says so.
	proxy := t.TempDir()
	top := "golang.org/toolchain@v0.0.1-go" + want + ".linux-amd64" // no dpkg on PATH: amd64
	zipPath := filepath.Join(proxy, "golang.org", "toolchain", "@v", "v0.0.1-go"+want+".linux-amd64.zip")
	if err := os.MkdirAll(filepath.Dir(zipPath), 0o755); err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, err := zw.Create(top + "/bin/go")
	if err == nil {
		_, err = w.Write([]byte("#!/bin/sh\necho fetched go\n"))
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = os.WriteFile(zipPath, zb.Bytes(), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}

	path := toolDir(t,
		[]string{"bash", "awk", "dirname", "id", "mktemp", "mkdir", "mv", "chmod", "rm", "unzip", "curl"},
		map[string]string{"fusermount3": "", "node": "", "npm": "", "rsync": "", "git": "", "gcc": "", "fio": "",
			"apt-get": "echo apt-get must not run >&2; exit 1"})
	home := t.TempDir()
	dest := filepath.Join(home, "go")
	script := filepath.Join(scriptsDir(t), "install-deps.sh")
	env := []string{"PATH=" + path, "HOME=" + home, "TMPDIR=" + t.TempDir(), "OSSFUSE_GO_ROOT=" + dest,
		"GOPROXY=direct|file://" + proxy + "/,https://proxy.invalid"}
	stdout, stderr, code := runScript(t, env, append(wrap, script)...)
	wantURL := "file://" + proxy + "/golang.org/toolchain/@v/v0.0.1-go" + want + ".linux-amd64.zip"
	if code != 0 || !strings.Contains(stdout, "fetching Go "+want+" from "+wantURL+"\n") {
		t.Fatalf("install-deps: exit %d, stdout %q, stderr %q; want it to fetch %s", code, stdout, stderr, wantURL)
	}
	if got, _, code := runScript(t, nil, filepath.Join(dest, "bin", "go")); code != 0 || got != "fetched go\n" {
		t.Errorf("the fetched go says %q (exit %d), want the proxy's", got, code)
	}

	// A GOPROXY without a proxy stops it with the reason, before fetching.
	env[len(env)-1] = "GOPROXY=off"
	env[len(env)-2] = "OSSFUSE_GO_ROOT=" + filepath.Join(home, "go2")
	stdout, stderr, code = runScript(t, env, append(wrap, script)...)
	if code == 0 || !strings.Contains(stderr, "GOPROXY=off names no proxy") || strings.Contains(stdout, "fetching") {
		t.Errorf("GOPROXY=off: exit %d, stdout %q, stderr %q; want a failure naming GOPROXY", code, stdout, stderr)
	}
}
