package main

import "testing"

// TestDefaultRecoveryDirSurvivesReboots checks the default recovery
// directory of root and of users: never under the temporary directory.
func TestDefaultRecoveryDirSurvivesReboots(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tc := range []struct {
		euid int
		env  map[string]string
		want string
	}{
		{0, map[string]string{"HOME": "/root"}, "/var/lib/ossfuse/recovered"},
		{1000, map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "/data/u"}, "/data/u/ossfuse/recovered"},
		{1000, map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/ossfuse/recovered"},
		{1000, map[string]string{}, ""},
	} {
		if got := defaultRecoveryDir(tc.euid, env(tc.env)); got != tc.want {
			t.Errorf("defaultRecoveryDir(%d, %v) = %q, want %q", tc.euid, tc.env, got, tc.want)
		}
	}
}

// TestDefaultCacheDirSurvivesReboots checks the default cache directory:
// never the temporary directory, so that the next mount finds the stages
// of a process that died.
func TestDefaultCacheDirSurvivesReboots(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tc := range []struct {
		euid int
		env  map[string]string
		want string
	}{
		{0, map[string]string{"HOME": "/root"}, "/var/cache/ossfuse"},
		{1000, map[string]string{"HOME": "/home/u", "XDG_CACHE_HOME": "/cache/u"}, "/cache/u/ossfuse"},
		{1000, map[string]string{"HOME": "/home/u"}, "/home/u/.cache/ossfuse"},
		{1000, map[string]string{}, ""},
	} {
		if got := defaultCacheDir(tc.euid, env(tc.env)); got != tc.want {
			t.Errorf("defaultCacheDir(%d, %v) = %q, want %q", tc.euid, tc.env, got, tc.want)
		}
	}
}
