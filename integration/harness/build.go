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
func buildBinaries() (Binaries, error) {
	root, err := Root()
	if err != nil {
		return Binaries{}, err
	}
	modDir, err := moduleRoot()
	if err != nil {
		return Binaries{}, err
	}
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return Binaries{}, err
	}
	// ossfuse is what the tests are about: with OSSFUSE_RACE=1 it runs
	// under the race detector. The emulator is a fixture whose own tests
	// race-check it in process; built plain, it does not triple the CPU
	// time of every byte a test moves.
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	start := time.Now()
	race := os.Getenv("OSSFUSE_RACE") == "1"
	for _, b := range []struct {
		pkg  string
		race bool
	}{{"./cmd/ossemu", false}, {"./cmd/ossfuse", race}} {
		args := []string{"build", "-buildvcs=false", "-o", bin + "/"}
		if b.race {
			args = append(args, "-race")
		}
		args = append(args, b.pkg)
		cmd := exec.CommandContext(ctx, goTool(), args...)
		cmd.Dir = modDir
		cmd.WaitDelay = 10 * time.Second
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("timed out after %v", BuildTimeout)
			}
			return Binaries{}, fmt.Errorf("harness: go %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	fmt.Fprintf(os.Stderr, "harness: built ossemu and ossfuse in %v\n", time.Since(start).Round(time.Millisecond))
	return Binaries{Ossemu: filepath.Join(bin, "ossemu"), Ossfuse: filepath.Join(bin, "ossfuse")}, nil
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
	plainBuild.once.Do(func() {
		root, err := Root()
		if err != nil {
			plainBuild.err = err
			return
		}
		modDir, err := moduleRoot()
		if err != nil {
			plainBuild.err = err
			return
		}
		dir := filepath.Join(root, "bin-plain")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			plainBuild.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool(), "build", "-buildvcs=false", "-o", dir+"/", "./cmd/ossfuse")
		cmd.Dir = modDir
		if out, err := cmd.CombinedOutput(); err != nil {
			plainBuild.err = fmt.Errorf("harness: go build ./cmd/ossfuse: %v\n%s", err, out)
			return
		}
		plainBuild.path = filepath.Join(dir, "ossfuse")
	})
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
