package fs

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// journalSuffix names a stage's journal: the stage file's name plus it.
const journalSuffix = ".journal"

// stageRecord is one line of a stage's journal: either a snapshot of
// everything needed to finish the stage, or (W set, nothing else) one more
// range written over the base. The journal is the last snapshot followed
// by the ranges written since: appending a range costs one small write,
// and only writes inside the base's bytes need one (bytes past the base
// are in the stage file, whatever they are), so a sequential write of a
// new file journals nothing but its first snapshot.
//
// The journal is not synced: it survives the death of the process (the
// page cache holds it), as the stage file does, not a crash of the host.
type stageRecord struct {
	W *[2]int64 `json:"w,omitempty"`
	// Closed, alone on its line, says whether the content is one a program
	// finished (a close or fsync started its upload: true) or one being
	// written (a write came after: false).
	Closed *bool `json:"closed,omitempty"`

	Key         string            `json:"key,omitempty"`
	Base        *baseRecord       `json:"base,omitempty"`
	Valid       int64             `json:"valid,omitempty"`
	Written     [][2]int64        `json:"written,omitempty"`
	Mode        uint32            `json:"mode,omitempty"`
	Uid         uint32            `json:"uid,omitempty"`
	Gid         uint32            `json:"gid,omitempty"`
	MtimeNs     int64             `json:"mtime_ns,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	Appendable  bool              `json:"appendable,omitempty"`
	// AttrChanged says the attributes differ from the base's.
	AttrChanged bool `json:"attr_changed,omitempty"`
}

// baseRecord is the object version a stage started from.
type baseRecord struct {
	Key  string `json:"key"`
	ETag string `json:"etag"`
	Size int64  `json:"size"`
	Type string `json:"type,omitempty"`
}

// snapshotLocked appends a snapshot of the stage to its journal.
// LOCKS_REQUIRED(s.mu)
func (s *staging) snapshotLocked() error {
	r := stageRecord{Key: s.key, Valid: s.baseValid, Mode: s.attr.Mode, Uid: s.attr.Uid, Gid: s.attr.Gid,
		MtimeNs: s.attr.Mtime.UnixNano(), Appendable: s.appendable, AttrChanged: s.attrGen != s.attrUploaded}
	if s.hasBase {
		b := s.base
		r.Base = &baseRecord{Key: b.key, ETag: b.etag, Size: b.attr.Size, Type: string(b.objType)}
		r.ContentType, r.Meta = b.contentType, b.userMeta
	}
	for _, sp := range s.written.spans {
		r.Written = append(r.Written, [2]int64{sp.start, sp.end})
	}
	if err := s.appendRecord(r); err != nil {
		return err
	}
	if s.closedInJournal { // a snapshot starts as being written
		s.closedInJournal = false
		return s.journalClosedLocked(true)
	}
	return nil
}

// journalWrite records that [start, end) of the base's bytes were written.
func (s *staging) journalWrite(start, end int64) error {
	return s.appendRecord(stageRecord{W: &[2]int64{start, end}})
}

// journalClosedLocked records whether the content is finished (see
// stageRecord.Closed), when that changes.
// LOCKS_REQUIRED(s.mu)
func (s *staging) journalClosedLocked(closed bool) error {
	if s.closedInJournal == closed {
		return nil
	}
	s.closedInJournal = closed
	return s.appendRecord(stageRecord{Closed: &closed})
}

// restartJournalLocked replaces the journal with one snapshot (after an
// upload made the stage match a new base).
// LOCKS_REQUIRED(s.mu)
func (s *staging) restartJournalLocked() error {
	if err := s.journal.Truncate(0); err != nil {
		return err
	}
	s.closedInJournal = false
	return s.snapshotLocked()
}

func (s *staging) appendRecord(r stageRecord) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := s.journal.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("journal of the stage of %q: %w", s.key, err)
	}
	return nil
}

// errNoSnapshot is a journal without a complete snapshot line.
var errNoSnapshot = errors.New("stage journal has no snapshot")

// readJournal folds the journal at path into the stage state it records.
// A torn last line (the process died while writing it) is ignored: a
// range record is written after its bytes, so losing it can only lose
// bytes whose write never returned.
func readJournal(path string) (stageRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return stageRecord{}, err
	}
	defer f.Close()
	var state stageRecord
	found, closed := false, false
	var written spanSet
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var r stageRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			break
		}
		switch {
		case r.W != nil:
			written.add(r.W[0], r.W[1])
			continue
		case r.Closed != nil:
			closed = *r.Closed
			continue
		}
		state, found, written, closed = r, true, spanSet{}, false
		for _, w := range r.Written {
			written.add(w[0], w[1])
		}
	}
	if err := sc.Err(); err != nil {
		return stageRecord{}, err
	}
	if !found || state.Key == "" {
		return stageRecord{}, errNoSnapshot
	}
	state.Closed = &closed
	state.Written = nil
	for _, sp := range written.spans {
		state.Written = append(state.Written, [2]int64{sp.start, sp.end})
	}
	return state, nil
}

// attr is the attributes the record gives the file.
func (r stageRecord) attr() meta.Attr {
	return meta.Attr{Mode: r.Mode, Uid: r.Uid, Gid: r.Gid, Mtime: time.Unix(0, r.MtimeNs)}
}

// baseEntry is the entry of the record's base object.
func (r stageRecord) baseEntry() (entry, bool) {
	if r.Base == nil {
		return entry{kind: kindFile, key: r.Key, attr: r.attr()}, false
	}
	a := r.attr()
	a.Size = r.Base.Size
	return entry{kind: kindFile, key: r.Base.Key, etag: r.Base.ETag, attr: a, objType: ossio.ObjectType(r.Base.Type),
		contentType: r.ContentType, userMeta: r.Meta}, true
}
