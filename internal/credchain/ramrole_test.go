package credchain

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// metadataStub is an ECS metadata service on loopback serving role's
// credentials; withToken makes it demand an IMDSv2 session token.
type metadataStub struct {
	*httptest.Server
	role      string
	withToken bool
	body      atomic.Value // string: the credential document
	status    atomic.Int32 // answer status of the credentials; 0 is 200
	gets      atomic.Int32
}

const stubSessionToken = "session-token-1"

func newMetadataStub(t *testing.T, role string, withToken bool) *metadataStub {
	s := &metadataStub{role: role, withToken: withToken}
	s.body.Store(`{"Code":"Success","AccessKeyId":"role-id","AccessKeySecret":"` + anySecret +
		`","SecurityToken":"role-token","Expiration":"2030-01-02T03:04:05Z","LastUpdated":"2030-01-02T02:04:05Z"}`)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *metadataStub) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && r.URL.Path == tokenPath:
		if !s.withToken {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get(tokenTTLHeader) == "" {
			http.Error(w, "ttl header missing", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, stubSessionToken)
	case r.Method == http.MethodGet && r.URL.Path == credentialsPath+s.role:
		s.gets.Add(1)
		if s.withToken && r.Header.Get(tokenHeader) != stubSessionToken {
			http.Error(w, "token required", http.StatusUnauthorized)
			return
		}
		if st := s.status.Load(); st != 0 {
			http.Error(w, "refused: "+anySecret, int(st))
			return
		}
		fmt.Fprint(w, s.body.Load().(string))
	default:
		http.NotFound(w, r)
	}
}

func TestRAMRoleWithAndWithoutSessionTokens(t *testing.T) {
	for _, withToken := range []bool{false, true} {
		stub := newMetadataStub(t, "reader", withToken)
		p, source, err := New(Config{Getenv: envOf(nil), RAMRole: "reader", RAMRoleEndpoint: stub.URL})
		if err != nil || source != `ram_role "reader"` {
			t.Fatalf("New: %q, %v", source, err)
		}
		c, err := p.GetCredentials(context.Background())
		if err != nil || c.AccessKeyID != "role-id" || c.SecurityToken != "role-token" || c.Expires == nil {
			t.Errorf("IMDSv2 %v: %+v, %v", withToken, c, err)
		}
	}
}

func TestRAMRoleFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		body   string
		status int
		want   string
	}{
		"role not attached": {status: http.StatusNotFound, want: "404"},
		"code not success":  {body: `{"Code":"Failed","AccessKeyId":"id","AccessKeySecret":"` + anySecret + `"}`, want: `Code is "Failed"`},
		"no token":          {body: `{"Code":"Success","AccessKeyId":"id","AccessKeySecret":"` + anySecret + `"}`, want: "no SecurityToken"},
		"not JSON":          {body: `AccessKeySecret: ` + anySecret, want: "not a JSON object"},
	} {
		stub := newMetadataStub(t, "reader", false)
		stub.body.Store(tc.body)
		stub.status.Store(int32(tc.status))
		src, err := newRAMRoleSource(stub.URL, "reader")
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error with %q", name, err, tc.want)
			continue
		}
		noSecretIn(t, name+" error", err.Error())
	}
	// Nothing listens: a clear network error.
	src, _ := newRAMRoleSource("http://127.0.0.1:1", "reader")
	if _, err := src.fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "metadata service") {
		t.Errorf("unreachable service: %v", err)
	}
}
