package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// BuildTimeout bounds the one `go build` of the binaries; a cold build cache
// with the race detector takes a few minutes on two cores.
var BuildTimeout = 6 * time.Minute

// modulePath is the import path of the module the binaries belong to.
const modulePath = "github.com/ossfuse/ossfuse"

// Binaries are the paths of the freshly built commands.
type Binaries struct {
	Ossemu  string // cmd/ossemu
	Ossfuse string // cmd/ossfuse
}

var build struct {
	once sync.Once
	bins Binaries
	err  error
}

// Build returns the binaries of cmd/ossemu and cmd/ossfuse, building them on
// the first call of the test binary into Main's root (removed at exit). A
// build failure fails every test that needs them, with the compiler output.
func Build(t testing.TB) Binaries {
	t.Helper()
	b, err := BuildBinaries()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BuildBinaries is Build for code without a testing.TB (shared fixtures).
func BuildBinaries() (Binaries, error) {
	build.once.Do(func() { build.bins, build.err = buildBinaries() })
	return build.bins, build.err
}

// buildBinaries builds both commands in the module root. OSSFUSE_RACE=1
// builds ossfuse with -race.
//
// ossfuse is what the tests are about: with OSSFUSE_RACE=1 it runs under
// the race detector. The emulator is a fixture whose own tests race-check
// it in process; built plain, it does not triple the CPU time of every
// byte a test moves.
func buildBinaries() (Binaries, error) {
	start := time.Now()
	emu, err := goBuild("bin", "./cmd/ossemu", false)
	if err != nil {
		return Binaries{}, err
	}
	fuse, err := goBuild("bin", "./cmd/ossfuse", os.Getenv("OSSFUSE_RACE") == "1")
	if err != nil {
		return Binaries{}, err
	}
	fmt.Fprintf(os.Stderr, "harness: built ossemu and ossfuse in %v\n", time.Since(start).Round(time.Millisecond))
	return Binaries{Ossemu: emu, Ossfuse: fuse}, nil
}

// goBuild builds the command pkg of the module into the directory dir of
// Main's root, with the race detector if race, and returns the binary's path.
func goBuild(dir, pkg string, race bool) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	modDir, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(root, dir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	args := []string{"build", "-buildvcs=false", "-o", out + "/"}
	if race {
		args = append(args, "-race")
	}
	args = append(args, pkg)
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Dir = modDir
	cmd.WaitDelay = 10 * time.Second
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %v", BuildTimeout)
		}
		return "", fmt.Errorf("harness: go %s: %v\n%s", strings.Join(args, " "), err, output.String())
	}
	return filepath.Join(out, filepath.Base(pkg)), nil
}

var plainBuild struct {
	once sync.Once
	path string
	err  error
}

// PlainOssfuse returns an ossfuse built without the race detector, whatever
// OSSFUSE_RACE says (built on first use). A test that moves gigabytes to
// measure memory or cost uses it: under the race detector every byte costs
// several times the CPU, and the heap is not the release binary's.
func PlainOssfuse(t testing.TB) string {
	t.Helper()
	plainBuild.once.Do(func() { plainBuild.path, plainBuild.err = goBuild("bin-plain", "./cmd/ossfuse", false) })
	if plainBuild.err != nil {
		t.Fatal(plainBuild.err)
	}
	return plainBuild.path
}

// moduleRoot finds the directory of our go.mod, walking up from the working
// directory (go test runs a test in its package directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module "+modulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("harness: no go.mod of " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

// goTool returns the go command. go test puts its toolchain's bin first
// on the test binary's PATH, so this is the go that is testing us.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
