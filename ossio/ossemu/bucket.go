package ossemu

import (
	"bytes"
	"crypto/md5"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strconv"
)

func (s *Server) listBuckets(c *call) *apiError {
	type bucketEntry struct {
		Name         string
		Location     string
		CreationDate string
		StorageClass string
		Region       string
	}
	res := struct {
		XMLName xml.Name `xml:"ListAllMyBucketsResult"`
		Owner   owner
		Buckets []bucketEntry `xml:"Buckets>Bucket"`
	}{Owner: emulatorOwner}
	for _, name := range s.BucketNames() {
		b := s.bucket(name)
		if b == nil {
			continue
		}
		res.Buckets = append(res.Buckets, bucketEntry{
			Name: name, Location: "oss-" + s.region, CreationDate: isoTime(b.created),
			StorageClass: "Standard", Region: s.region,
		})
	}
	return writeXML(c, res)
}

func (s *Server) putBucket(c *call) *apiError {
	if !validBucketName(c.bucketName) {
		return errorf(400, "InvalidBucketName", "0015-00000001", "The specified bucket is not valid.", xmlField{"BucketName", c.bucketName})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[c.bucketName]; ok {
		return errorf(409, "BucketAlreadyExists", "0015-00000108", "The requested bucket name is not available.", xmlField{"BucketName", c.bucketName})
	}
	if err := s.store.createBucket(c.bucketName); err != nil {
		return errInternal(err)
	}
	s.buckets[c.bucketName] = newBucket(c.bucketName, s.now())
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteBucket(c *call) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := c.bucket
	b.mu.RLock()
	empty := b.objects.Len() == 0 && len(b.uploads) == 0
	b.mu.RUnlock()
	if !empty {
		return errorf(409, "BucketNotEmpty", "0015-00000301", "The bucket you tried to delete is not empty.", xmlField{"BucketName", b.name})
	}
	if err := s.store.deleteBucket(b.name); err != nil {
		return errInternal(err)
	}
	delete(s.buckets, b.name)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getBucketInfo(c *call) *apiError {
	type grant struct {
		Grant string
	}
	type info struct {
		Name              string
		Location          string
		CreationDate      string
		ExtranetEndpoint  string
		IntranetEndpoint  string
		StorageClass      string
		Region            string
		Owner             owner
		AccessControlList grant
	}
	return writeXML(c, struct {
		XMLName xml.Name `xml:"BucketInfo"`
		Bucket  info
	}{Bucket: info{
		Name: c.bucketName, Location: "oss-" + s.region, CreationDate: isoTime(c.bucket.created),
		ExtranetEndpoint: c.r.Host, IntranetEndpoint: c.r.Host, StorageClass: "Standard",
		Region: s.region, Owner: emulatorOwner, AccessControlList: grant{"private"},
	}})
}

func (s *Server) getBucketLocation(c *call) *apiError {
	return writeXML(c, struct {
		XMLName  xml.Name `xml:"LocationConstraint"`
		Location string   `xml:",chardata"`
	}{Location: "oss-" + s.region})
}

func (s *Server) getBucketACL(c *call) *apiError {
	return writeXML(c, struct {
		XMLName           xml.Name `xml:"AccessControlPolicy"`
		Owner             owner
		AccessControlList struct{ Grant string }
	}{Owner: emulatorOwner, AccessControlList: struct{ Grant string }{"private"}})
}

// maxRequestXML bounds the XML bodies the emulator parses.
const maxRequestXML = 4 << 20

// readXML reads and decodes a request's XML body. Control characters in
// keys arrive as character references (&#x1;) that Go's decoder rejects:
// they are swapped for private-use runes before decoding and restored by
// restoreControls afterwards.
func readXML(c *call, v any, ec string) *apiError {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, maxRequestXML+1))
	if err != nil {
		return errorf(400, "RequestTimeout", "0016-00000301", "The request body could not be read: "+err.Error())
	}
	if len(body) > maxRequestXML {
		return errMalformedXML(ec, "request body too large")
	}
	if want, aerr := checkContentMD5(c.r); aerr != nil {
		return aerr
	} else if want != nil {
		if sum := md5.Sum(body); !bytes.Equal(sum[:], want) {
			return errDigestMismatch()
		}
	}
	body = controlRefRE.ReplaceAllFunc(body, func(ref []byte) []byte {
		n, err := parseCharRef(ref)
		if err != nil || n >= 0x20 || n == '\t' || n == '\n' || n == '\r' {
			return ref
		}
		return []byte(string(rune(controlShift + n)))
	})
	if err := xml.Unmarshal(body, v); err != nil {
		return errMalformedXML(ec, err.Error())
	}
	return nil
}

var controlRefRE = regexp.MustCompile(`&#(x[0-9a-fA-F]+|[0-9]+);`)

// controlShift moves control characters into the private-use area while
// the XML decoder runs.
const controlShift = 0xF0000

func parseCharRef(ref []byte) (int, error) {
	s := string(ref[2 : len(ref)-1])
	if s[0] == 'x' {
		n, err := strconv.ParseInt(s[1:], 16, 32)
		return int(n), err
	}
	n, err := strconv.Atoi(s)
	return n, err
}

// restoreControls undoes the substitution of readXML in a decoded string.
func restoreControls(s string) string {
	out := []rune(s)
	changed := false
	for i, r := range out {
		if r >= controlShift && r < controlShift+0x20 {
			out[i] = r - controlShift
			changed = true
		}
	}
	if !changed {
		return s
	}
	return string(out)
}

func (s *Server) deleteMultiple(c *call) *apiError {
	if c.r.Header.Get("Content-MD5") == "" {
		return errorf(400, "MissingArgument", "0016-00000606", "Missing header Content-MD5 for DeleteMultipleObjects", xmlField{"ArgumentName", "Content-MD5"})
	}
	var req struct {
		XMLName xml.Name `xml:"Delete"`
		Quiet   string
		Objects []struct {
			Key *string
		} `xml:"Object"`
	}
	if aerr := readXML(c, &req, "0016-00000608"); aerr != nil {
		return aerr
	}
	if len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return errMalformedXML("0016-00000608", "a Delete request names 1 to 1000 objects, not "+strconv.Itoa(len(req.Objects)))
	}
	enc := encoder(c)
	type deleted struct {
		Key string
	}
	res := struct {
		XMLName      xml.Name  `xml:"DeleteResult"`
		EncodingType string    `xml:",omitempty"`
		Deleted      []deleted `xml:"Deleted"`
	}{}
	if c.query.get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	quiet := req.Quiet == "true"
	for _, o := range req.Objects {
		if o.Key == nil {
			return errMalformedXML("0016-00000613", "an Object element has no Key")
		}
		key := restoreControls(*o.Key)
		if err := checkKey(key); err != nil {
			return err
		}
		if err := s.remove(c.bucket, key); err != nil {
			return errInternal(err)
		}
		if !quiet {
			res.Deleted = append(res.Deleted, deleted{enc(key)})
		}
	}
	return writeXML(c, res)
}
