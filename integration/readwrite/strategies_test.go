package readwrite

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// TestLargeSequentialWriteStreams writes 1 GiB with dd bs=1M: it goes up
// as one streaming multipart upload, every byte sent once, while the
// writer writes, and ossfuse's memory stays far below the file's size
// (parts are buffered within the byte budget, not the whole file). The
// release build runs it: its memory is the point, and the race detector
// would multiply the CPU time of every byte.
func TestLargeSequentialWriteStreams(t *testing.T) {
	e := newEnv(t, harness.WithPlainBuild())
	const size = 1 << 30
	local := filepath.Join(t.TempDir(), "src")
	sum := run(t, e.m.Dir, "head -c 1073741824 /dev/urandom > "+local+" && sha256sum < "+local)
	start := time.Now()
	s := e.measure(func() { harness.Run(t, e.m.Dir, "dd", "if="+local, "of=big.bin", "bs=1M", "status=none") })
	t.Logf("1 GiB written through the mount in %v", time.Since(start))
	// GNU dd opens of= and moves it to descriptor 1, closing the first
	// descriptor: that close uploads the new, still empty file.
	if s.Requests["PutObject"] > 1 || s.BytesInByOp["PutObject"] != 0 ||
		s.Requests["InitiateMultipartUpload"] != 1 || s.Requests["CompleteMultipartUpload"] != 1 ||
		s.Requests["AbortMultipartUpload"] != 0 || s.Requests["UploadPartCopy"] != 0 {
		t.Errorf("1 GiB written sequentially: %v; want one multipart upload, completed, nothing else written", s)
	}
	if got := s.BytesInByOp["UploadPart"]; got != size {
		t.Errorf("1 GiB written sequentially sent %d bytes of parts, want every byte once (%d)", got, size)
	}
	if got := s.BytesOutByOp["GetObject"]; got != 0 {
		t.Errorf("1 GiB written sequentially read %d bytes back from the bucket, want 0", got)
	}
	rss := harness.PeakRSS(t, e.m.Pid())
	t.Logf("peak RSS of ossfuse after writing 1 GiB: %d MiB", rss>>20)
	if rss > 512<<20 {
		t.Errorf("peak RSS of ossfuse %d MiB while writing 1 GiB; want well under 1 GiB", rss>>20)
	}
	info := e.head("big.bin")
	if info.Size != size || info.Type != ossio.TypeMultipart {
		t.Fatalf("big.bin: size %d, type %q; want %d, %q", info.Size, info.Type, size, ossio.TypeMultipart)
	}
	e.remount()
	if got := run(t, e.m.Dir, "sha256sum < big.bin"); got != sum {
		t.Errorf("big.bin after remount: sha256 %q, want %q (what was written)", got, sum)
	}
	if log := e.m.Log(); strings.Contains(log, "trySplice") {
		t.Errorf("reading 1 MiB blocks logged splice failures")
	}
}

// TestOverwriteInsideLargeObject writes 4 KiB into the middle of a 64 MiB
// object with dd conv=notrunc: the unchanged ranges are copied inside OSS
// (UploadPartCopy), and only a little more than the change is read and sent.
func TestOverwriteInsideLargeObject(t *testing.T) {
	e := newEnv(t)
	const size, off = 64 << 20, 32<<20 + 4096
	p := harness.Pattern{Seed: 64}
	if _, err := e.c.PutObject(e.ctx(), ossio.PutRequest{Key: e.key("obj"), Body: p.Reader(size), Size: size}); err != nil {
		t.Fatal(err)
	}
	patch := bytes.Repeat([]byte("X"), 4096)
	local := t.TempDir() + "/patch"
	if err := os.WriteFile(local, patch, 0o644); err != nil {
		t.Fatal(err)
	}
	s := e.measure(func() {
		harness.Run(t, e.m.Dir, "dd", "if="+local, "of=obj", "bs=4096", "seek="+strconv.Itoa(off/4096), "conv=notrunc", "status=none")
	})
	t.Logf("4 KiB into 64 MiB: %v; sent %d bytes, read %d", s, s.BytesInByOp["UploadPart"], s.BytesOutByOp["GetObject"])
	if s.Requests["UploadPartCopy"] < 2 || s.Requests["PutObject"] != 0 || s.Requests["CompleteMultipartUpload"] != 1 {
		t.Errorf("4 KiB written into 64 MiB: %v; want a multipart upload with the unchanged ranges copied", s)
	}
	if sent, read := s.BytesInByOp["UploadPart"], s.BytesOutByOp["GetObject"]; sent > 16<<20 || read > 16<<20 {
		t.Errorf("4 KiB written into 64 MiB sent %d bytes and read %d; want a few MiB at most", sent, read)
	}
	want := p.Bytes(0, size)
	copy(want[off:], patch)
	if got := e.body("obj"); !bytes.Equal(got, want) {
		t.Errorf("obj after the overwrite: %s", describeDiff(got, want))
	}
}

// TestAppendToAppendableObject appends 100 lines to an Appendable object
// with the shell's >>: 100 AppendObject requests, nothing rewritten or read.
func TestAppendToAppendableObject(t *testing.T) {
	e := newEnv(t)
	if _, err := e.c.AppendObject(e.ctx(), ossio.AppendRequest{Key: e.key("log"), Body: strings.NewReader("line 0\n"), Size: 7}); err != nil {
		t.Fatal(err)
	}
	want := "line 0\n"
	for i := 1; i <= 100; i++ {
		want += fmt.Sprintf("line %d\n", i)
	}
	s := e.measure(func() { run(t, e.m.Dir, "for i in $(seq 1 100); do echo line $i >> log; done") })
	t.Logf("100 appends: %v", s)
	wantWrites(t, "100 appends to an Appendable object", s, map[string]int64{"AppendObject": 100})
	// Each append's answer carries the new ETag: the next >> opens the
	// file from the stat cache instead of a HEAD (one per attr_ttl at most).
	if got := s.Requests["HeadObject"]; got > 20 {
		t.Errorf("100 appends cost %d HEADs; want the stat cache to answer the opens", got)
	}
	if got := s.BytesOutByOp["GetObject"]; got != 0 {
		t.Errorf("100 appends read %d bytes of the object, want 0", got)
	}
	info := e.head("log")
	if info.Type != ossio.TypeAppendable {
		t.Errorf("log: type %q after appends, want %q", info.Type, ossio.TypeAppendable)
	}
	if got := e.body("log"); string(got) != want {
		t.Errorf("log in the bucket: %s", describeDiff(got, []byte(want)))
	}
	if got := run(t, e.m.Dir, "cat log"); got != want {
		t.Errorf("cat log: %s", describeDiff([]byte(got), []byte(want)))
	}
}

// TestAppendToNormalObject appends to Normal objects: a large one keeps
// its bytes in OSS (UploadPartCopy) and sends only the tail; a small one
// is rewritten whole with one PutObject.
func TestAppendToNormalObject(t *testing.T) {
	e := newEnv(t)
	const size = 24 << 20
	p := harness.Pattern{Seed: 24}
	if _, err := e.c.PutObject(e.ctx(), ossio.PutRequest{Key: e.key("big"), Body: p.Reader(size), Size: size}); err != nil {
		t.Fatal(err)
	}
	s := e.measure(func() { run(t, e.m.Dir, "echo tail >> big") })
	t.Logf("5 bytes appended to 24 MiB: %v; sent %d bytes, read %d", s, s.BytesInByOp["UploadPart"], s.BytesOutByOp["GetObject"])
	if s.Requests["UploadPartCopy"] < 1 || s.Requests["PutObject"] != 0 || s.BytesInByOp["UploadPart"] > 8<<20 || s.BytesOutByOp["GetObject"] > 8<<20 {
		t.Errorf("append to 24 MiB: %v; want the existing bytes copied in OSS and little sent or read", s)
	}
	if got, want := e.body("big"), append(p.Bytes(0, size), "tail\n"...); !bytes.Equal(got, want) {
		t.Errorf("big after the append: %s", describeDiff(got, want))
	}

	if _, err := e.c.PutObject(e.ctx(), ossio.PutRequest{Key: e.key("small"), Body: strings.NewReader("head\n"), Size: 5}); err != nil {
		t.Fatal(err)
	}
	s = e.measure(func() { run(t, e.m.Dir, "echo tail >> small") })
	wantWrites(t, "append to a 5-byte Normal object", s, map[string]int64{"PutObject": 1})
	if got := e.body("small"); string(got) != "head\ntail\n" {
		t.Errorf("small after the append = %q", got)
	}
}

// TestAppendModeReadersSeeGrowth writes a new file on an append_mode
// mount through a descriptor it keeps open: the object is Appendable and
// a reader of the bucket sees each write arrive without a close or fsync.
func TestAppendModeReadersSeeGrowth(t *testing.T) {
	e := newEnv(t, harness.WithOptions("append_mode"))
	var f *os.File
	must(t, "create app.log", func() (err error) {
		f, err = os.OpenFile(e.path("app.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		return err
	})
	defer f.Close()
	var want string
	for i := 1; i <= 3; i++ {
		line := fmt.Sprintf("event %d\n", i)
		want += line
		must(t, "write", func() error { _, err := f.WriteString(line); return err })
		// Bounded wait for the object to grow; no fsync, no close.
		deadline := time.Now().Add(20 * time.Second)
		for {
			info, err := e.c.HeadObject(e.ctx(), e.key("app.log"))
			if err == nil && info.Size == int64(len(want)) {
				if info.Type != ossio.TypeAppendable {
					t.Fatalf("app.log: type %q, want %q", info.Type, ossio.TypeAppendable)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after write %d the bucket's app.log is %+v (err %v), want %d bytes", i, info, err, len(want))
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got := e.body("app.log"); string(got) != want {
			t.Fatalf("a reader of the bucket sees %q, want %q", got, want)
		}
	}
	s := e.measure(func() { must(t, "close", f.Close) })
	wantWrites(t, "close after the appends landed", s, nil)
}

// TestCreatesInKnownDirectoriesCostNoLookups creates files in a directory
// the mount just made, and in one it just listed: the kernel's lookup of
// each new name is answered from the listing the mount holds (amended by
// its own creates), so a file costs its upload and nothing else. A long
// attr_ttl keeps the listing fresh for the whole test however slow the
// machine.
func TestCreatesInKnownDirectoriesCostNoLookups(t *testing.T) {
	e := newEnv(t, harness.WithOptions("attr_ttl=10m"))
	if _, err := e.c.PutObject(e.ctx(), ossio.PutRequest{Key: e.key("listed/old"), Body: strings.NewReader("x"), Size: 1}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	create := func(dir string) {
		for i := 0; i < n; i++ {
			must(t, "create", func() error {
				return os.WriteFile(e.path(dir, fmt.Sprintf("f%02d", i)), []byte(dir), 0o644)
			})
		}
	}
	must(t, "mkdir made", func() error { return os.Mkdir(e.path("made"), 0o755) })
	s := e.measure(func() { create("made") })
	if s.Requests["HeadObject"] != 0 || s.Requests["ListObjectsV2"] != 0 || s.Requests["PutObject"] != n {
		t.Errorf("%d creates in a directory the mount made: %v; want %d PutObject and no lookup", n, s, n)
	}
	run(t, e.m.Dir, "ls listed >/dev/null")
	s = e.measure(func() { create("listed") })
	if s.Requests["HeadObject"] != 0 || s.Requests["ListObjectsV2"] != 0 || s.Requests["PutObject"] != n {
		t.Errorf("%d creates in a listed directory: %v; want %d PutObject and no lookup", n, s, n)
	}
	if got := strings.Fields(run(t, e.m.Dir, "ls made | wc -l; ls listed | wc -l")); len(got) != 2 || got[0] != "50" || got[1] != "51" {
		t.Errorf("ls counts %v, want 50 and 51: the amended listings must show every file", got)
	}
	// Removing amends the listing too: the name is gone at once.
	run(t, e.m.Dir, "rm made/f00 && ! test -e made/f00")
	if got := strings.TrimSpace(run(t, e.m.Dir, "ls made | wc -l")); got != "49" {
		t.Errorf("ls made after rm: %s entries, want 49", got)
	}
}

// TestAppendableChmodAndRename changes the mode of an Appendable object
// and renames another: OSS cannot copy Appendable objects, so both are
// rewritten (as Normal objects) with their content intact.
func TestAppendableChmodAndRename(t *testing.T) {
	e := newEnv(t)
	for _, k := range []string{"a.log", "b.log"} {
		if _, err := e.c.AppendObject(e.ctx(), ossio.AppendRequest{Key: e.key(k), Body: strings.NewReader(k + " line\n"), Size: int64(len(k) + 6)}); err != nil {
			t.Fatal(err)
		}
	}
	run(t, e.m.Dir, "chmod 600 a.log && mv b.log c.log")
	info := e.head("a.log")
	if got := e.body("a.log"); string(got) != "a.log line\n" || info.Type != ossio.TypeNormal || info.Meta["mode"] != strconv.Itoa(sIFREG|0o600) {
		t.Errorf("a.log after chmod 600: %q, type %s, meta %v; want its content, Normal, mode %d", got, info.Type, info.Meta, sIFREG|0o600)
	}
	e.wantGone("b.log")
	if got := e.body("c.log"); string(got) != "b.log line\n" {
		t.Errorf("c.log after mv b.log c.log: %q", got)
	}
	if got := run(t, e.m.Dir, "stat -c %a a.log; cat c.log"); got != "600\nb.log line\n" {
		t.Errorf("through the mount: %q", got)
	}
}

// TestReadThroughReadWriteDescriptor reads a 32 MiB object through an
// O_RDWR descriptor (whose reads come from the file's stage): every byte
// is fetched once, however many reads the kernel's readahead sends at a
// time, and nothing is written back.
func TestReadThroughReadWriteDescriptor(t *testing.T) {
	e := newEnv(t)
	const size = 32 << 20
	p := harness.Pattern{Seed: 32}
	if _, err := e.c.PutObject(e.ctx(), ossio.PutRequest{Key: e.key("obj"), Body: p.Reader(size), Size: size}); err != nil {
		t.Fatal(err)
	}
	var got []byte
	s := e.measure(func() {
		must(t, "read obj through O_RDWR", func() error {
			f, err := os.OpenFile(e.path("obj"), os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			got, err = io.ReadAll(f)
			return err
		})
	})
	if !bytes.Equal(got, p.Bytes(0, size)) {
		t.Fatalf("read through O_RDWR: %s", describeDiff(got, p.Bytes(0, size)))
	}
	wantWrites(t, "reading through O_RDWR", s, nil)
	if fetched := s.BytesOutByOp["GetObject"]; fetched != size {
		t.Errorf("reading 32 MiB through O_RDWR fetched %d bytes in %d GETs; want each byte once", fetched, s.Requests["GetObject"])
	}
}
