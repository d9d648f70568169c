package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocumentedMountsParse checks that the fstab lines of README.md and
// the systemd mount unit of docs/systemd mean what they say to ossfuse:
// mount(8) passes their options to mount.fuse.ossfuse, which must accept
// them as given.
func TestDocumentedMountsParse(t *testing.T) {
	var mounts [][]string // SOURCE MOUNTPOINT OPTIONS
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[2] == "fuse.ossfuse" {
			mounts = append(mounts, f[:4:4])
		}
	}
	unit := map[string]string{}
	f, err := os.Open(filepath.Join("..", "..", "docs", "systemd", "mnt-oss.mount"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			unit[k] = v
		}
	}
	if unit["Type"] != "fuse.ossfuse" {
		t.Errorf("mnt-oss.mount: Type=%q, want fuse.ossfuse", unit["Type"])
	}
	mounts = append(mounts, []string{unit["What"], unit["Where"], "", unit["Options"]})
	if len(mounts) < 2 {
		t.Fatalf("found %d documented mounts, want README's fstab line and the unit", len(mounts))
	}
	for _, m := range mounts {
		args, fake, err := helperArgs([]string{m[0], m[1], "-f", "-o", m[3]})
		if err != nil || !fake {
			t.Fatalf("helperArgs: %v", err)
		}
		if _, err := parseArgs(args, defaultConfig()); err != nil {
			t.Errorf("documented mount %s %s -o %s: %v", m[0], m[1], m[3], err)
		}
	}
}

// TestDocumentedMemoryBound checks that README.md, docs/SEMANTICS.md and
// the help of memory= state the bound that limitMemory sets: memory= plus
// memoryHeadroom (integration/memory measures the peak RSS against it).
func TestDocumentedMemoryBound(t *testing.T) {
	bound := fmt.Sprintf("`memory=` + %d MiB", memoryHeadroom>>20)
	for _, doc := range []string{"README.md", filepath.Join("docs", "SEMANTICS.md")} {
		b, err := os.ReadFile(filepath.Join("..", "..", doc))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), bound) {
			t.Errorf("%s does not state the memory bound %q", doc, bound)
		}
	}
	for _, o := range options() {
		if want := fmt.Sprintf("plus %dMiB", memoryHeadroom>>20); o.name == "memory" && !strings.Contains(o.help, want) {
			t.Errorf("help of memory= %q does not say %q", o.help, want)
		}
	}
}
