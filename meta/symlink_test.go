package meta

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

func TestSymlinkSource(t *testing.T) {
	tests := []struct {
		name   string
		info   ossio.ObjectInfo
		kind   SymlinkKind
		target string
		warn   string // expected Decode warning substring
	}{
		{"plain file", head("f", 3, map[string]string{"mode": "33188"}), NotSymlink, "", ""},
		{"no metadata", head("f", 3, nil), NotSymlink, "", ""},
		{"ossfs body form", head("l", 6, map[string]string{"mode": "41471"}), SymlinkBody, "", ""},
		{"body form, octal mode", head("l", 6, map[string]string{"mode": "0120777"}), SymlinkBody, "", ""},
		{"body form, odd perms", head("l", 6, map[string]string{"mode": "41376"}), SymlinkBody, "", ""},
		{"header form", head("l", 0, map[string]string{"symlink-target": "header:12:old-text.txt"}), SymlinkHeader, "old-text.txt", ""},
		{"header form, percent-encoded", head("l", 0, map[string]string{"symlink-target": "header:13:raw-%25 a%2Fb.txt"}), SymlinkHeader, "raw-% a/b.txt", ""},
		{"header form, unicode", head("l", 0, map[string]string{"symlink-target": "header:9:%E6%97%A5%E6%9C%AC%E8%AA%9E"}), SymlinkHeader, "日本語", ""},
		{"header form, raw value that does not decode", head("l", 0, map[string]string{"symlink-target": "header:4:50%!"}), SymlinkHeader, "50%!", ""},
		{"header beats mode", head("l", 9, map[string]string{"mode": "41471", "symlink-target": "header:1:t"}), SymlinkHeader, "t", ""},
		{"header says body", head("l", 9, map[string]string{"symlink-target": "body:0:"}), SymlinkBody, "", ""},
		{"garbled header", head("l", 9, map[string]string{"symlink-target": "elsewhere"}), SymlinkBody, "", "symlink-target"},
		{"unknown location", head("l", 9, map[string]string{"symlink-target": "xattr:1:t"}), SymlinkBody, "", "unknown location"},
		{"length mismatch", head("l", 9, map[string]string{"symlink-target": "header:99:short"}), SymlinkBody, "", "length"},
		{"empty header target", head("l", 9, map[string]string{"symlink-target": "header:0:"}), SymlinkBody, "", "empty"},
		{"NUL in header target", head("l", 9, map[string]string{"symlink-target": "header:3:a%00b"}), SymlinkBody, "", "NUL"},
		{"native", ossio.ObjectInfo{Key: "l", Type: ossio.TypeSymlink}, SymlinkNative, "", ""},
		{"native beats header", ossio.ObjectInfo{Key: "l", Type: ossio.TypeSymlink, Meta: map[string]string{"symlink-target": "header:1:t"}}, SymlinkNative, "", ""},
		{"marker with symlink mode", head("d/", 0, map[string]string{"mode": "41471"}), NotSymlink, "", "type ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, target := SymlinkSource(tt.info)
			if kind != tt.kind || target != tt.target {
				t.Errorf("SymlinkSource = %v, %q; want %v, %q", kind, target, tt.kind, tt.target)
			}
			a, warns := Decode(tt.info, testDefaults)
			if want := kind != NotSymlink; a.IsSymlink() != want {
				t.Errorf("Decode mode %#o, symlink want %v", a.Mode, want)
			}
			if a.IsSymlink() && a.Mode != SymlinkMode {
				t.Errorf("symlink mode %#o, want %#o", a.Mode, SymlinkMode)
			}
			checkWarnings(t, warns, tt.warn)
		})
	}
}

func TestTargetFromBody(t *testing.T) {
	tests := []struct {
		body, want string
		err        bool
	}{
		{"target.txt", "target.txt", false},
		{"../a/b", "../a/b", false},
		{"/abs/path", "/abs/path", false},
		{"text.txt\n", "text.txt", false}, // `echo text.txt | ossutil cp -`
		{"\t spaced \r\n", "spaced", false},
		{"inner space ok", "inner space ok", false},
		{"日本語", "日本語", false},
		{strings.Repeat("t", 4095), strings.Repeat("t", 4095), false},
		{strings.Repeat("t", 4096), "", true},
		{"", "", true},
		{" \n", "", true},
		{"a\x00b", "", true},
	}
	for _, tt := range tests {
		got, err := TargetFromBody([]byte(tt.body))
		if got != tt.want || (err != nil) != tt.err || (err != nil && !errors.Is(err, ErrBadSymlink)) {
			t.Errorf("TargetFromBody(%q) = %q, %v", tt.body, got, err)
		}
	}
}

func TestEncodeSymlink(t *testing.T) {
	mtime := time.Unix(1700000000, 5)
	tests := []struct {
		target string
		header string // "" when the target is too long for one
	}{
		{"target.txt", "header:10:target.txt"},
		{"../dir/f", "header:8:../dir/f"},
		{"with space", "header:10:with%20space"},
		{"100%", "header:4:100%25"},
		{" padded ", "header:8:%20padded%20"},
		{"a+b:c", "header:5:a%2Bb%3Ac"},
		{"日本", "header:6:%E6%97%A5%E6%9C%AC"},
		{strings.Repeat("x", 2048), "header:2048:" + strings.Repeat("x", 2048)},
		{strings.Repeat("x", 2049), ""},
		{strings.Repeat(" ", 683), ""}, // 2049 bytes once encoded
	}
	for _, tt := range tests {
		a := Attr{Mode: ModeRegular | 0o644, Uid: 7, Gid: 8, Size: 99, Mtime: mtime}
		body, meta, err := EncodeSymlink(tt.target, a)
		if err != nil {
			t.Fatalf("EncodeSymlink(%q): %v", tt.target, err)
		}
		want := map[string]string{"mode": "41471", "uid": "7", "gid": "8", "mtime": "1700000000"}
		if tt.header != "" {
			want["symlink-target"] = tt.header
		}
		if string(body) != tt.target || !reflect.DeepEqual(meta, want) {
			t.Errorf("EncodeSymlink(%.20q) = %.20q, %.80v", tt.target, body, meta)
			continue
		}

		// What we wrote reads back as a symlink to the same target.
		info := head("l", int64(len(body)), meta)
		kind, target := SymlinkSource(info)
		if tt.header == "" {
			if kind != SymlinkBody {
				t.Errorf("%.20q: kind %v, want body", tt.target, kind)
			}
			target, err = TargetFromBody(body)
			if strings.TrimSpace(tt.target) != "" && (err != nil || target != tt.target) {
				t.Errorf("%.20q: body reads %.20q, %v", tt.target, target, err)
			}
		} else if kind != SymlinkHeader || target != tt.target {
			t.Errorf("%.20q: SymlinkSource = %v, %.20q", tt.target, kind, target)
		}
		got, warns := Decode(info, testDefaults)
		if got.Mode != SymlinkMode || got.Uid != 7 || got.Gid != 8 || !got.Mtime.Equal(StoredTime(mtime)) || len(warns) != 0 {
			t.Errorf("%.20q: Decode = %+v, %q", tt.target, got, warns)
		}
	}
	for _, bad := range []string{"", "a\x00b", strings.Repeat("t", 4096)} {
		if _, _, err := EncodeSymlink(bad, Attr{}); !errors.Is(err, ErrBadSymlink) {
			t.Errorf("EncodeSymlink(%.20q) err = %v, want ErrBadSymlink", bad, err)
		}
	}
}

func TestSymlinkKindString(t *testing.T) {
	for k, want := range map[SymlinkKind]string{
		NotSymlink: "not-symlink", SymlinkHeader: "symlink-header", SymlinkBody: "symlink-body",
		SymlinkNative: "symlink-native", SymlinkKind(9): "SymlinkKind(9)",
	} {
		if got := k.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
