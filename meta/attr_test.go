package meta

import "testing"

func TestDefaults(t *testing.T) {
	tests := []struct {
		name      string
		d         Defaults
		file, dir uint32
	}{
		{"zero value means 0644/0755", Defaults{}, 0o100644, 0o40755},
		{"umask 022 on 0666/0777", Defaults{FileMode: 0o666, DirMode: 0o777, Umask: 0o022}, 0o100644, 0o40755},
		{"umask 077", Defaults{Umask: 0o077}, 0o100600, 0o40700},
		{"umask 0777 leaves nothing", Defaults{Umask: 0o777}, 0o100000, 0o40000},
		{"explicit modes", Defaults{FileMode: 0o600, DirMode: 0o700}, 0o100600, 0o40700},
		{"type bits in the option are dropped", Defaults{FileMode: 0o100640, DirMode: 0o40750}, 0o100640, 0o40750},
		{"sticky and setgid kept", Defaults{DirMode: 0o3775, Umask: 0o002}, 0o100644, 0o43775},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.File(); got != tt.file {
				t.Errorf("File() = %#o, want %#o", got, tt.file)
			}
			if got := tt.d.Dir(); got != tt.dir {
				t.Errorf("Dir() = %#o, want %#o", got, tt.dir)
			}
		})
	}
}

func TestAttrType(t *testing.T) {
	tests := []struct {
		mode                  uint32
		dir, regular, symlink bool
		perm                  uint32
	}{
		{0o100644, false, true, false, 0o644},
		{0o40755, true, false, false, 0o755},
		{0o120777, false, false, true, 0o777},
		{0o10600, false, false, false, 0o600},
		{0o104755, false, true, false, 0o4755},
	}
	for _, tt := range tests {
		a := Attr{Mode: tt.mode}
		if a.IsDir() != tt.dir || a.IsRegular() != tt.regular || a.IsSymlink() != tt.symlink || a.Perm() != tt.perm {
			t.Errorf("mode %#o: dir=%v regular=%v symlink=%v perm=%#o", tt.mode, a.IsDir(), a.IsRegular(), a.IsSymlink(), a.Perm())
		}
	}
}
