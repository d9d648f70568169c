package main

import "testing"

// TestDefaultDirsSurviveReboots checks the default recovery and cache
// directories of root and of users: never under the temporary directory,
// so that what a process could not upload, or was writing when it died,
// is found after a reboot.
func TestDefaultDirsSurviveReboots(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tc := range []struct {
		euid            int
		env             map[string]string
		recovery, cache string
	}{
		{0, map[string]string{"HOME": "/root"}, "/var/lib/ossfuse/recovered", "/var/cache/ossfuse"},
		{1000, map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "/data/u", "XDG_CACHE_HOME": "/cache/u"}, "/data/u/ossfuse/recovered", "/cache/u/ossfuse"},
		{1000, map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/ossfuse/recovered", "/home/u/.cache/ossfuse"},
		{1000, map[string]string{}, "", ""},
	} {
		if got := defaultRecoveryDir(tc.euid, env(tc.env)); got != tc.recovery {
			t.Errorf("defaultRecoveryDir(%d, %v) = %q, want %q", tc.euid, tc.env, got, tc.recovery)
		}
		if got := defaultCacheDir(tc.euid, env(tc.env)); got != tc.cache {
			t.Errorf("defaultCacheDir(%d, %v) = %q, want %q", tc.euid, tc.env, got, tc.cache)
		}
	}
}
