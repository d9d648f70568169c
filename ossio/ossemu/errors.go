package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"
)

// apiError is an OSS error response: an HTTP status, an error code and the
// optional fine-grained EC and extra XML elements real OSS sends with it.
type apiError struct {
	Status  int
	Code    string
	Message string
	EC      string
	// Extra elements of the <Error> document, in order (Key, BucketName,
	// StringToSign, ...).
	Extra []xmlField
	// Headers to add to the response (x-oss-next-append-position, ...).
	Headers map[string]string
}

// xmlField is one extra child element of an error document.
type xmlField struct {
	Name  string
	Value string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, ec, msg string, extra ...xmlField) *apiError {
	return &apiError{Status: status, Code: code, EC: ec, Message: msg, Extra: extra}
}

// Common errors of the object API, with the messages and ECs OSS uses.
func errNoSuchBucket(bucket string) *apiError {
	return errorf(404, "NoSuchBucket", "0015-00000101", "The specified bucket does not exist.",
		xmlField{"BucketName", bucket})
}

func errNoSuchKey(key string) *apiError {
	return errorf(404, "NoSuchKey", "0026-00000001", "The specified key does not exist.",
		xmlField{"Key", key})
}

func errNoSuchUpload(ec string) *apiError {
	return errorf(404, "NoSuchUpload", ec,
		"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
}

func errPrecondition() *apiError {
	return errorf(412, "PreconditionFailed", "0017-00001001",
		"At least one of the pre-conditions you specified did not hold")
}

func errInvalidArgument(ec, msg, name, value string) *apiError {
	return errorf(400, "InvalidArgument", ec, msg,
		xmlField{"ArgumentName", name}, xmlField{"ArgumentValue", value})
}

func errMalformedXML(ec, detail string) *apiError {
	return errorf(400, "MalformedXML", ec,
		"The XML you provided was not well-formed or did not validate against our published schema.",
		xmlField{"ErrorDetail", detail})
}

func errInternal(err error) *apiError {
	return errorf(500, "InternalError", "0000-00000000", "We encountered an internal error. Please try again. ("+err.Error()+")")
}

// errorDocument renders the <Error> XML body.
func (e *apiError) errorDocument(requestID, host string) []byte {
	type elem struct {
		XMLName xml.Name
		Value   string `xml:",chardata"`
	}
	doc := struct {
		XMLName xml.Name `xml:"Error"`
		Elems   []elem
	}{}
	add := func(name, value string) {
		doc.Elems = append(doc.Elems, elem{XMLName: xml.Name{Local: name}, Value: value})
	}
	add("Code", e.Code)
	add("Message", e.Message)
	add("RequestId", requestID)
	add("HostId", host)
	for _, f := range e.Extra {
		add(f.Name, f.Value)
	}
	if e.EC != "" {
		add("EC", e.EC)
		add("RecommendDoc", "https://api.aliyun.com/troubleshoot?q="+e.EC)
	}
	body, _ := xml.Marshal(doc)
	return append([]byte(xml.Header), body...)
}

// writeError sends e the way OSS does: an XML body, or for HEAD requests an
// empty body with the document Base64-encoded in x-oss-err.
func writeError(w http.ResponseWriter, r *http.Request, requestID string, e *apiError) {
	h := w.Header()
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	if e.Status == http.StatusNotModified {
		w.WriteHeader(e.Status)
		return
	}
	if e.EC != "" {
		h.Set("x-oss-ec", e.EC)
	}
	body := e.errorDocument(requestID, r.Host)
	if r.Method == http.MethodHead {
		h.Set("x-oss-err", base64.StdEncoding.EncodeToString(body))
		w.WriteHeader(e.Status)
		return
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
