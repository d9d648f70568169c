package fs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

// The stages of a mount live in cache_dir/stages-BUCKET.PID.START
// (START: when it began, in ns, so that a PID used again after a reboot
// names another directory), whose lock file the process holds (flock) for
// as long as it runs: a later mount of the same bucket with the same
// cache_dir tells a dead process's stages from a live one's by trying that
// lock. (Bucket names hold no '.'.) Directories stages-PID are those of
// versions before the journal: their stages are saved as they are.
const (
	stageDirPrefix = "stages-"
	stageLockName  = "lock"
)

// legacyStageDir names the stage directories of versions before the
// journal (stages-PID).
var legacyStageDir = regexp.MustCompile(`^stages-[0-9]+$`)

// claimStageDir makes this mount's stage directory and takes its lock.
func (f *FS) claimStageDir() error {
	if err := os.MkdirAll(f.stageDir, 0o700); err != nil {
		return err
	}
	lock, alive, err := lockStageDir(f.stageDir)
	switch {
	case err != nil:
		return err
	case alive:
		return fmt.Errorf("stage directory %s is locked by another process", f.stageDir)
	}
	f.stageLock = lock
	return nil
}

// releaseStageDir removes this process's stage directory (when empty:
// a stage that could not be saved anywhere stays) and its lock.
func (f *FS) releaseStageDir() {
	if f.stageLock == nil {
		return
	}
	_ = os.Remove(f.stageLock.Name())
	_ = f.stageLock.Close()
	f.stageLock = nil
	_ = os.Remove(f.stageDir)
}

// lockStageDir takes the lock of a stage directory without waiting; alive
// reports that a running process holds it.
func lockStageDir(dir string) (lock *os.File, alive bool, err error) {
	lock, err = os.OpenFile(filepath.Join(dir, stageLockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return lock, false, nil
}

// RecoverStages finishes the stages that processes which died (kill -9,
// a crash, a reboot) left in cache_dir: a stage whose object is still the
// version it started from (or still absent, for a new file) is uploaded;
// any other is saved to the recovery directory as <time>/<key>. Each is
// logged, and nothing of them is left in cache_dir. Stages of live
// processes are left alone. Call it before serving the mount.
func (f *FS) RecoverStages(ctx context.Context) error {
	dirs, err := filepath.Glob(filepath.Join(f.opts.CacheDir, stageDirPrefix+f.opts.Bucket+".*"))
	if err != nil {
		return err
	}
	all, _ := filepath.Glob(filepath.Join(f.opts.CacheDir, stageDirPrefix+"*"))
	for _, dir := range all {
		if legacyStageDir.MatchString(filepath.Base(dir)) {
			dirs = append(dirs, dir)
		}
	}
	var errs []error
	for _, dir := range dirs {
		if dir == f.stageDir {
			continue
		}
		lock, alive, err := lockStageDir(dir)
		if err != nil || alive {
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if err := f.recoverStageDir(ctx, dir); err != nil {
			errs = append(errs, err)
		}
		_ = os.Remove(lock.Name())
		_ = lock.Close()
		if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("stage directory %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// recoverStageDir finishes every stage in dir, a dead process's.
func (f *FS) recoverStageDir(ctx context.Context, dir string) error {
	names, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	when := time.Now()
	var errs []error
	for _, de := range names {
		name := de.Name()
		if name == stageLockName || strings.HasSuffix(name, journalSuffix) {
			continue
		}
		data := filepath.Join(dir, name)
		if err := f.recoverStage(ctx, when, data); err != nil {
			errs = append(errs, err)
			continue
		}
		_ = os.Remove(data)
		_ = os.Remove(data + journalSuffix)
	}
	// Journals whose stage is gone record nothing to save.
	journals, _ := filepath.Glob(filepath.Join(dir, "*"+journalSuffix))
	for _, j := range journals {
		if _, err := os.Stat(strings.TrimSuffix(j, journalSuffix)); errors.Is(err, os.ErrNotExist) {
			_ = os.Remove(j)
		}
	}
	return errors.Join(errs...)
}

// recoverStage uploads or saves the stage file at data. It returns an
// error only when the content could be put nowhere (it is then left where
// it is).
func (f *FS) recoverStage(ctx context.Context, when time.Time, data string) error {
	log := f.log.WithField("stage", data)
	rec, err := readJournal(data + journalSuffix)
	if err != nil {
		// No journal (a stage of an older version, or torn): the content is
		// saved under the stage's own name, for a person to look at.
		where, err := f.saveRaw(when, data)
		if err != nil {
			log.WithError(err).Error("a dead process's stage has no journal and could not be saved to the recovery directory")
			return err
		}
		log.WithField("recovered", where).Warn("a dead process's stage has no journal: its bytes are saved in the recovery directory")
		return nil
	}
	log = log.WithField("key", rec.Key)
	file, err := os.OpenFile(data, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return err
	}
	var mu sync.Mutex
	base, hasBase := rec.baseEntry()
	s := &staging{mu: &mu, file: file, key: rec.Key, base: base, hasBase: hasBase, baseValid: rec.Valid,
		size: info.Size(), attr: rec.attr(), appendable: rec.Appendable, flushed: sync.NewCond(&mu)}
	for _, w := range rec.Written {
		s.written.add(w[0], w[1])
	}
	switch {
	case !rec.changes(s.size):
		log.Debug("a dead process's stage held nothing new; dropped")
		return nil
	case !*rec.Closed && s.size == 0 && len(rec.Written) == 0:
		// An open that emptied or created the file, and died before
		// writing: the object stays as it was.
		log.Info("a process that died had opened the file to replace it and written nothing; the object is unchanged")
		return nil
	case !*rec.Closed:
		// Died while writing: an unfinished file must not replace the
		// object (or appear as if complete).
		log.Warn("a process that died was writing the file; its unfinished content is not uploaded")
	case f.unchangedSince(ctx, rec):
		st := flushState{key: rec.Key, size: s.size, attr: s.attr, contentDirty: true}
		st.attr.Size = s.size
		if _, err := f.putStage(ctx, s, st); err == nil {
			log.Info("uploaded the file a process that died had finished but not uploaded")
			return nil
		} else {
			log.WithError(err).Warn("could not upload the file a process that died had finished")
		}
	default:
		log.Warn("the object changed since a process that died started writing it: not overwritten")
	}
	where, err := f.recover(ctx, when, rec.Key, s)
	if err != nil {
		log.WithError(err).Error("could not save the file a process that died was writing to the recovery directory")
		return err
	}
	log.WithField("recovered", where).Warn("the file a process that died was writing is saved in the recovery directory")
	return nil
}

// changes reports whether a stage of size bytes recorded by r differs
// from its base object.
func (r stageRecord) changes(size int64) bool {
	return r.Base == nil || r.Valid < r.Base.Size || size != r.Base.Size || len(r.Written) > 0 || r.AttrChanged || r.Appendable
}

// unchangedSince reports whether the object at r's key is what the stage
// was started from: the base version, or no object for a new file.
func (f *FS) unchangedSince(ctx context.Context, r stageRecord) bool {
	info, err := f.client.HeadObject(ctx, r.Key)
	if r.Base != nil && r.Base.Key == r.Key {
		return err == nil && info.ETag == r.Base.ETag
	}
	return errors.Is(err, ossio.ErrNotFound)
}

// saveRaw copies a stage file without a journal to the recovery
// directory, under the stage directory's name and its own.
func (f *FS) saveRaw(when time.Time, data string) (string, error) {
	in, err := os.Open(data)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := f.recoveryFile(when, filepath.Join(filepath.Base(filepath.Dir(data)), filepath.Base(data)))
	if err != nil {
		return "", err
	}
	_, err = in.WriteTo(out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return out.Name(), err
}
