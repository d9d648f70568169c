package credchain

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// The ECS instance metadata service, as the Alibaba Cloud SDKs use it.
// GET credentialsPath+ROLE answers a credential document of the role's STS
// credentials (AccessKeyId, AccessKeySecret, SecurityToken, Expiration,
// Code "Success"). Instances in hardened mode (IMDSv2) answer only requests
// carrying a session token, which PUT tokenPath hands out.
const (
	DefaultMetadataEndpoint = "http://100.100.100.200"
	credentialsPath         = "/latest/meta-data/ram/security-credentials/"
	tokenPath               = "/latest/api/token"
	tokenHeader             = "X-aliyun-ecs-metadata-token"
	tokenTTLHeader          = "X-aliyun-ecs-metadata-token-ttl-seconds"
	// tokenTTL is asked for a session token; one serves one fetch only.
	tokenTTL = "60"
	// metadataTimeout bounds each request to the metadata service, which
	// is on the instance's own link and answers in milliseconds.
	metadataTimeout = 5 * time.Second
)

// ramRoleSource fetches the STS credentials of an ECS RAM role.
type ramRoleSource struct {
	endpoint string // scheme://host[:port], no trailing slash
	role     string
	client   *http.Client
}

// newRAMRoleSource checks endpoint and role and builds the source.
func newRAMRoleSource(endpoint, role string) (ramRoleSource, error) {
	if role == "" || strings.ContainsAny(role, "/?#") {
		return ramRoleSource{}, fmt.Errorf("ram_role %q: want the name of the instance's RAM role", role)
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return ramRoleSource{}, fmt.Errorf("ram_role_endpoint %q: want http://HOST[:PORT]", endpoint)
	}
	// The metadata service is on the instance's own link: never through a proxy.
	transport := &http.Transport{Proxy: nil, MaxIdleConns: 1, IdleConnTimeout: 10 * time.Second}
	return ramRoleSource{
		endpoint: strings.TrimSuffix(endpoint, "/"),
		role:     role,
		client:   &http.Client{Transport: transport, Timeout: metadataTimeout},
	}, nil
}

// fetch asks the metadata service for the role's credentials, with a
// session token when the service hands one out and without otherwise (a
// service without IMDSv2, or a test stub).
func (s ramRoleSource) fetch(ctx context.Context) (credentials.Credentials, error) {
	token := s.sessionToken(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+credentialsPath+url.PathEscape(s.role), nil)
	if err != nil {
		return credentials.Credentials{}, err
	}
	if token != "" {
		req.Header.Set(tokenHeader, token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return credentials.Credentials{}, fmt.Errorf("metadata service: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCredentialJSON))
	if err != nil {
		return credentials.Credentials{}, fmt.Errorf("metadata service: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		// The body of a refusal is not quoted: nothing promises it is no secret.
		return credentials.Credentials{}, fmt.Errorf("metadata service answered %s (is the role attached to this instance?)", resp.Status)
	}
	c, err := parseCredentialJSON(body)
	if err != nil {
		return credentials.Credentials{}, fmt.Errorf("metadata service: %w", err)
	}
	if c.SecurityToken == "" {
		return credentials.Credentials{}, fmt.Errorf("metadata service: no SecurityToken with the role's keys")
	}
	return c, nil
}

// sessionToken asks for an IMDSv2 session token; "" when the service does
// not give one, in which case the credentials are asked for without.
func (s ramRoleSource) sessionToken(ctx context.Context) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.endpoint+tokenPath, nil)
	if err != nil {
		return ""
	}
	req.Header.Set(tokenTTLHeader, tokenTTL)
	resp, err := s.client.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil || resp.StatusCode != http.StatusOK {
		return ""
	}
	return strings.TrimSpace(string(b))
}
