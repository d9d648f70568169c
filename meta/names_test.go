package meta

import (
	"errors"
	"strings"
	"testing"
)

func TestNewMapper(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"", "", nil},
		{"/", "", nil},
		{"data", "data/", nil},
		{"/data/", "data/", nil},
		{"a/b", "a/b/", nil},
		{"/a/b c/日本/", "a/b c/日本/", nil},
		{"a/" + strings.Repeat("x", 300), "a/" + strings.Repeat("x", 300) + "/", nil},
		{"a//b", "", ErrInvalidName},
		{"//a", "", ErrInvalidName},
		{"a//", "", ErrInvalidName},
		{"./a", "", ErrInvalidName},
		{"a/.", "", ErrInvalidName},
		{"a/../b", "", ErrInvalidName},
		{"..", "", ErrInvalidName},
		{"a\x00b", "", ErrInvalidName},
		{strings.Repeat("x", 1022), strings.Repeat("x", 1022) + "/", nil},
		{strings.Repeat("x", 1023), "", ErrKeyTooLong},
	}
	for _, tt := range tests {
		m, err := NewMapper(tt.in)
		if !errors.Is(err, tt.err) || m.Prefix != tt.want {
			t.Errorf("NewMapper(%q) = %q, %v; want %q, %v", tt.in, m.Prefix, err, tt.want, tt.err)
		}
	}
}

func TestMapperPaths(t *testing.T) {
	for _, prefix := range []string{"", "mnt/pre/"} {
		m := Mapper{Prefix: prefix}
		tests := []struct{ got, want string }{
			{m.Key("a/b.txt"), prefix + "a/b.txt"},
			{m.Key("/a/b.txt"), prefix + "a/b.txt"},
			{m.Key("top"), prefix + "top"},
			{m.DirKey(""), prefix},
			{m.DirKey("/"), prefix},
			{m.DirKey("a/b"), prefix + "a/b/"},
			{m.DirKey("a/b/"), prefix + "a/b/"},
			{m.Key("with space/文件.txt"), prefix + "with space/文件.txt"},
		}
		for i, tt := range tests {
			if tt.got != tt.want {
				t.Errorf("prefix %q case %d: got %q, want %q", prefix, i, tt.got, tt.want)
			}
		}
		for _, tt := range []struct {
			key, path string
			ok        bool
		}{
			{prefix + "a/b.txt", "a/b.txt", true},
			{prefix + "a/b/", "a/b", true},
			{prefix, "", true},
		} {
			if p, ok := m.Rel(tt.key); p != tt.path || ok != tt.ok {
				t.Errorf("prefix %q: Rel(%q) = %q, %v", prefix, tt.key, p, ok)
			}
		}
	}
	if _, ok := (Mapper{Prefix: "p/"}).Rel("q/x"); ok {
		t.Error("Rel outside the prefix reported ok")
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"a", nil},
		{"with space", nil},
		{" leading and trailing ", nil},
		{"日本語のファイル名", nil},
		{"emoji 🎉", nil},
		{"...", nil},
		{".hidden", nil},
		{"tab\tand\nnewline", nil},
		{"\xff\xfe not utf-8", ErrNotUTF8},
		{strings.Repeat("x", 255), nil},
		{strings.Repeat("x", 256), ErrNameTooLong},
		{strings.Repeat("é", 127) + "x", nil},      // 255 bytes
		{strings.Repeat("é", 128), ErrNameTooLong}, // 256 bytes, 128 characters
		{"", ErrInvalidName},
		{".", ErrInvalidName},
		{"..", ErrInvalidName},
		{"a/b", ErrInvalidName},
		{"/", ErrInvalidName},
		{"a\x00b", ErrInvalidName},
	}
	for _, tt := range tests {
		if err := CheckName(tt.name); !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("CheckName(%q) = %v, want %v", tt.name, err, tt.err)
		}
	}
}

func TestCheckKeyLength(t *testing.T) {
	m := Mapper{Prefix: "pre/"}
	tests := []struct {
		key string
		err error
	}{
		{"", nil},
		{strings.Repeat("k", 1023), nil},
		{strings.Repeat("k", 1024), ErrKeyTooLong},
		{m.Key(strings.Repeat("k", 1019)), nil},
		{m.Key(strings.Repeat("k", 1020)), ErrKeyTooLong},
		{m.DirKey(strings.Repeat("k", 1018)), nil},
		{m.DirKey(strings.Repeat("k", 1019)), ErrKeyTooLong}, // the file fits, the marker does not
		{strings.Repeat("é", 511) + "x", nil},                // 1023 bytes
		{strings.Repeat("é", 512), ErrKeyTooLong},            // 1024 bytes
	}
	for i, tt := range tests {
		if err := CheckKeyLength(tt.key); !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("case %d (%d bytes): %v, want %v", i, len(tt.key), err, tt.err)
		}
	}
}

func TestClassifyAndChild(t *testing.T) {
	long255 := strings.Repeat("n", 255)
	long256 := strings.Repeat("n", 256)
	tests := []struct {
		dirKey, key string
		name        string
		isDir       bool
		skip        string // substring of the reason; "" when showable
	}{
		{"a/", "a/b.txt", "b.txt", false, ""},
		{"a/", "a/c/", "c", true, ""},
		{"a/", "a/c/d/e.txt", "c", true, ""}, // a deeper key names the child directory
		{"a/", "a/", "", false, ""},          // the directory's own marker
		{"a/", "a/with space.txt", "with space.txt", false, ""},
		{"a/", "a/文件 名.txt", "文件 名.txt", false, ""},
		{"a/", "a/" + long255, long255, false, ""},
		{"a/", "a/" + long255 + "/", long255, true, ""},
		{"a/", "a/" + long256, "", false, "NAME_MAX"},
		{"a/", "a/" + long256 + "/", "", true, "NAME_MAX"},
		{"a/", "a//", "", true, "empty"},
		{"a/", "a//b", "", true, "empty"},
		{"a/", "a/./", "", true, `"."`},
		{"a/", "a/../x", "", true, `".."`},
		{"a/", "a/..", "", false, `".."`},
		{"a/", "a/x\x00y", "", false, "NUL"},
		{"a/", "b/x", "", false, "not under"},
		{"", "x", "x", false, ""},
		{"", "x/", "x", true, ""}, // beside the file "x": both are returned, the directory wins in the fs
		{"", "/x", "", true, "empty"},
		{"p/", "p/x", "x", false, ""},
	}
	m := Mapper{}
	for _, tt := range tests {
		name, isDir, skip := Classify(tt.dirKey, tt.key)
		if name != tt.name || isDir != tt.isDir || (tt.skip == "") != (skip == "") || !strings.Contains(skip, tt.skip) {
			t.Errorf("Classify(%q, %q) = %q, %v, %q; want %q, %v, %q", tt.dirKey, tt.key, name, isDir, skip, tt.name, tt.isDir, tt.skip)
		}
		cname, cdir, ok := m.Child(tt.dirKey, tt.key)
		wantOK := tt.skip == "" && tt.name != ""
		if ok != wantOK || (ok && (cname != tt.name || cdir != tt.isDir)) {
			t.Errorf("Child(%q, %q) = %q, %v, %v", tt.dirKey, tt.key, cname, cdir, ok)
		}
	}
}

func TestChildUnderPrefix(t *testing.T) {
	m := Mapper{Prefix: "mnt/"}
	if name, isDir, ok := m.Child(m.DirKey("a"), "mnt/a/f"); name != "f" || isDir || !ok {
		t.Errorf("Child = %q, %v, %v", name, isDir, ok)
	}
	if name, isDir, ok := m.Child(m.DirKey(""), "mnt/sub/"); name != "sub" || !isDir || !ok {
		t.Errorf("Child at root = %q, %v, %v", name, isDir, ok)
	}
	if _, _, ok := m.Child("other/", "other/f"); ok {
		t.Error("Child accepted a directory outside the mount prefix")
	}
}

func TestNativeTarget(t *testing.T) {
	tests := []struct {
		prefix, link, target string
		path                 string
		ok                   bool
	}{
		{"", "l", "f", "f", true},
		{"", "a/l", "a/f", "f", true},
		{"", "a/b/l", "a/c/f", "../c/f", true},
		{"", "a/b/l", "f", "../../f", true},
		{"", "l", "a/b/f", "a/b/f", true},
		{"", "a/b/l", "a/b", "../b", true}, // the object "b" beside the link's directory
		{"", "a/l", "a/d/", "d/", true},    // a directory marker
		{"", "a/l", "a/sp ace/日本", "sp ace/日本", true},
		{"p/", "p/a/l", "p/b/f", "../b/f", true},
		{"p/", "p/l", "q/f", "../q/f", false}, // outside the mount
		{"", "l", "", "", false},
		{"", "l", "a//f", "", false},
		{"", "l", "a/../f", "", false},
		{"", "l", "./f", "", false},
	}
	for _, tt := range tests {
		m := Mapper{Prefix: tt.prefix}
		path, ok := m.NativeTarget(tt.link, tt.target)
		if path != tt.path || ok != tt.ok {
			t.Errorf("NativeTarget(%q, %q) under %q = %q, %v; want %q, %v", tt.link, tt.target, tt.prefix, path, ok, tt.path, tt.ok)
		}
	}
}
