package credchain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// Credential documents. The ECS metadata service, the SDKs' credential
// process providers and the aliyun CLI's External mode all print a JSON
// object of credentials, spelled differently:
//
//	ECS metadata, SDK process:  {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration": "2006-01-02T15:04:05Z", "Code": "Success"}
//	aliyun CLI External mode:   {"mode": "AK"|"StsToken", "access_key_id", "access_key_secret", "sts_token", "sts_expiration": <unix seconds>}
//
// parseCredentialJSON accepts every spelling: a member's name is compared
// with case and underscores ignored, so accessKeyId, AccessKeyId and
// access_key_id are one name.
var (
	keyIDNames      = []string{"accesskeyid"}
	keySecretNames  = []string{"accesskeysecret"}
	tokenNames      = []string{"securitytoken", "ststoken", "sessiontoken"}
	expirationNames = []string{"expiration", "stsexpiration"}
)

// maxCredentialJSON bounds what is read from a source: a credential
// document is a few hundred bytes.
const maxCredentialJSON = 64 << 10

// parseCredentialJSON reads a credential document. Its errors never quote
// the document, which holds the secret.
//
// Expiration is RFC 3339 text or a number of Unix seconds. "mode" (the
// CLI's) must be AK or StsToken, the modes that carry the keys themselves;
// StsToken needs a token. "Code" (the metadata service's) must be Success
// when present.
func parseCredentialJSON(doc []byte) (credentials.Credentials, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(doc, &raw); err != nil {
		return credentials.Credentials{}, errors.New("output is not a JSON object of credentials")
	}
	members := make(map[string]json.RawMessage, len(raw))
	for name, v := range raw {
		members[strings.ReplaceAll(strings.ToLower(name), "_", "")] = v
	}
	str := func(names []string) (string, error) {
		for _, n := range names {
			v, ok := members[n]
			if !ok || bytes.Equal(v, []byte("null")) {
				continue
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return "", fmt.Errorf("member %s is not a string", n)
			}
			return s, nil
		}
		return "", nil
	}
	var c credentials.Credentials
	code, err := str([]string{"code"})
	if err != nil {
		return c, err
	}
	if code != "" && !strings.EqualFold(code, "Success") {
		return c, fmt.Errorf("member Code is %q, not Success", code)
	}
	mode, err := str([]string{"mode"})
	if err != nil {
		return c, err
	}
	if c.AccessKeyID, err = str(keyIDNames); err != nil {
		return c, err
	}
	if c.AccessKeySecret, err = str(keySecretNames); err != nil {
		return c, err
	}
	if c.SecurityToken, err = str(tokenNames); err != nil {
		return c, err
	}
	switch {
	case mode != "" && !strings.EqualFold(mode, "AK") && !strings.EqualFold(mode, "StsToken"):
		return c, fmt.Errorf("mode %q is not one ossfuse runs: want AK or StsToken", mode)
	case c.AccessKeyID == "" || c.AccessKeySecret == "":
		return c, errors.New("no access key ID or secret")
	case strings.EqualFold(mode, "StsToken") && c.SecurityToken == "":
		return c, errors.New("mode StsToken without an STS token")
	}
	for _, n := range expirationNames {
		if v, ok := members[n]; ok && !bytes.Equal(v, []byte("null")) {
			t, err := parseExpiration(v)
			if err != nil {
				return c, fmt.Errorf("member %s: %w", n, err)
			}
			c.Expires = &t
			break
		}
	}
	return c, nil
}

// parseExpiration reads an expiry time: RFC 3339 text, or Unix seconds as a
// number or a string of digits. The value is no secret and may be quoted.
func parseExpiration(v json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		s = string(v) // a bare number
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%.40q is neither RFC 3339 time nor Unix seconds", s)
	}
	return t, nil
}
