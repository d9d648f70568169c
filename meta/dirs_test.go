package meta

import "testing"

func TestIsDirMarker(t *testing.T) {
	tests := []struct {
		key, contentType string
		size             int64
		want             bool
	}{
		{"a/", MarkerContentType, 0, true},
		{"a/", "application/octet-stream", 0, true}, // console, ossutil
		{"a/", "", 0, true},
		{"a/b/", "binary/octet-stream", 0, true},
		{"a/", "application/x-directory; charset=UTF-8", 5, true},
		{"a/", "Application/X-Directory", 1, true},
		{"a/", "httpd/unix-directory", 3, true}, // Nextcloud
		{"a/", "text/plain", 1, false},          // holds data: rmdir must not delete it
		{"a/", "application/octet-stream", 100, false},
		{"a", MarkerContentType, 0, false},
		{"a_$folder$", "", 0, false}, // Hadoop's convention is not ours
		{"", MarkerContentType, 0, false},
	}
	for _, tt := range tests {
		if got := IsDirMarker(tt.key, tt.contentType, tt.size); got != tt.want {
			t.Errorf("IsDirMarker(%q, %q, %d) = %v, want %v", tt.key, tt.contentType, tt.size, got, tt.want)
		}
	}
}
