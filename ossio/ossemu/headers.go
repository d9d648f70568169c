package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// storedHeaderNames are the standard headers OSS keeps with an object and
// replays on GET and HEAD.
var storedHeaderNames = []string{"content-type", "cache-control", "content-disposition", "content-encoding", "expires"}

const metaPrefix = "x-oss-meta-"

var metaNameRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// maxObjectSize is the largest object PutObject and AppendObject accept.
const maxObjectSize = 5 << 30

// storedHeaders collects the headers of r that an object keeps: the
// standard ones and the user metadata, names lowercased. It enforces the
// metadata rules: names of [a-z0-9-] and at most 8 KB in all.
func storedHeaders(r *http.Request) (map[string]string, *apiError) {
	out := map[string]string{}
	for _, n := range storedHeaderNames {
		if v := r.Header.Get(n); v != "" {
			out[n] = v
		}
	}
	if out["content-type"] == "" {
		out["content-type"] = "application/octet-stream"
	}
	total := 0
	for name, values := range r.Header {
		lname := strings.ToLower(name)
		if !strings.HasPrefix(lname, metaPrefix) {
			continue
		}
		suffix := lname[len(metaPrefix):]
		if !metaNameRE.MatchString(suffix) {
			return nil, errInvalidArgument("0011-00000004", "The user metadata name is invalid: only letters, digits and '-' are allowed.", name, "")
		}
		v := strings.Join(values, ",")
		total += len(suffix) + len(v)
		out[lname] = v
	}
	if total > 8<<10 {
		return nil, errInvalidArgument("0011-00000002", "The total size of user metadata must not exceed 8 KB.", "x-oss-meta-*", strconv.Itoa(total))
	}
	return out, nil
}

// checkKey applies the object name rules of OSS.
func checkKey(key string) *apiError {
	switch {
	case key == "":
		return errorf(400, "InvalidObjectName", "0016-00000001", "The Object name can not be empty")
	case len(key) > 1023:
		return errorf(400, "InvalidObjectName", "0016-00000002", "The Length of Object name must be less than 1024", xmlField{"Key", key[:64] + "..."})
	case !utf8.ValidString(key):
		return errorf(400, "InvalidObjectName", "0016-00000002", "The object name is not valid UTF-8")
	case key[0] == '/' || key[0] == '\\':
		return errorf(400, "InvalidObjectName", "0016-00000005", "The Object name must not begin with '/' or '\\'", xmlField{"Key", key})
	}
	return nil
}

// checkContentMD5 validates a Content-MD5 header and returns the digest it
// announces (nil when the header is absent).
func checkContentMD5(r *http.Request) ([]byte, *apiError) {
	v := r.Header.Get("Content-MD5")
	if v == "" {
		return nil, nil
	}
	sum, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sum) != 16 {
		return nil, errorf(400, "InvalidDigest", "0017-00000502", "The Content-MD5 you specified is not valid.")
	}
	return sum, nil
}

func errDigestMismatch() *apiError {
	return errorf(400, "InvalidDigest", "0017-00000503", "The Content-MD5 you specified did not match what we received.")
}

// forbidOverwrite reads x-oss-forbid-overwrite.
func forbidOverwrite(r *http.Request) (bool, *apiError) {
	switch v := r.Header.Get("x-oss-forbid-overwrite"); strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, errInvalidArgument("0017-00000279", "x-oss-forbid-overwrite must be true or false", "x-oss-forbid-overwrite", v)
	}
}

func errAlreadyExists(key string) *apiError {
	return errorf(409, "FileAlreadyExists", "0026-00000002", "The object you specified already exists and can not be overwritten.", xmlField{"Key", key})
}

// checkBody checks what a request announces of its body before it is
// read: a length (411 without one, 400 over the object size limit) and a
// well-formed Content-MD5, whose digest it returns (nil when absent).
func checkBody(r *http.Request) ([]byte, *apiError) {
	if err := checkBodyLength(r); err != nil {
		return nil, err
	}
	return checkContentMD5(r)
}

// checkBodyLength rejects a body without a length (411) or over the object size limit.
func checkBodyLength(r *http.Request) *apiError {
	chunked := len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked"
	if r.ContentLength < 0 && !chunked {
		return errorf(411, "MissingContentLength", "0016-00000201", "You must provide the Content-Length HTTP header.")
	}
	if r.ContentLength > maxObjectSize {
		return errorf(400, "EntityTooLarge", "0017-00000401", "Your proposed upload exceeds the maximum allowed object size.")
	}
	return nil
}

// quote renders an ETag the way OSS sends it.
func quote(etag string) string { return `"` + etag + `"` }

// unquote strips the quotes of an ETag as clients send it.
func unquote(etag string) string { return strings.Trim(strings.TrimSpace(etag), `"`) }

// isoTime renders a time as OSS does in XML bodies.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// httpTime renders a time as OSS does in headers.
func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// writeXML sends v as the XML body of a 200 response.
func writeXML(c *call, v any) *apiError {
	body, err := xml.Marshal(v)
	if err != nil {
		return errInternal(err)
	}
	body = append([]byte(xml.Header), body...)
	h := c.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(body)
	return nil
}

// urlEncodeKey encodes a key for responses with encoding-type=url: every
// byte outside A-Z a-z 0-9 - _ . ~ becomes %XX, '/' included.
func urlEncodeKey(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.' || ch == '~' {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[ch>>4])
		b.WriteByte(hexDigits[ch&15])
	}
	return b.String()
}

// encoder returns the function rendering keys in c's response.
func encoder(c *call) func(string) string {
	if c.query.get("encoding-type") == "url" {
		return urlEncodeKey
	}
	return func(s string) string { return s }
}
