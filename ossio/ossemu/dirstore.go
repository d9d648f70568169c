package ossemu

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// dirStore keeps objects in a directory so they survive a restart,
// including kill -9:
//
//	DIR/<bucket>/bucket.json          creation time
//	DIR/<bucket>/meta/ab/<sha256>.json one record per key: metadata + data file name
//	DIR/.data/<random>.data           object bytes (shared: copies share files)
//	DIR/<bucket>/tmp/                 records being written
//
// A write creates a new data file, then renames a new record into place:
// the rename is the commit point, so a crash leaves the old version or the
// new one. Data files no record names (a crash between the two steps, or
// multipart parts) are removed at the next start.
type dirStore struct {
	root string
}

// dataDirName holds the data files; no bucket name can start with a dot.
const dataDirName = ".data"

// record is the on-disk form of an object version.
type record struct {
	object
	DataFile string // base name under .data/
	Size     int64
}

type bucketRecord struct {
	Created time.Time
}

func newDirStore(root string) (*dirStore, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	return &dirStore{root: root}, nil
}

func (d *dirStore) bucketDir(bucket string) string { return filepath.Join(d.root, bucket) }

func (d *dirStore) metaPath(bucket, key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(d.bucketDir(bucket), "meta", h[:2], h+".json")
}

// newDataFile creates an empty, uniquely named data file. Data files are
// not tied to a bucket until a record names them; they live in one shared
// directory so copies between buckets can share them.
func (d *dirStore) newDataFile() (*os.File, *dataFile, error) {
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	path := filepath.Join(d.root, dataDirName, hex.EncodeToString(rnd[:])+".data")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, err
	}
	fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return fh, newDataFile(path), nil
}

func (d *dirStore) write(r io.Reader, _ int64) (blob, digests, error) {
	fh, f, err := d.newDataFile()
	if err != nil {
		return nil, digests{}, err
	}
	defer fh.Close()
	h := newHashingWriter()
	n, err := io.Copy(io.MultiWriter(fh, h), r)
	if err != nil {
		f.release()
		return nil, digests{}, err
	}
	return &fileBlob{f: f, total: n}, h.digests(), nil
}

// copyBlobs writes the given blobs one after another into a new data file.
func (d *dirStore) copyBlobs(parts []blob) (blob, error) {
	fh, f, err := d.newDataFile()
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var total int64
	for _, p := range parts {
		n, err := copyBlobTo(fh, p)
		total += n
		if err != nil {
			f.release()
			return nil, err
		}
	}
	return &fileBlob{f: f, total: total}, nil
}

func copyBlobTo(w io.Writer, b blob) (int64, error) {
	rc, err := b.open(0, b.size())
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(w, rc)
}

// appendData grows the old version's file in place: bytes past old's size
// belong to no version yet, so no reader can see them change.
func (d *dirStore) appendData(old, extra blob) (blob, error) {
	ob, ok := old.(*fileBlob)
	if !ok || ob.total == 0 {
		return d.copyBlobs([]blob{old, extra})
	}
	if err := ob.f.acquire(); err != nil {
		return nil, err
	}
	fh, err := os.OpenFile(ob.f.path, os.O_WRONLY, 0)
	if err == nil {
		_, err = copyBlobTo(io.NewOffsetWriter(fh, ob.total), extra)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		ob.f.release()
		return nil, err
	}
	return &fileBlob{f: ob.f, total: ob.total + extra.size()}, nil
}

func (d *dirStore) concat(parts []blob) (blob, error) { return d.copyBlobs(parts) }

func (d *dirStore) slice(b blob, off, n int64) (blob, error) {
	return d.copyBlobs([]blob{&sliceBlob{b, off, n}})
}

func (d *dirStore) share(b blob) blob {
	fb, ok := b.(*fileBlob)
	if !ok {
		return b
	}
	if err := fb.f.acquire(); err != nil {
		return b // unreachable while the source object holds its reference
	}
	return &fileBlob{f: fb.f, total: fb.total}
}

func (d *dirStore) drop(b blob) {
	if fb, ok := b.(*fileBlob); ok {
		fb.f.release()
	}
}

func (d *dirStore) persist(bucket string, o *object) error {
	rec := record{object: *o, Size: o.Data.size()}
	if fb, ok := o.Data.(*fileBlob); ok {
		rec.DataFile = filepath.Base(fb.f.path)
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return writeAtomic(d.metaPath(bucket, o.Key), filepath.Join(d.bucketDir(bucket), "tmp"), body)
}

func (d *dirStore) unpersist(bucket, key string) error {
	err := os.Remove(d.metaPath(bucket, key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (d *dirStore) createBucket(name string) error {
	body, _ := json.Marshal(bucketRecord{Created: time.Now().UTC()})
	return writeAtomic(filepath.Join(d.bucketDir(name), "bucket.json"), filepath.Join(d.bucketDir(name), "tmp"), body)
}

func (d *dirStore) deleteBucket(name string) error { return os.RemoveAll(d.bucketDir(name)) }

// writeAtomic writes body to path through a temporary file and a rename.
func writeAtomic(path, tmpDir string, body []byte) error {
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(tmpDir, "rec-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// load rebuilds the bucket indexes from the records and removes data
// files that no record names.
func (d *dirStore) load(now time.Time) (map[string]*bucket, error) {
	buckets := map[string]*bucket{}
	files := map[string]*dataFile{}
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == dataDirName {
			continue
		}
		var br bucketRecord
		body, err := os.ReadFile(filepath.Join(d.root, e.Name(), "bucket.json"))
		if err != nil || json.Unmarshal(body, &br) != nil {
			continue // not a bucket directory
		}
		_ = os.RemoveAll(filepath.Join(d.root, e.Name(), "tmp"))
		b := newBucket(e.Name(), br.Created)
		buckets[b.name] = b
		err = filepath.WalkDir(filepath.Join(d.root, e.Name(), "meta"), func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if de.IsDir() || !strings.HasSuffix(path, ".json") {
				return nil
			}
			o, err := d.loadRecord(path, files)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			b.objects.ReplaceOrInsert(o)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	d.collectGarbage(files)
	return buckets, nil
}

func (d *dirStore) loadRecord(path string, files map[string]*dataFile) (*object, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, err
	}
	o := rec.object
	if rec.DataFile == "" {
		o.Data = newMemBlob()
		return &o, nil
	}
	f, ok := files[rec.DataFile]
	if ok {
		f.refs.Add(1)
	} else {
		f = newDataFile(filepath.Join(d.root, dataDirName, rec.DataFile))
		files[rec.DataFile] = f
	}
	o.Data = &fileBlob{f: f, total: rec.Size}
	return &o, nil
}

func (d *dirStore) collectGarbage(live map[string]*dataFile) {
	entries, _ := os.ReadDir(filepath.Join(d.root, dataDirName))
	for _, e := range entries {
		if _, ok := live[e.Name()]; !ok {
			_ = os.Remove(filepath.Join(d.root, dataDirName, e.Name()))
		}
	}
}

// sliceBlob is a window of another blob.
type sliceBlob struct {
	b      blob
	off, n int64
}

func (s *sliceBlob) size() int64 { return s.n }

func (s *sliceBlob) open(off, n int64) (io.ReadCloser, error) { return s.b.open(s.off+off, n) }
