package ossemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request signing as OSS verifies it (OSS-API.md §2). Four carriers exist:
//
//	V1 header  Authorization: OSS <ak>:<base64 HMAC-SHA1>
//	V4 header  Authorization: OSS4-HMAC-SHA256 Credential=...,AdditionalHeaders=...,Signature=...
//	V1 URL     ?OSSAccessKeyId=...&Expires=...&Signature=...[&security-token=...]
//	V4 URL     ?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=...&x-oss-signature=...
//
// The verifier rebuilds the string the client signed from the request as
// received and compares signatures. Checks run in the order OSS-API.md §2.7
// observes on real OSS: access key known (with its security token), time
// window, signature.

const (
	// maxClockSkew is how far a header-signed request's time may be from
	// the server clock.
	maxClockSkew = 15 * time.Minute

	v4Algorithm       = "OSS4-HMAC-SHA256"
	v4Product         = "oss"
	v4ScopeTerminator = "aliyun_v4_request"
	v4UnsignedPayload = "UNSIGNED-PAYLOAD"
	v4DateTimeFormat  = "20060102T150405Z"
	v4DateFormat      = "20060102"
	// v4MaxPresignExpires is the longest lifetime of a V4 presigned URL (7 days).
	v4MaxPresignExpires = 7 * 24 * 3600

	// serverTimeFormat renders ServerTime/RequestTime-like fields of error documents.
	serverTimeFormat = "2006-01-02T15:04:05.000Z"
)

// v1SignableSubresources are the query parameters that belong to a V1
// CanonicalizedResource (besides every name starting with "x-oss-"). It is the
// union of the fixed lists of the OSS SDKs and the per-operation extras SDK v2
// signs, so a request from either SDK is canonicalised the way it was signed.
var v1SignableSubresources = map[string]bool{
	"acl": true, "append": true, "asyncFetch": true, "bucketInfo": true, "callback": true,
	"callback-var": true, "cloudboxes": true, "cname": true, "comp": true,
	"continuation-token": true, "cors": true, "delete": true, "encryption": true,
	"endTime": true, "img": true, "inventory": true, "inventoryId": true,
	"lifecycle": true, "live": true, "location": true, "logging": true,
	"metaQuery": true, "objectMeta": true, "partNumber": true, "policy": true,
	"position": true, "qos": true, "qosInfo": true, "referer": true, "regionList": true,
	"replication": true, "replicationLocation": true, "replicationProgress": true,
	"requestPayment": true, "resourceGroup": true, "responseHeader": true,
	"response-cache-control": true, "response-content-disposition": true,
	"response-content-encoding": true, "response-content-language": true,
	"response-content-type": true, "response-expires": true, "restore": true,
	"rtc": true, "security-token": true, "seal": true, "sequential": true,
	"startTime": true, "stat": true, "status": true, "style": true, "styleName": true,
	"symlink": true, "tagging": true, "transferAcceleration": true, "udf": true,
	"udfApplication": true, "udfApplicationLog": true, "udfId": true, "udfImage": true,
	"udfImageDesc": true, "udfName": true, "uploadId": true, "uploads": true,
	"versionId": true, "versioning": true, "versions": true, "vod": true,
	"website": true, "withHashContext": true, "worm": true, "wormExtend": true,
	"wormId": true,
	// Per-operation sub-resources of SDK v2 (signer.SubResource metadata).
	"accessPoint": true, "accessPointConfigForObjectProcess": true,
	"accessPointForObjectProcess": true, "accessPointPolicy": true,
	"accessPointPolicyForObjectProcess": true, "agenticBucket": true,
	"bucketArchiveDirectRead": true, "cleanRestoredObject": true, "httpsConfig": true,
	"legalHold": true, "metadataConfiguration": true, "metadataInventoryTable": true,
	"metadataJournalTable": true, "objectWorm": true, "overwriteConfig": true,
	"policyStatus": true, "publicAccessBlock": true, "quota": true,
	"redundancyTransition": true, "regions": true, "retention": true,
	"userDefinedLogFieldsConfig": true,
}

// Credential is an access key pair the emulator accepts; SecurityToken, when set,
// must accompany every request signed with it (an STS credential), and Expires,
// when non-zero, is when that temporary credential stops being accepted.
type Credential struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	Expires         time.Time
}

// authenticator verifies OSS request signatures.
type authenticator struct {
	mu     sync.RWMutex
	creds  map[string]Credential // by AccessKeyID; empty = accept anonymous/unsigned requests and skip verification
	region string                // the emulator's region, e.g. "cn-hangzhou"; "" accepts any V4 scope region
	now    func() time.Time
}

// newAuthenticator returns an authenticator accepting creds. now is the clock
// used for skew and expiry checks (time.Now when nil).
func newAuthenticator(creds []Credential, region string, now func() time.Time) *authenticator {
	if now == nil {
		now = time.Now
	}
	a := &authenticator{region: region, now: now}
	a.replaceCredentials(creds)
	return a
}

// addCredential accepts c from now on, replacing any credential with the same
// AccessKeyID.
func (a *authenticator) addCredential(c Credential) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.creds[c.AccessKeyID] = c
}

// replaceCredentials makes creds the complete set of accepted credentials. An
// empty set switches verification off.
func (a *authenticator) replaceCredentials(creds []Credential) {
	m := make(map[string]Credential, len(creds))
	for _, c := range creds {
		m[c.AccessKeyID] = c
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.creds = m
}

// enforced reports whether any credential is configured; without one,
// requests are not verified at all.
func (a *authenticator) enforced() bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.creds) > 0
}

// lookup returns the credential for accessKeyID.
func (a *authenticator) lookup(accessKeyID string) (Credential, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	cred, found := a.creds[accessKeyID]
	return cred, found
}

// authenticate verifies r. bucket is the bucket name ("" for service-level requests such as ListBuckets),
// key the percent-DECODED object key ("" for bucket-level requests). It returns nil when the request may proceed.
func (a *authenticator) authenticate(r *http.Request, bucket, key string) *apiError {
	if !a.enforced() {
		return nil
	}
	req := &signedRequest{r: r, bucket: bucket, key: key, query: parseSignedQuery(r.URL.RawQuery)}
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, v4Algorithm+" "):
		return a.verifyV4Header(req, strings.TrimPrefix(auth, v4Algorithm+" "))
	case strings.HasPrefix(auth, "OSS "):
		return a.verifyV1Header(req, strings.TrimPrefix(auth, "OSS "))
	case auth != "":
		return errMalformedAuthorization("", "Authorization header is invalid: unsupported signature scheme.")
	}
	if _, ok := req.queryValue("x-oss-signature-version"); ok {
		return a.verifyV4Query(req)
	}
	if _, ok := req.queryValue("OSSAccessKeyId"); ok {
		return a.verifyV1Query(req)
	}
	return errorf(http.StatusForbidden, "AccessDenied", "",
		"You have no right to access this object because of bucket acl.")
}

// signedRequest is the request under verification with its query decoded once.
type signedRequest struct {
	r           *http.Request
	bucket, key string
	query       []queryParam
}

// queryParam is one name=value pair of the query string, percent-decoded.
type queryParam struct{ name, value string }

// parseSignedQuery splits a raw query into decoded pairs, keeping their order
// and duplicates. It is done by hand rather than with url.ParseQuery because
// that drops pairs containing ';' and would make them vanish from the
// signature. '+' decodes to a space, as both SDK signers treat it (V1 reads
// URL.Query(), V4 rewrites '+' to %20 before canonicalising); the SDK never
// sends a bare '+' anyway.
func parseSignedQuery(raw string) []queryParam {
	var params []queryParam
	for _, field := range strings.Split(raw, "&") {
		if field == "" {
			continue
		}
		name, value, _ := strings.Cut(field, "=")
		params = append(params, queryParam{unescapeQueryLenient(name), unescapeQueryLenient(value)})
	}
	return params
}

// unescapeQueryLenient decodes s, keeping it verbatim when it is not valid
// percent-encoding (the signature check then reports the mismatch).
func unescapeQueryLenient(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// queryValue returns the first value of the query parameter name.
func (s *signedRequest) queryValue(name string) (string, bool) {
	for _, p := range s.query {
		if p.name == name {
			return p.value, true
		}
	}
	return "", false
}

// credentialFor finds the credential of accessKeyID and checks the security
// token the request carried against it.
func (a *authenticator) credentialFor(accessKeyID, token string) (Credential, *apiError) {
	cred, found := a.lookup(accessKeyID)
	switch {
	case !found:
		return Credential{}, errorf(http.StatusForbidden, "InvalidAccessKeyId", "",
			"The OSS Access Key Id you provided does not exist in our records.",
			xmlField{"OSSAccessKeyId", accessKeyID})
	case cred.SecurityToken == "" && token != "":
		// OSS treats any request carrying a token as an STS request and
		// looks the key up among temporary credentials, where a permanent
		// key does not exist.
		return Credential{}, errorf(http.StatusForbidden, "InvalidAccessKeyId", "0002-00000002",
			"The OSS Access Key Id you provided does not exist in our records.",
			xmlField{"OSSAccessKeyId", accessKeyID})
	case cred.SecurityToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(cred.SecurityToken)) != 1:
		msg := "The security token you provided is invalid."
		if token == "" {
			msg = "The security token is missing; requests signed with a temporary credential must carry it."
		}
		return Credential{}, errorf(http.StatusForbidden, "InvalidSecurityToken", "", msg)
	case !cred.Expires.IsZero() && a.now().After(cred.Expires):
		return Credential{}, errorf(http.StatusForbidden, "SecurityTokenExpired", "0002-00000007",
			"The security token you provided has expired.", xmlField{"SecurityToken", token})
	}
	return cred, nil
}

// checkClockSkew rejects a header-signed request whose time, given by the
// header value raw, is too far from the server clock.
func (a *authenticator) checkClockSkew(raw string, t time.Time) *apiError {
	now := a.now()
	if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return errRequestTimeTooSkewed(raw, now)
	}
	return nil
}

// ---- V1 (HMAC-SHA1) ----

// verifyV1Header checks "Authorization: OSS <ak>:<signature>"; credential is
// the part after "OSS ".
func (a *authenticator) verifyV1Header(s *signedRequest, credential string) *apiError {
	accessKeyID, signature, ok := strings.Cut(strings.TrimSpace(credential), ":")
	if !ok || accessKeyID == "" || signature == "" {
		return errMalformedAuthorization("", "Authorization header is invalid: expected \"OSS <AccessKeyId>:<Signature>\".")
	}
	cred, err := a.credentialFor(accessKeyID, s.r.Header.Get("x-oss-security-token"))
	if err != nil {
		return err
	}
	// Browsers cannot set Date, so clients such as ali-oss send only
	// x-oss-date; its value then fills the Date slot of the string to sign
	// (and, being an x-oss-* header, also appears among the signed headers).
	timeHeader := s.r.Header.Get("Date")
	if timeHeader == "" {
		timeHeader = s.r.Header.Get("x-oss-date")
	}
	t, ok := parseRequestTime(timeHeader)
	if !ok {
		return errBadRequestTime(timeHeader)
	}
	if err := a.checkClockSkew(timeHeader, t); err != nil {
		return err
	}
	return checkV1Signature(cred, signature, v1StringToSign(s, timeHeader))
}

// verifyV1Query checks a V1 presigned URL.
func (a *authenticator) verifyV1Query(s *signedRequest) *apiError {
	accessKeyID, _ := s.queryValue("OSSAccessKeyId")
	signature, _ := s.queryValue("Signature")
	token, _ := s.queryValue("security-token")
	cred, err := a.credentialFor(accessKeyID, token)
	if err != nil {
		return err
	}
	// ECs as listed in OSS-API.md §2.3: missing, empty, invalid Expires.
	expires, present := s.queryValue("Expires")
	if !present {
		return errorf(http.StatusForbidden, "AccessDenied", "0002-00000067",
			"The Expires parameter is missing from the signed URL.")
	}
	if expires == "" {
		return errorf(http.StatusForbidden, "AccessDenied", "0002-00000068",
			"The Expires parameter of the signed URL is empty.")
	}
	expiresUnix, perr := strconv.ParseInt(expires, 10, 64)
	if perr != nil {
		return errorf(http.StatusForbidden, "AccessDenied", "0002-00000070",
			"The Expires parameter of the signed URL is not a Unix timestamp.",
			xmlField{"Expires", expires})
	}
	if now := a.now(); now.Unix() > expiresUnix {
		return errPresignExpired("0002-00000069", time.Unix(expiresUnix, 0), now)
	}
	// Expires takes the Date slot of the string to sign.
	return checkV1Signature(cred, signature, v1StringToSign(s, expires))
}

// checkV1Signature compares the provided signature with the one cred yields
// for stringToSign.
func checkV1Signature(cred Credential, provided, stringToSign string) *apiError {
	mac := hmac.New(sha1.New, []byte(cred.AccessKeySecret))
	mac.Write([]byte(stringToSign))
	expected := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(provided), []byte(expected)) == 1 {
		return nil
	}
	return errorf(http.StatusForbidden, "SignatureDoesNotMatch", "0002-00000040",
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.",
		xmlField{"OSSAccessKeyId", cred.AccessKeyID},
		xmlField{"SignatureProvided", provided},
		xmlField{"StringToSign", stringToSign},
		xmlField{"StringToSignBytes", spacedHex(stringToSign)})
}

// v1StringToSign builds
//
//	VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource
//
// with date in the Date slot (the Date header, or Expires for presigned URLs).
// Content-MD5 and Content-Type are used exactly as received.
func v1StringToSign(s *signedRequest, date string) string {
	h := s.r.Header
	var b strings.Builder
	b.WriteString(s.r.Method + "\n")
	b.WriteString(h.Get("Content-MD5") + "\n")
	b.WriteString(h.Get("Content-Type") + "\n")
	b.WriteString(date + "\n")
	headers := lowercaseHeaders(h, func(name string) bool { return strings.HasPrefix(name, "x-oss-") })
	writeCanonicalHeaders(&b, headers)
	b.WriteString(v1CanonicalResource(s))
	return b.String()
}

// v1CanonicalResource is "/bucket/key" with the decoded key ("/bucket/" for
// bucket-level and "/" for service-level requests), followed by the signable
// sub-resources, sorted, as name=decoded-value or a bare name.
func v1CanonicalResource(s *signedRequest) string {
	resource := "/"
	if s.bucket != "" {
		resource += s.bucket + "/" + s.key
	}
	// The SDK reads each sub-resource with url.Values.Get, so the first
	// value of a repeated name is the signed one.
	values := map[string]string{}
	var names []string
	for _, p := range s.query {
		if !v1SignableSubresources[p.name] && !strings.HasPrefix(p.name, "x-oss-") {
			continue
		}
		if _, seen := values[p.name]; !seen {
			values[p.name] = p.value
			names = append(names, p.name)
		}
	}
	if len(names) == 0 {
		return resource
	}
	sort.Strings(names)
	items := make([]string, len(names))
	for i, name := range names {
		items[i] = name
		if v := values[name]; v != "" {
			items[i] += "=" + v
		}
	}
	return resource + "?" + strings.Join(items, "&")
}

// ---- V4 (OSS4-HMAC-SHA256) ----

// v4Signature is what a V4-signed request claims, from either carrier.
type v4Signature struct {
	accessKeyID       string
	scope             v4Scope
	dateTime          string    // signing time as signed, yyyymmddThhmmssZ
	signedAt          time.Time // dateTime parsed
	additionalHeaders []string  // lowercase, sorted
	signature         string
	presigned         bool
}

// v4Scope is the part of the credential after the access key id:
// <yyyymmdd>/<region>/<product>/aliyun_v4_request.
type v4Scope struct {
	date, region, product string
}

func (sc v4Scope) String() string {
	return sc.date + "/" + sc.region + "/" + sc.product + "/" + v4ScopeTerminator
}

// verifyV4Header checks an "OSS4-HMAC-SHA256 ..." Authorization header;
// fields is the part after the algorithm name.
func (a *authenticator) verifyV4Header(s *signedRequest, fields string) *apiError {
	var sig v4Signature
	var credential string
	var haveCredential, haveAdditional bool
	var additional string
	// The SDK writes no space after the commas, the docs print one.
	for _, field := range strings.Split(fields, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch name {
		case "Credential":
			credential, haveCredential = value, true
		case "AdditionalHeaders":
			additional, haveAdditional = value, true
		case "Signature":
			sig.signature = value
		}
	}
	if !haveCredential || sig.signature == "" {
		return errMalformedAuthorization("", "Authorization header is invalid: Credential and Signature are required.")
	}
	var err *apiError
	if sig.accessKeyID, sig.scope, err = parseV4Credential(credential); err != nil {
		return err
	}
	if haveAdditional {
		if sig.additionalHeaders, err = parseV4AdditionalHeaders(additional); err != nil {
			return err
		}
	}
	cred, err := a.credentialFor(sig.accessKeyID, s.r.Header.Get("x-oss-security-token"))
	if err != nil {
		return err
	}
	raw := s.r.Header.Get("x-oss-date")
	t, perr := time.Parse(v4DateTimeFormat, raw)
	if raw == "" {
		// Without x-oss-date, Date gives the signing time.
		raw = s.r.Header.Get("Date")
		t, perr = http.ParseTime(raw)
	}
	if perr != nil {
		return errBadRequestTime(raw)
	}
	sig.signedAt = t
	sig.dateTime = t.UTC().Format(v4DateTimeFormat)
	if err := a.checkClockSkew(raw, t); err != nil {
		return err
	}
	return a.checkV4Signature(s, cred, sig)
}

// verifyV4Query checks a V4 presigned URL.
func (a *authenticator) verifyV4Query(s *signedRequest) *apiError {
	sig := v4Signature{presigned: true}
	if version, _ := s.queryValue("x-oss-signature-version"); version != v4Algorithm {
		return errInvalidArgument("", "Unsupported x-oss-signature-version; the emulator accepts "+v4Algorithm+".",
			"x-oss-signature-version", version)
	}
	required := map[string]string{}
	for _, name := range []string{"x-oss-credential", "x-oss-date", "x-oss-expires", "x-oss-signature"} {
		v, ok := s.queryValue(name)
		if !ok || v == "" {
			return errInvalidArgument("", "The signed URL lacks the "+name+" parameter.", name, v)
		}
		required[name] = v
	}
	sig.signature = required["x-oss-signature"]
	var err *apiError
	if sig.accessKeyID, sig.scope, err = parseV4Credential(required["x-oss-credential"]); err != nil {
		return err
	}
	if additional, ok := s.queryValue("x-oss-additional-headers"); ok {
		if sig.additionalHeaders, err = parseV4AdditionalHeaders(additional); err != nil {
			return err
		}
	}
	token, _ := s.queryValue("x-oss-security-token")
	cred, err := a.credentialFor(sig.accessKeyID, token)
	if err != nil {
		return err
	}
	sig.dateTime = required["x-oss-date"]
	signedAt, perr := time.Parse(v4DateTimeFormat, sig.dateTime)
	if perr != nil {
		return errBadRequestTime(sig.dateTime)
	}
	sig.signedAt = signedAt
	lifetime, perr := strconv.ParseInt(required["x-oss-expires"], 10, 64)
	if perr != nil || lifetime < 1 || lifetime > v4MaxPresignExpires {
		return errInvalidArgument("0002-00000232",
			"x-oss-expires must be a number of seconds between 1 and 604800.",
			"x-oss-expires", required["x-oss-expires"])
	}
	now := a.now()
	// A URL may be signed by a client whose clock runs ahead, but not by
	// more than the allowed skew.
	if signedAt.Sub(now) > maxClockSkew {
		return errRequestTimeTooSkewed(sig.dateTime, now)
	}
	if expiry := signedAt.Add(time.Duration(lifetime) * time.Second); now.After(expiry) {
		return errPresignExpired("0002-00000236", expiry, now)
	}
	return a.checkV4Signature(s, cred, sig)
}

// parseV4Credential splits "<ak>/<yyyymmdd>/<region>/<product>/aliyun_v4_request".
// The access key id is everything before the last four parts.
func parseV4Credential(credential string) (string, v4Scope, *apiError) {
	parts := strings.Split(credential, "/")
	n := len(parts)
	if n < 5 || parts[n-1] != v4ScopeTerminator || parts[0] == "" {
		return "", v4Scope{}, errMalformedAuthorization("",
			"Invalid V4 credential "+strconv.Quote(credential)+
				"; expected <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.")
	}
	scope := v4Scope{date: parts[n-4], region: parts[n-3], product: parts[n-2]}
	if _, err := time.Parse(v4DateFormat, scope.date); err != nil || len(scope.date) != 8 {
		return "", v4Scope{}, errMalformedAuthorization("0002-00000223", "Invalid date "+strconv.Quote(scope.date)+
			" in the V4 credential scope; expected yyyymmdd.")
	}
	return strings.Join(parts[:n-4], "/"), scope, nil
}

// parseV4AdditionalHeaders parses the ';'-separated AdditionalHeaders list
// into lowercase, sorted, de-duplicated names.
func parseV4AdditionalHeaders(list string) ([]string, *apiError) {
	if list == "" {
		return nil, errMalformedAuthorization("0002-00000209", "AdditionalHeaders is present but empty.")
	}
	seen := map[string]bool{}
	var names []string
	for _, name := range strings.Split(list, ";") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			return nil, errMalformedAuthorization("0002-00000210", "AdditionalHeaders "+strconv.Quote(list)+
				" contains an empty header name.")
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// checkV4Signature validates the scope against the emulator and compares
// the provided signature with the one cred yields.
func (a *authenticator) checkV4Signature(s *signedRequest, cred Credential, sig v4Signature) *apiError {
	if a.region != "" && sig.scope.region != a.region {
		return errorf(http.StatusForbidden, "SignatureDoesNotMatch", "0002-00000201",
			"The V4 signing region "+strconv.Quote(sig.scope.region)+" is wrong; this endpoint expects "+
				strconv.Quote(a.region)+".", xmlField{"OSSAccessKeyId", cred.AccessKeyID})
	}
	if sig.scope.product != v4Product {
		return errorf(http.StatusForbidden, "SignatureDoesNotMatch", "0002-00000201",
			"The V4 signing product "+strconv.Quote(sig.scope.product)+" is wrong; expected \"oss\".",
			xmlField{"OSSAccessKeyId", cred.AccessKeyID})
	}
	if sig.scope.date != sig.signedAt.UTC().Format(v4DateFormat) {
		return errorf(http.StatusForbidden, "SignatureDoesNotMatch", "0002-00000201",
			"The V4 credential scope date "+sig.scope.date+" is not the day of the signing time "+sig.dateTime+".",
			xmlField{"OSSAccessKeyId", cred.AccessKeyID})
	}

	canonicalRequest := v4CanonicalRequest(s, sig)
	digest := sha256.Sum256([]byte(canonicalRequest))
	stringToSign := v4Algorithm + "\n" + sig.dateTime + "\n" + sig.scope.String() + "\n" + hex.EncodeToString(digest[:])
	key := v4SigningKey(cred.AccessKeySecret, sig.scope)
	expected := hex.EncodeToString(hmacSHA256(key, stringToSign))
	if subtle.ConstantTimeCompare([]byte(sig.signature), []byte(expected)) == 1 {
		return nil
	}
	return errorf(http.StatusForbidden, "SignatureDoesNotMatch", "0002-00000201",
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.",
		xmlField{"OSSAccessKeyId", cred.AccessKeyID},
		xmlField{"SignatureProvided", sig.signature},
		xmlField{"StringToSign", stringToSign},
		xmlField{"StringToSignBytes", spacedHex(stringToSign)},
		xmlField{"CanonicalRequest", canonicalRequest})
}

// v4SigningKey derives the per-day, per-region signing key:
// HMAC chain over date, region, product and the terminator, seeded with
// "aliyun_v4" + secret.
func v4SigningKey(secret string, scope v4Scope) []byte {
	key := hmacSHA256([]byte("aliyun_v4"+secret), scope.date)
	key = hmacSHA256(key, scope.region)
	key = hmacSHA256(key, scope.product)
	return hmacSHA256(key, v4ScopeTerminator)
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}

// v4CanonicalRequest joins method, canonical URI, canonical query, canonical
// headers, additional headers and the hashed payload with newlines.
func v4CanonicalRequest(s *signedRequest, sig v4Signature) string {
	// The canonical URI always names the bucket, whatever the URL style.
	uri := "/"
	if s.bucket != "" {
		uri += s.bucket + "/" + s.key
	}

	payload := s.r.Header.Get("x-oss-content-sha256")
	if payload == "" {
		payload = v4UnsignedPayload
	}

	var b strings.Builder
	b.WriteString(s.r.Method + "\n")
	b.WriteString(escapeRFC3986(uri, true) + "\n")
	b.WriteString(v4CanonicalQuery(s.query, sig.presigned) + "\n")
	writeCanonicalHeaders(&b, v4SignedHeaders(s.r, sig.additionalHeaders))
	b.WriteString("\n")
	b.WriteString(strings.Join(sig.additionalHeaders, ";") + "\n")
	b.WriteString(payload)
	return b.String()
}

// v4CanonicalQuery renders every query parameter (except the signature of a
// presigned URL) RFC 3986-encoded, sorted by encoded name, as name=value or a
// bare name when the value is empty. Re-encoding the decoded pairs equals
// the SDK's raw query (it encodes the same way) and also accepts clients
// that leave characters such as '/' unescaped.
func v4CanonicalQuery(query []queryParam, presigned bool) string {
	type pair struct{ name, value string }
	var pairs []pair
	for _, p := range query {
		if presigned && p.name == "x-oss-signature" {
			continue
		}
		pairs = append(pairs, pair{escapeRFC3986(p.name, false), escapeRFC3986(p.value, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].name != pairs[j].name {
			return pairs[i].name < pairs[j].name
		}
		return pairs[i].value < pairs[j].value
	})
	items := make([]string, len(pairs))
	for i, p := range pairs {
		items[i] = p.name
		if p.value != "" {
			items[i] += "=" + p.value
		}
	}
	return strings.Join(items, "&")
}

// v4SignedHeaders collects the headers a V4 signature covers: every x-oss-*
// header, Content-Type, Content-MD5, and the additional headers. Go's server
// moves Host out of the header map, so a signed "host" comes from r.Host.
func v4SignedHeaders(r *http.Request, additional []string) map[string][]string {
	extra := make(map[string]bool, len(additional))
	for _, name := range additional {
		extra[name] = true
	}
	headers := lowercaseHeaders(r.Header, func(name string) bool {
		return strings.HasPrefix(name, "x-oss-") || name == "content-type" || name == "content-md5" || extra[name]
	})
	if extra["host"] && len(headers["host"]) == 0 && r.Host != "" {
		headers["host"] = []string{r.Host}
	}
	return headers
}

// ---- shared helpers ----

// lowercaseHeaders returns the headers whose lowercased name passes keep,
// keyed by that name. Values of names differing only in case are merged.
func lowercaseHeaders(h http.Header, keep func(lowerName string) bool) map[string][]string {
	out := map[string][]string{}
	for name, values := range h {
		lower := strings.ToLower(name)
		if keep(lower) {
			out[lower] = append(out[lower], values...)
		}
	}
	return out
}

// writeCanonicalHeaders writes "name:value\n" per header, sorted by name, each
// value trimmed and repeated values joined with ','.
func writeCanonicalHeaders(b *strings.Builder, headers map[string][]string) {
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		values := make([]string, len(headers[name]))
		for i, v := range headers[name] {
			values[i] = strings.TrimSpace(v)
		}
		b.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
}

// escapeRFC3986 percent-encodes (uppercase hex) every byte except the
// unreserved A-Z a-z 0-9 - . _ ~ and, when keepSlash is set, '/'.
func escapeRFC3986(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', keepSlash && c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// parseRequestTime accepts the HTTP date formats and the ISO 8601 basic form
// V4 uses in x-oss-date.
func parseRequestTime(s string) (time.Time, bool) {
	if t, err := http.ParseTime(s); err == nil {
		return t, true
	}
	if t, err := time.Parse(v4DateTimeFormat, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// spacedHex renders s as space-separated hex bytes, the StringToSignBytes
// form OSS uses so that invisible differences (\r, trailing spaces) show.
func spacedHex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex.EncodeToString([]byte{s[i]}))
	}
	return b.String()
}

// errMalformedAuthorization reports a signature that cannot be parsed; ec
// is the fine-grained code when OSS documents one.
func errMalformedAuthorization(ec, msg string) *apiError {
	return errorf(http.StatusBadRequest, "InvalidArgument", ec, msg)
}

// errBadRequestTime reports a missing or unparseable Date / x-oss-date.
func errBadRequestTime(value string) *apiError {
	return errorf(http.StatusForbidden, "AccessDenied", "0002-00000502",
		"OSS authentication requires a valid Date or x-oss-date.", xmlField{"RequestTime", value})
}

// errRequestTimeTooSkewed reports a request time (raw, as sent) too far
// from the server clock.
func errRequestTimeTooSkewed(raw string, now time.Time) *apiError {
	return errorf(http.StatusForbidden, "RequestTimeTooSkewed", "0002-00000504",
		"The difference between the request time and the current time is too large.",
		xmlField{"RequestTime", raw}, xmlField{"ServerTime", now.UTC().Format(serverTimeFormat)})
}

// errPresignExpired reports a presigned URL used after expiry.
func errPresignExpired(ec string, expiry, now time.Time) *apiError {
	return errorf(http.StatusForbidden, "AccessDenied", ec, "Request has expired.",
		xmlField{"Expires", expiry.UTC().Format(serverTimeFormat)},
		xmlField{"ServerTime", now.UTC().Format(serverTimeFormat)})
}
