package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"strings"
)

// listing is one page of keys and common prefixes.
type listing struct {
	objects   []*object
	prefixes  []string
	truncated bool
	next      string // the last key or prefix returned, when truncated
}

// list walks b in key order from just after `after`, keeping keys that
// start with prefix and rolling those with delimiter after the prefix up
// into common prefixes. Each common prefix counts once toward max, and the
// walk jumps past all its keys instead of visiting them.
func (b *bucket) list(prefix, delimiter, after string, max int) listing {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out listing
	pivot := prefix
	if after >= pivot {
		pivot = after + "\x00" // the smallest key greater than after
	}
	for {
		var seek string
		done := true
		b.objects.AscendGreaterOrEqual(&object{Key: pivot}, func(o *object) bool {
			if !strings.HasPrefix(o.Key, prefix) {
				return false
			}
			if o.Key <= after {
				return true
			}
			full := func() bool {
				if len(out.objects)+len(out.prefixes) < max {
					return false
				}
				out.truncated = true
				return true
			}
			if delimiter != "" {
				if i := strings.Index(o.Key[len(prefix):], delimiter); i >= 0 {
					cp := o.Key[:len(prefix)+i+len(delimiter)]
					if cp > after { // a marker equal to a prefix skips all its keys
						if full() {
							return false
						}
						out.prefixes = append(out.prefixes, cp)
						out.next = cp
					}
					if seek = prefixSuccessor(cp); seek != "" {
						done = false
					}
					return false
				}
			}
			if full() {
				return false
			}
			out.objects = append(out.objects, o)
			out.next = o.Key
			return true
		})
		if done || out.truncated {
			break
		}
		pivot = seek
	}
	if !out.truncated {
		out.next = ""
	}
	return out
}

// prefixSuccessor returns the smallest string greater than every string
// starting with p, or "" when there is none.
func prefixSuccessor(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

type owner struct {
	ID          string
	DisplayName string
}

var emulatorOwner = owner{ID: "1000000000000000", DisplayName: "1000000000000000"}

type listEntry struct {
	Key          string
	LastModified string
	ETag         string
	Type         string
	Size         int64
	StorageClass string
	Owner        *owner `xml:",omitempty"`
}

type commonPrefix struct {
	Prefix string
}

// listResult is ListBucketResult of both ListObjects versions; the
// fields of the other version stay empty and are omitted.
type listResult struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	Name                  string
	Prefix                string
	Marker                *string `xml:",omitempty"`
	StartAfter            string  `xml:",omitempty"`
	MaxKeys               int
	Delimiter             string
	EncodingType          string `xml:",omitempty"`
	IsTruncated           bool
	NextMarker            string `xml:",omitempty"`
	ContinuationToken     string `xml:",omitempty"`
	NextContinuationToken string `xml:",omitempty"`
	KeyCount              *int   `xml:",omitempty"`
	Contents              []listEntry
	CommonPrefixes        []commonPrefix
}

// maxKeys reads a max-keys style parameter: default def, at most limit.
func maxKeys(q query, name string, def, limit int) (int, *apiError) {
	v := q.get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > limit {
		return 0, errInvalidArgument("0017-00000201", name+" must be an integer between 1 and "+strconv.Itoa(limit), name, v)
	}
	return n, nil
}

func (s *Server) listObjects(c *call) *apiError {
	v2 := c.op == "ListObjectsV2"
	q := c.query
	max, aerr := maxKeys(q, "max-keys", 100, 1000)
	if aerr != nil {
		return aerr
	}
	prefix, delimiter := q.get("prefix"), q.get("delimiter")
	enc := encoder(c)
	res := listResult{Name: c.bucketName, Prefix: enc(prefix), MaxKeys: max, Delimiter: enc(delimiter)}
	if q.get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	after := q.get("marker")
	if v2 {
		after = q.get("start-after")
		res.StartAfter = enc(after)
		if tok := q.get("continuation-token"); tok != "" {
			decoded, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				return errInvalidArgument("0017-00000204", "The continuation token is not valid.", "continuation-token", tok)
			}
			after = string(decoded)
			res.ContinuationToken = enc(tok)
		}
	} else {
		m := enc(after)
		res.Marker = &m
	}
	page := c.bucket.list(prefix, delimiter, after, max)
	res.IsTruncated = page.truncated
	withOwner := !v2 || q.get("fetch-owner") == "true"
	for _, o := range page.objects {
		e := listEntry{
			Key: enc(o.Key), LastModified: isoTime(o.LastModified), ETag: quote(o.ETag),
			Type: o.Type, Size: o.Data.size(), StorageClass: "Standard",
		}
		if withOwner {
			e.Owner = &emulatorOwner
		}
		res.Contents = append(res.Contents, e)
	}
	for _, p := range page.prefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{enc(p)})
	}
	if page.truncated {
		if v2 {
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.next))
		} else {
			res.NextMarker = enc(page.next)
		}
	}
	if v2 {
		n := len(page.objects) + len(page.prefixes)
		res.KeyCount = &n
	}
	return writeXML(c, res)
}
