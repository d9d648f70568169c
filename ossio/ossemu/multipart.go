package ossemu

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// minPartSize is the smallest part OSS accepts, except for the last one.
const minPartSize = 100 << 10

func newUploadID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// findUpload returns the upload named by the uploadId parameter, which
// must belong to c.key.
func (s *Server) findUpload(c *call, ec string) (*upload, *apiError) {
	c.bucket.mu.RLock()
	defer c.bucket.mu.RUnlock()
	u := c.bucket.uploads[c.query.get("uploadId")]
	if u == nil || u.Key != c.key {
		return nil, errNoSuchUpload(ec)
	}
	return u, nil
}

func (s *Server) initiateUpload(c *call) *apiError {
	if err := checkKey(c.key); err != nil {
		return err
	}
	if _, aerr := forbidOverwrite(c.r); aerr != nil {
		return aerr
	}
	headers, aerr := storedHeaders(c.r)
	if aerr != nil {
		return aerr
	}
	u := &upload{ID: newUploadID(), Key: c.key, Initiated: s.now().UTC(), Headers: headers, Parts: map[int]*part{}}
	c.bucket.mu.Lock()
	c.bucket.uploads[u.ID] = u
	c.bucket.mu.Unlock()
	res := struct {
		XMLName      xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket       string
		Key          string
		UploadId     string //nolint:revive // OSS's element name
		EncodingType string `xml:",omitempty"`
	}{Bucket: c.bucketName, Key: encoder(c)(c.key), UploadId: u.ID}
	if c.query.get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	return writeXML(c, res)
}

// partNumber reads and checks the partNumber parameter.
func partNumber(c *call) (int, *apiError) {
	v := c.query.get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10000 {
		return 0, errInvalidArgument("0017-00000220", "Part number must be an integer between 1 and 10000, inclusive.", "PartNumber", v)
	}
	return n, nil
}

// storePart records p in u, replacing an earlier part of the same number.
func (s *Server) storePart(c *call, u *upload, p *part, ec string) *apiError {
	c.bucket.mu.Lock()
	defer c.bucket.mu.Unlock()
	if c.bucket.uploads[u.ID] != u { // completed or aborted meanwhile
		s.store.drop(p.Data)
		return errNoSuchUpload(ec)
	}
	if old := u.Parts[p.Number]; old != nil {
		s.store.drop(old.Data)
	}
	u.Parts[p.Number] = p
	return nil
}

func (s *Server) uploadPart(c *call) *apiError {
	n, aerr := partNumber(c)
	if aerr != nil {
		return aerr
	}
	u, aerr := s.findUpload(c, "0042-00000104")
	if aerr != nil {
		return aerr
	}
	wantMD5, aerr := checkBody(c.r)
	if aerr != nil {
		return aerr
	}
	data, d, aerr := s.receive(c, wantMD5)
	if aerr != nil {
		return aerr
	}
	p := &part{Number: n, Data: data, ETag: d.etag(), MD5: d.md5, CRC64: d.crc64, LastModified: s.lastModified()}
	if aerr := s.storePart(c, u, p, "0042-00000104"); aerr != nil {
		return aerr
	}
	h := c.w.Header()
	h.Set("ETag", quote(p.ETag))
	h.Set("Content-MD5", d.contentMD5())
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(p.CRC64, 10))
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// parseCopyRange reads x-oss-copy-source-range (bytes=first-last, inclusive).
func parseCopyRange(v string, size int64) (off, n int64, _ *apiError) {
	if v == "" {
		return 0, size, nil
	}
	bad := errInvalidArgument("0042-00000306", "x-oss-copy-source-range must be bytes=first-last within the source object", "x-oss-copy-source-range", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	first, last, ok2 := strings.Cut(spec, "-")
	if !ok || !ok2 {
		return 0, 0, bad
	}
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	// OSS refuses a range reaching past the source (EC 0042-00000306)
	// rather than copying a short part.
	if err1 != nil || err2 != nil || a < 0 || b < a || b >= size {
		return 0, 0, bad
	}
	return a, b - a + 1, nil
}

func (s *Server) uploadPartCopy(c *call) *apiError {
	n, aerr := partNumber(c)
	if aerr != nil {
		return aerr
	}
	u, aerr := s.findUpload(c, "0042-00000311")
	if aerr != nil {
		return aerr
	}
	src, srcData, aerr := s.copySourceObject(c)
	if aerr != nil {
		return aerr
	}
	defer s.store.drop(srcData)
	if src.Type == "Appendable" {
		return errInvalidArgument("0017-00000802", "An appendable object cannot be copied.", "x-oss-copy-source", src.Key)
	}
	off, length, aerr := parseCopyRange(c.r.Header.Get("x-oss-copy-source-range"), srcData.size())
	if aerr != nil {
		return aerr
	}
	data, err := s.store.slice(srcData, off, length)
	if err != nil {
		return errInternal(err)
	}
	d, err := digestBlob(data)
	if err != nil {
		s.store.drop(data)
		return errInternal(err)
	}
	p := &part{Number: n, Data: data, ETag: d.etag(), MD5: d.md5, CRC64: d.crc64, LastModified: s.lastModified()}
	if aerr := s.storePart(c, u, p, "0042-00000311"); aerr != nil {
		return aerr
	}
	return writeXML(c, struct {
		XMLName      xml.Name `xml:"CopyPartResult"`
		LastModified string
		ETag         string
	}{LastModified: isoTime(p.LastModified), ETag: quote(p.ETag)})
}

// digestBlob hashes a blob the emulator did not receive as a body.
func digestBlob(b blob) (digests, error) {
	h := newHashingWriter()
	if _, err := copyBlobTo(h, b); err != nil {
		return digests{}, err
	}
	return h.digests(), nil
}

func (s *Server) completeUpload(c *call) *apiError {
	forbid, aerr := forbidOverwrite(c.r)
	if aerr != nil {
		return aerr
	}
	u, aerr := s.findUpload(c, "0042-00000002")
	if aerr != nil {
		return aerr
	}
	var req struct {
		XMLName xml.Name `xml:"CompleteMultipartUpload"`
		Parts   []struct {
			PartNumber int
			ETag       string
		} `xml:"Part"`
	}
	completeAll := strings.EqualFold(c.r.Header.Get("x-oss-complete-all"), "yes")
	if completeAll {
		if c.r.ContentLength > 0 {
			return errInvalidArgument("0042-00000216", "With x-oss-complete-all the request body must be empty.", "x-oss-complete-all", "yes")
		}
	} else if aerr := readXML(c, &req, "0042-00000205"); aerr != nil {
		return aerr
	}
	c.bucket.mu.Lock()
	var chosen []*part
	if completeAll {
		for _, p := range u.Parts {
			chosen = append(chosen, p)
		}
		sort.Slice(chosen, func(i, j int) bool { return chosen[i].Number < chosen[j].Number })
	} else {
		for i, rp := range req.Parts {
			if i > 0 && rp.PartNumber <= req.Parts[i-1].PartNumber {
				c.bucket.mu.Unlock()
				return errorf(400, "InvalidPartOrder", "0042-00000209", "The list of parts was not in ascending order. Parts must be ordered by part number.")
			}
			p := u.Parts[rp.PartNumber]
			if p == nil || !strings.EqualFold(unquote(rp.ETag), p.ETag) {
				c.bucket.mu.Unlock()
				return errorf(400, "InvalidPart", "0042-00000210", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
					xmlField{"PartNumber", strconv.Itoa(rp.PartNumber)}, xmlField{"ETag", rp.ETag})
			}
			chosen = append(chosen, p)
		}
	}
	c.bucket.mu.Unlock()
	if len(chosen) == 0 {
		return errMalformedXML("0042-00000205", "no parts to complete")
	}
	for _, p := range chosen[:len(chosen)-1] {
		if p.Data.size() < minPartSize {
			return errorf(400, "EntityTooSmall", "0042-00000213", "Your proposed upload is smaller than the minimum allowed size.",
				xmlField{"PartNumber", strconv.Itoa(p.Number)}, xmlField{"MinSizeAllowed", strconv.Itoa(minPartSize)})
		}
	}
	o, err := s.assemble(u, chosen)
	if err != nil {
		return errInternal(err)
	}
	aerr = s.commit(c.bucket, o, func(cur *object) *apiError {
		if c.bucket.uploads[u.ID] != u {
			return errNoSuchUpload("0042-00000002")
		}
		if forbid && cur != nil {
			return errAlreadyExists(cur.Key)
		}
		delete(c.bucket.uploads, u.ID)
		return nil
	})
	if aerr != nil {
		return aerr
	}
	s.dropParts(u)
	enc := encoder(c)
	c.w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(o.CRC64, 10))
	res := struct {
		XMLName      xml.Name `xml:"CompleteMultipartUploadResult"`
		EncodingType string   `xml:",omitempty"`
		Location     string
		Bucket       string
		Key          string
		ETag         string
	}{Location: "http://" + c.r.Host + "/" + c.bucketName + "/" + enc(c.key), Bucket: c.bucketName, Key: enc(c.key), ETag: quote(o.ETag)}
	if c.query.get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	return writeXML(c, res)
}

// assemble builds the object of a completed upload: its data is the parts
// in order, its ETag MD5(part MD5s)-N and its CRC the parts' CRCs combined.
func (s *Server) assemble(u *upload, parts []*part) (*object, error) {
	blobs := make([]blob, len(parts))
	sum := md5.New()
	var crc uint64
	for i, p := range parts {
		blobs[i] = p.Data
		sum.Write(p.MD5)
		crc = crc64Combine(crc, p.CRC64, p.Data.size())
	}
	data, err := s.store.concat(blobs)
	if err != nil {
		return nil, err
	}
	return &object{
		Key: u.Key, Data: data, ETag: fmt.Sprintf("%X-%d", sum.Sum(nil), len(parts)), CRC64: crc,
		Type: "Multipart", LastModified: s.lastModified(), Headers: u.Headers,
	}, nil
}

// dropParts releases the parts of a finished upload.
func (s *Server) dropParts(u *upload) {
	for _, p := range u.Parts {
		s.store.drop(p.Data)
	}
}

func (s *Server) abortUpload(c *call) *apiError {
	c.bucket.mu.Lock()
	u := c.bucket.uploads[c.query.get("uploadId")]
	if u == nil || u.Key != c.key {
		c.bucket.mu.Unlock()
		return errNoSuchUpload("0042-00000002")
	}
	delete(c.bucket.uploads, u.ID)
	c.bucket.mu.Unlock()
	s.dropParts(u)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listParts(c *call) *apiError {
	max, aerr := maxKeys(c.query, "max-parts", 1000, 1000)
	if aerr != nil {
		return aerr
	}
	marker, _ := strconv.Atoi(c.query.get("part-number-marker"))
	u, aerr := s.findUpload(c, "0042-00000002")
	if aerr != nil {
		return aerr
	}
	type partEntry struct {
		PartNumber    int
		LastModified  string
		ETag          string
		HashCrc64ecma uint64
		Size          int64
	}
	res := struct {
		XMLName              xml.Name `xml:"ListPartsResult"`
		EncodingType         string   `xml:",omitempty"`
		Bucket               string
		Key                  string
		UploadId             string //nolint:revive // OSS's element name
		StorageClass         string
		PartNumberMarker     int
		NextPartNumberMarker int
		MaxParts             int
		IsTruncated          bool
		Parts                []partEntry `xml:"Part"`
	}{Bucket: c.bucketName, Key: encoder(c)(c.key), UploadId: u.ID, StorageClass: "Standard", PartNumberMarker: marker, MaxParts: max}
	if c.query.get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	c.bucket.mu.RLock()
	numbers := make([]int, 0, len(u.Parts))
	for n := range u.Parts {
		if n > marker {
			numbers = append(numbers, n)
		}
	}
	sort.Ints(numbers)
	for _, n := range numbers {
		if len(res.Parts) == max {
			res.IsTruncated = true
			break
		}
		p := u.Parts[n]
		res.Parts = append(res.Parts, partEntry{n, isoTime(p.LastModified), quote(p.ETag), p.CRC64, p.Data.size()})
		res.NextPartNumberMarker = n
	}
	c.bucket.mu.RUnlock()
	return writeXML(c, res)
}

func (s *Server) listUploads(c *call) *apiError {
	max, aerr := maxKeys(c.query, "max-uploads", 1000, 1000)
	if aerr != nil {
		return aerr
	}
	prefix, keyMarker, idMarker := c.query.get("prefix"), c.query.get("key-marker"), c.query.get("upload-id-marker")
	type uploadEntry struct {
		Key          string
		UploadId     string //nolint:revive // OSS's element name
		StorageClass string
		Initiated    string
	}
	enc := encoder(c)
	res := struct {
		XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
		EncodingType       string   `xml:",omitempty"`
		Bucket             string
		KeyMarker          string
		UploadIdMarker     string //nolint:revive // OSS's element name
		NextKeyMarker      string
		NextUploadIdMarker string //nolint:revive // OSS's element name
		Prefix             string
		MaxUploads         int
		IsTruncated        bool
		Uploads            []uploadEntry `xml:"Upload"`
	}{Bucket: c.bucketName, KeyMarker: enc(keyMarker), UploadIdMarker: idMarker, Prefix: enc(prefix), MaxUploads: max}
	if c.query.get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	c.bucket.mu.RLock()
	var all []*upload
	for _, u := range c.bucket.uploads {
		if strings.HasPrefix(u.Key, prefix) && (u.Key > keyMarker || idMarker != "" && u.Key == keyMarker && u.ID > idMarker) {
			all = append(all, u)
		}
	}
	c.bucket.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool {
		if all[i].Key != all[j].Key {
			return all[i].Key < all[j].Key
		}
		return all[i].ID < all[j].ID
	})
	for _, u := range all {
		if len(res.Uploads) == max {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, uploadEntry{enc(u.Key), u.ID, "Standard", isoTime(u.Initiated)})
		res.NextKeyMarker, res.NextUploadIdMarker = enc(u.Key), u.ID
	}
	return writeXML(c, res)
}
