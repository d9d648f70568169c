package meta

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

var (
	lastModified = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	testDefaults = Defaults{Uid: 1000, Gid: 100}
)

func head(key string, size int64, meta map[string]string) ossio.ObjectInfo {
	return ossio.ObjectInfo{Key: key, Size: size, LastModified: lastModified, Meta: meta, Type: ossio.TypeNormal}
}

func TestEncode(t *testing.T) {
	mtime := time.Unix(1700000000, 123456789)
	tests := []struct {
		name string
		a    Attr
		want map[string]string
	}{
		{"regular 0644", Attr{Mode: ModeRegular | 0o644, Uid: 1000, Gid: 100, Mtime: mtime},
			map[string]string{"mode": "33188", "uid": "1000", "gid": "100", "mtime": "1700000000"}},
		{"dir 0755", Attr{Mode: ModeDir | 0o755, Mtime: time.Unix(1700000000, 0)},
			map[string]string{"mode": "16877", "uid": "0", "gid": "0", "mtime": "1700000000"}},
		{"symlink 0777", Attr{Mode: SymlinkMode, Uid: 4294967295, Gid: 4294967294},
			map[string]string{"mode": "41471", "uid": "4294967295", "gid": "4294967294"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Encode(tt.a); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Encode = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeMode(t *testing.T) {
	umask := Defaults{Uid: 1, Gid: 2, FileMode: 0o666, DirMode: 0o777, Umask: 0o022}
	tests := []struct {
		name string
		key  string
		meta map[string]string
		d    Defaults
		want uint32
		warn string // substring of the one expected warning; "" for none
	}{
		{"decimal regular", "f", map[string]string{"mode": "33188"}, testDefaults, 0o100644, ""},
		{"decimal dir", "d/", map[string]string{"mode": "16877"}, testDefaults, 0o40755, ""},
		{"decimal executable", "f", map[string]string{"mode": "33261"}, testDefaults, 0o100755, ""},
		{"spaces trimmed", "f", map[string]string{"mode": " 33188 "}, testDefaults, 0o100644, ""},
		{"octal with leading 0", "f", map[string]string{"mode": "0644"}, testDefaults, 0o100644, ""},
		{"octal with type, no leading 0", "f", map[string]string{"mode": "100644"}, testDefaults, 0o100644, ""},
		{"octal with type and leading 0", "f", map[string]string{"mode": "0100755"}, testDefaults, 0o100755, ""},
		{"0o prefix", "f", map[string]string{"mode": "0o600"}, testDefaults, 0o100600, ""},
		{"hex as strtol reads it", "f", map[string]string{"mode": "0x81a4"}, testDefaults, 0o100644, ""},
		{"no type bits: file", "f", map[string]string{"mode": "420"}, testDefaults, 0o100644, ""},
		{"no type bits: marker", "d/", map[string]string{"mode": "493"}, testDefaults, 0o40755, ""},
		{"bare 644 is decimal, as ossfs reads it", "f", map[string]string{"mode": "644"}, testDefaults, 0o101204, ""},
		{"setuid kept", "f", map[string]string{"mode": "35309"}, testDefaults, 0o104755, ""},
		{"fifo kept", "p", map[string]string{"mode": "4516"}, testDefaults, 0o10644, ""},
		{"socket kept", "s", map[string]string{"mode": "49645"}, testDefaults, 0o140755, ""},
		{"char device refused", "c", map[string]string{"mode": "8612"}, testDefaults, 0o100644, "device"},
		{"block device refused", "b", map[string]string{"mode": "0060600"}, testDefaults, 0o100600, "device"},
		{"S_IFDIR without slash (s3fs < 1.63)", "olddir", map[string]string{"mode": "16877"}, testDefaults, 0o100755, "1.63"},
		{"file type on a marker", "d/", map[string]string{"mode": "33188"}, testDefaults, 0o40644, "type ignored"},
		{"missing: file default", "f", nil, testDefaults, 0o100644, ""},
		{"missing: dir default", "d/", map[string]string{"uid": "5"}, testDefaults, 0o40755, ""},
		{"missing with umask", "f", nil, umask, 0o100644, ""},
		{"missing dir with umask", "d/", nil, umask, 0o40755, ""},
		{"umask does not touch a stored mode", "f", map[string]string{"mode": "33279"}, umask, 0o100777, ""},
		{"garbled word", "f", map[string]string{"mode": "rw-r--r--"}, testDefaults, 0o100644, "not a number"},
		{"garbled long value", "f", map[string]string{"mode": strings.Repeat("z", 100)}, testDefaults, 0o100644, `z"...: not a number`},
		{"garbled empty", "f", map[string]string{"mode": ""}, testDefaults, 0o100644, "not a number"},
		{"garbled negative", "f", map[string]string{"mode": "-1"}, testDefaults, 0o100644, "not a number"},
		{"garbled underscore", "f", map[string]string{"mode": "33_188"}, testDefaults, 0o100644, "not a number"},
		{"garbled too large", "f", map[string]string{"mode": "999999"}, testDefaults, 0o100644, "larger than any st_mode"},
		{"garbled type", "f", map[string]string{"mode": "0170644"}, testDefaults, 0o100644, "unknown file type"},
		{"garbled on a marker", "d/", map[string]string{"mode": "x"}, testDefaults, 0o40755, "not a number"},
		{"s3sync permissions", "f", map[string]string{"permissions": "33261"}, testDefaults, 0o100755, ""},
		{"gcs posix mode is octal", "f", map[string]string{"goog-reserved-posix-mode": "750"}, testDefaults, 0o100750, ""},
		{"mode wins over aliases", "f", map[string]string{"mode": "33188", "permissions": "33261"}, testDefaults, 0o100644, ""},
		{"garbled mode falls to alias", "f", map[string]string{"mode": "bad", "permissions": "33261"}, testDefaults, 0o100755, "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, warns := Decode(head(tt.key, 0, tt.meta), tt.d)
			if a.Mode != tt.want {
				t.Errorf("Mode = %#o, want %#o", a.Mode, tt.want)
			}
			checkWarnings(t, warns, tt.warn)
		})
	}
}

func checkWarnings(t *testing.T, warns []string, want string) {
	t.Helper()
	switch {
	case want == "" && len(warns) != 0:
		t.Errorf("unexpected warnings %q", warns)
	case want != "" && (len(warns) != 1 || !strings.Contains(warns[0], want)):
		t.Errorf("warnings %q, want one containing %q", warns, want)
	}
}

func TestDecodeMtime(t *testing.T) {
	tests := []struct {
		name string
		meta map[string]string
		want time.Time
		warn string
	}{
		{"seconds", map[string]string{"mtime": "1700000000"}, time.Unix(1700000000, 0), ""},
		{"nine digits", map[string]string{"mtime": "1700000000.123456789"}, time.Unix(1700000000, 123456789), ""},
		{"one nanosecond", map[string]string{"mtime": "1700000000.000000001"}, time.Unix(1700000000, 1), ""},
		{"short fraction is decimal (rclone)", map[string]string{"mtime": "1700000000.5"}, time.Unix(1700000000, 500000000), ""},
		{"three digits", map[string]string{"mtime": "1700000000.123"}, time.Unix(1700000000, 123000000), ""},
		{"spaces trimmed", map[string]string{"mtime": " 1700000000 "}, time.Unix(1700000000, 0), ""},
		{"epoch", map[string]string{"mtime": "0"}, time.Unix(0, 0), ""},
		{"before the epoch", map[string]string{"mtime": "-1"}, time.Unix(-1, 0), ""},
		{"negative fraction", map[string]string{"mtime": "-1.5"}, time.Unix(-2, 500000000), ""},
		{"gsutil fallback", map[string]string{"goog-reserved-file-mtime": "1600000000"}, time.Unix(1600000000, 0), ""},
		{"missing: Last-Modified", nil, lastModified, ""},
		{"ten digits", map[string]string{"mtime": "1700000000.1234567890"}, lastModified, "mtime"},
		{"empty fraction", map[string]string{"mtime": "1700000000."}, lastModified, "mtime"},
		{"no seconds", map[string]string{"mtime": ".5"}, lastModified, "mtime"},
		{"date string", map[string]string{"mtime": "2024-01-01T00:00:00Z"}, lastModified, "mtime"},
		{"overflow", map[string]string{"mtime": "99999999999999999999"}, lastModified, "out of range"},
		{"garbled falls to gsutil", map[string]string{"mtime": "x", "goog-reserved-file-mtime": "1600000000"}, time.Unix(1600000000, 0), "mtime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, warns := Decode(head("f", 1, tt.meta), testDefaults)
			if !a.Mtime.Equal(tt.want) {
				t.Errorf("Mtime = %v, want %v", a.Mtime, tt.want)
			}
			checkWarnings(t, warns, tt.warn)
		})
	}
}

func TestDecodeOwner(t *testing.T) {
	tests := []struct {
		name     string
		meta     map[string]string
		uid, gid uint32
		warns    int
	}{
		{"stored", map[string]string{"uid": "0", "gid": "33"}, 0, 33, 0},
		{"max uint32", map[string]string{"uid": "4294967295", "gid": "4294967295"}, 4294967295, 4294967295, 0},
		{"missing", nil, 1000, 100, 0},
		{"s3sync owner/group", map[string]string{"owner": "7", "group": "8"}, 7, 8, 0},
		{"gcs posix ids", map[string]string{"goog-reserved-posix-uid": "9", "goog-reserved-posix-gid": "10"}, 9, 10, 0},
		{"garbled", map[string]string{"uid": "root", "gid": "-1"}, 1000, 100, 2},
		{"overflow", map[string]string{"uid": "4294967296"}, 1000, 100, 1},
		{"one bad, one good", map[string]string{"uid": "x", "gid": "5"}, 1000, 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, warns := Decode(head("f", 1, tt.meta), testDefaults)
			if a.Uid != tt.uid || a.Gid != tt.gid || len(warns) != tt.warns {
				t.Errorf("uid %d gid %d warnings %q; want %d %d and %d warnings", a.Uid, a.Gid, warns, tt.uid, tt.gid, tt.warns)
			}
		})
	}
}

func TestDecodeSize(t *testing.T) {
	tests := []struct {
		name string
		info ossio.ObjectInfo
		want int64
	}{
		{"file", head("f", 1234, nil), 1234},
		{"marker", head("d/", 0, nil), 0},
		{"marker with a body", head("d/", 10, nil), 0},
		{"symlink in body", head("l", 9, map[string]string{"mode": "41471"}), 9},
		{"symlink in header", head("l", 0, map[string]string{"symlink-target": "header:6:target"}), 6},
		{"native symlink", ossio.ObjectInfo{Key: "l", Size: 500, Type: ossio.TypeSymlink}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a, _ := Decode(tt.info, testDefaults); a.Size != tt.want {
				t.Errorf("Size = %d, want %d", a.Size, tt.want)
			}
		})
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	mtime := time.Unix(1700000000, 987654321)
	tests := []struct {
		key string
		a   Attr
	}{
		{"f", Attr{Mode: ModeRegular | 0o640, Uid: 1, Gid: 2, Size: 10, Mtime: mtime}},
		{"d/", Attr{Mode: ModeDir | 0o750, Uid: 3, Gid: 4, Mtime: mtime}},
		{"f", Attr{Mode: ModeRegular | 0o4755, Uid: 0, Gid: 0, Size: 1, Mtime: mtime}},
		{"p", Attr{Mode: ModeFIFO | 0o600, Uid: 5, Gid: 6, Mtime: mtime}},
		{"f", Attr{Mode: ModeRegular | 0o644, Uid: 7, Gid: 8, Mtime: time.Unix(-100, 0)}},
	}
	for _, tt := range tests {
		got, warns := Decode(head(tt.key, tt.a.Size, Encode(tt.a)), Defaults{Uid: 99, Gid: 99, Umask: 0o777})
		want := tt.a
		want.Mtime = StoredTime(tt.a.Mtime)
		if !reflect.DeepEqual(got, want) || len(warns) != 0 {
			t.Errorf("%q: Decode(Encode(%+v)) = %+v, %q", tt.key, tt.a, got, warns)
		}
	}
}

func TestStoredTime(t *testing.T) {
	if got := StoredTime(time.Unix(5, 999999999)); !got.Equal(time.Unix(5, 0)) {
		t.Errorf("StoredTime = %v", got)
	}
	if got := StoredTime(time.Time{}); !got.IsZero() {
		t.Errorf("StoredTime(zero) = %v", got)
	}
}

func TestMerge(t *testing.T) {
	old := map[string]string{"mode": "33188", "uid": "1", "gid": "1", "mtime": "100", "ctime": "90", "atime": "95", "color": "blue"}
	got := Merge(old, Attr{Mode: ModeRegular | 0o600, Uid: 2, Gid: 3})
	want := map[string]string{"mode": "33152", "uid": "2", "gid": "3", "mtime": "100", "ctime": "90", "atime": "95", "color": "blue"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %v, want %v", got, want)
	}
	if old["mode"] != "33188" {
		t.Error("Merge modified its input")
	}
	if got := Merge(nil, Attr{Mode: ModeDir | 0o755, Mtime: time.Unix(200, 0)}); got["mtime"] != "200" {
		t.Errorf("Merge(nil) mtime = %q", got["mtime"])
	}
}

func TestFromListEntry(t *testing.T) {
	d := Defaults{Uid: 10, Gid: 20, Umask: 0o027}
	tests := []struct {
		name string
		e    ossio.ListEntry
		want Attr
	}{
		{"file", ossio.ListEntry{Key: "a/b.txt", Size: 42, LastModified: lastModified, Type: ossio.TypeNormal},
			Attr{Mode: 0o100640, Uid: 10, Gid: 20, Size: 42, Mtime: lastModified}},
		{"appendable file", ossio.ListEntry{Key: "log", Size: 7, LastModified: lastModified, Type: ossio.TypeAppendable},
			Attr{Mode: 0o100640, Uid: 10, Gid: 20, Size: 7, Mtime: lastModified}},
		{"marker", ossio.ListEntry{Key: "a/c/", Size: 0, LastModified: lastModified},
			Attr{Mode: 0o40750, Uid: 10, Gid: 20, Mtime: lastModified}},
		{"common prefix", ossio.ListEntry{Key: "a/c/"},
			Attr{Mode: 0o40750, Uid: 10, Gid: 20}},
		{"native symlink", ossio.ListEntry{Key: "a/l", Size: 3, LastModified: lastModified, Type: ossio.TypeSymlink},
			Attr{Mode: SymlinkMode, Uid: 10, Gid: 20, Mtime: lastModified}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromListEntry(tt.e, d); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FromListEntry = %+v, want %+v", got, tt.want)
			}
		})
	}
}
