package ossemu

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// byteRange is the part of an object a GET serves.
type byteRange struct {
	start, length int64
	partial       bool // a 206 with Content-Range
}

func fullRange(size int64) byteRange { return byteRange{0, size, false} }

func errInvalidRange(size int64) *apiError {
	return errorf(416, "InvalidRange", "0017-00000101", "The requested range cannot be satisfied",
		xmlField{"RangeRequested", ""}, xmlField{"ActualObjectSize", strconv.FormatInt(size, 10)})
}

// parseRange applies a Range header to an object of size bytes. OSS's
// default behaviour serves the whole object for any range it cannot
// satisfy; with x-oss-range-behavior: standard it clamps ends past EOF and
// answers 416 for starts past EOF. Malformed and multi-range headers are
// ignored in both behaviours.
func parseRange(header string, size int64, standard bool) (byteRange, *apiError) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return fullRange(size), nil
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return fullRange(size), nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return fullRange(size), nil
		}
		switch {
		case n == 0 || size == 0:
			if standard {
				return byteRange{}, errInvalidRange(size)
			}
			return fullRange(size), nil
		case n > size:
			if standard {
				return byteRange{0, size, true}, nil
			}
			return fullRange(size), nil
		}
		return byteRange{size - n, n, true}, nil
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return fullRange(size), nil
	}
	end := size - 1
	if last != "" {
		if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < start {
			return fullRange(size), nil
		}
	}
	if start >= size {
		if standard {
			return byteRange{}, errInvalidRange(size)
		}
		return fullRange(size), nil
	}
	if end >= size {
		if !standard {
			return fullRange(size), nil
		}
		end = size - 1
	}
	return byteRange{start, end - start + 1, true}, nil
}

// checkConditions evaluates If-Match, If-Unmodified-Since (412s) then
// If-None-Match, If-Modified-Since (304s) against an object. prefix is ""
// for GET/HEAD and "x-oss-copy-source-" for copies, whose conditions
// apply to the source.
func checkConditions(h http.Header, prefix, etag string, modified time.Time) *apiError {
	if v := h.Get(prefix + "If-Match"); v != "" && !etagListHas(v, etag) {
		return errPrecondition()
	}
	if v := h.Get(prefix + "If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && modified.After(t) {
			return errPrecondition()
		}
	}
	if v := h.Get(prefix + "If-None-Match"); v != "" && etagListHas(v, etag) {
		return notModified()
	}
	if v := h.Get(prefix + "If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !modified.After(t) {
			return notModified()
		}
	}
	return nil
}

// notModified is the 304 answer (for copies too, as OSS documents).
func notModified() *apiError {
	return &apiError{Status: http.StatusNotModified, Code: "NotModified"}
}

// etagListHas reports whether a conditional header's ETag list names etag.
func etagListHas(list, etag string) bool {
	for _, v := range strings.Split(list, ",") {
		v = unquote(v)
		if v == "*" || strings.EqualFold(v, etag) {
			return true
		}
	}
	return false
}
