package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/authkit-go/authkit/core/strictjson"
)

// Provider describes an authorization server. Discover fills it from an
// OpenID provider's discovery document; for a plain OAuth 2.0 provider it
// is written by hand (Issuer, AuthorizationEndpoint and TokenEndpoint, with
// JWKSURI left empty). NewClient checks it either way: every URL must be
// https, except plain http to a loopback host when the issuer is on
// loopback too (tests and local development).
type Provider struct {
	// Issuer is the provider's issuer identifier, compared exactly (byte
	// for byte) with a discovered issuer, an ID token's iss and a
	// callback's iss. Required.
	Issuer string
	// AuthorizationEndpoint is where Begin sends the browser. Required.
	AuthorizationEndpoint string
	// TokenEndpoint is where codes and refresh tokens are exchanged.
	// Required.
	TokenEndpoint string
	// UserinfoEndpoint is read by Complete under WithUserinfo.
	UserinfoEndpoint string
	// JWKSURI is the provider's key set. Set, the provider is treated as
	// an OpenID provider: "openid" is requested, a nonce is sent and an ID
	// token is required and verified. Empty, the provider is a plain OAuth
	// 2.0 server and Result has no Subject.
	JWKSURI string
	// CodeChallengeMethods is code_challenge_methods_supported as
	// published. NewClient refuses a provider that lists methods without
	// S256. Nil means the provider does not say; S256 is sent regardless
	// and plain never is.
	CodeChallengeMethods []string
	// IssParameter is authorization_response_iss_parameter_supported (RFC
	// 9207). True, a callback without iss is refused. A callback's iss is
	// compared with Issuer whenever it is present.
	IssParameter bool
	// TokenAuthMethods is token_endpoint_auth_methods_supported, which
	// picks how a client secret is sent: HTTP Basic (client_secret_basic,
	// also when the list is empty) or form parameters (client_secret_post
	// alone).
	TokenAuthMethods []string
}

// discoveryDoc is the part of an OpenID Provider Metadata document
// (OpenID Connect Discovery 1.0 §3, RFC 8414 §2) authkit reads.
type discoveryDoc struct {
	Issuer                 string   `json:"issuer"`
	AuthorizationEndpoint  string   `json:"authorization_endpoint"`
	TokenEndpoint          string   `json:"token_endpoint"`
	UserinfoEndpoint       string   `json:"userinfo_endpoint"`
	JWKSURI                string   `json:"jwks_uri"`
	ResponseTypes          []string `json:"response_types_supported"`
	CodeChallengeMethods   []string `json:"code_challenge_methods_supported"`
	IssParameter           bool     `json:"authorization_response_iss_parameter_supported"`
	TokenEndpointAuthMeths []string `json:"token_endpoint_auth_methods_supported"`
}

// Discover reads issuer's OpenID Connect discovery document
// (issuer + "/.well-known/openid-configuration") and returns the Provider
// it describes. The document's issuer must equal issuer exactly; its
// endpoints must pass NewClient's URL rules; jwks_uri is required; a
// provider that lists code_challenge_methods_supported without S256, or
// response_types_supported without "code", is refused. Errors wrap
// ErrUnavailable (unreachable, non-200, a network error) or ErrInvalidConfig.
// Options: WithHTTPClient.
func Discover(ctx context.Context, issuer string, opts ...Option) (*Provider, error) {
	cfg, err := newConfig(forDiscover, opts)
	if err != nil {
		return nil, err
	}
	iu, err := checkIssuer(issuer)
	if err != nil {
		return nil, err
	}
	wellKnown := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wellKnown, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery URL: %v", ErrInvalidConfig, err)
	}
	req.Header.Set("Accept", "application/json")
	body, err := fetch(cfg.httpClient, req)
	if err != nil {
		return nil, fmt.Errorf("oauth: discovery of %s: %w", iu.Redacted(), err)
	}
	// Strict first: a document with two "issuer" (or "jwks_uri") members
	// would read differently to different parsers.
	var doc discoveryDoc
	if err := strictjson.Check(body); err != nil {
		return nil, fmt.Errorf("%w: discovery document of %s: %v", ErrInvalidConfig, iu.Redacted(), err)
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%w: discovery document of %s: %v", ErrInvalidConfig, iu.Redacted(), err)
	}
	if doc.Issuer != issuer {
		return nil, fmt.Errorf("%w: discovery document names issuer %q, want exactly %q", ErrInvalidConfig, doc.Issuer, issuer)
	}
	if doc.JWKSURI == "" {
		return nil, fmt.Errorf("%w: discovery document of %s has no jwks_uri", ErrInvalidConfig, issuer)
	}
	if doc.ResponseTypes != nil && !slices.Contains(doc.ResponseTypes, "code") {
		return nil, fmt.Errorf("%w: provider %s does not offer response_type=code", ErrInvalidConfig, issuer)
	}
	p := &Provider{
		Issuer:                doc.Issuer,
		AuthorizationEndpoint: doc.AuthorizationEndpoint,
		TokenEndpoint:         doc.TokenEndpoint,
		UserinfoEndpoint:      doc.UserinfoEndpoint,
		JWKSURI:               doc.JWKSURI,
		CodeChallengeMethods:  doc.CodeChallengeMethods,
		IssParameter:          doc.IssParameter,
		TokenAuthMethods:      doc.TokenEndpointAuthMeths,
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

// fetch GETs req and returns a 200 answer's body, at most maxResponseBytes.
// Network errors and 5xx answers wrap ErrUnavailable; other statuses and
// oversized bodies wrap ErrInvalidConfig.
func fetch(hc *http.Client, req *http.Request) ([]byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		return nil, fmt.Errorf("%w: status %d", ErrUnavailable, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: status %d", ErrInvalidConfig, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("%w: response over %d bytes", ErrInvalidConfig, maxResponseBytes)
	}
	return body, nil
}

// check applies the URL and capability rules to a Provider.
func (p *Provider) check() error {
	if p == nil {
		return fmt.Errorf("%w: nil Provider", ErrInvalidConfig)
	}
	iu, err := checkIssuer(p.Issuer)
	if err != nil {
		return err
	}
	local := loopback(iu)
	for _, e := range []struct {
		name, url string
		required  bool
	}{
		{"authorization endpoint", p.AuthorizationEndpoint, true},
		{"token endpoint", p.TokenEndpoint, true},
		{"userinfo endpoint", p.UserinfoEndpoint, false},
		{"jwks_uri", p.JWKSURI, false},
	} {
		if e.url == "" {
			if e.required {
				return fmt.Errorf("%w: provider has no %s", ErrInvalidConfig, e.name)
			}
			continue
		}
		if _, err := checkEndpoint(e.name, e.url, local); err != nil {
			return err
		}
	}
	if p.CodeChallengeMethods != nil && !slices.Contains(p.CodeChallengeMethods, "S256") {
		return fmt.Errorf("%w: provider %s does not support PKCE S256 (code_challenge_methods_supported %q)",
			ErrInvalidConfig, p.Issuer, p.CodeChallengeMethods)
	}
	return nil
}

// checkIssuer parses an issuer identifier: https (or http on loopback), a
// host, no user info, query or fragment (RFC 8414 §2).
func checkIssuer(issuer string) (*url.URL, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(issuer, "?#") {
		return nil, fmt.Errorf("%w: issuer %q is not an https URL without query or fragment", ErrInvalidConfig, issuer)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u)) {
		return nil, fmt.Errorf("%w: issuer %q must be https (http only on loopback)", ErrInvalidConfig, issuer)
	}
	return u, nil
}

// checkEndpoint parses an endpoint URL: https, or http to loopback when
// the issuer is on loopback; a host, no user info, no fragment.
func checkEndpoint(name, raw string, issuerLocal bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, fmt.Errorf("%w: %s %q is not an absolute URL without fragment", ErrInvalidConfig, name, raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u) && issuerLocal:
	default:
		return nil, fmt.Errorf("%w: %s %q must be https (http only on loopback)", ErrInvalidConfig, name, raw)
	}
	return u, nil
}

// loopback reports whether u's host is localhost or a loopback address.
func loopback(u *url.URL) bool {
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
