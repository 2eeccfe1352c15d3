package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/oauth"
)

// discoveryServer serves doc (with "{issuer}" replaced by the server's
// URL) at /.well-known/openid-configuration.
func discoveryServer(t *testing.T, status int, doc string) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(strings.ReplaceAll(doc, "{issuer}", srv.URL)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func doc(overrides map[string]any) string {
	d := map[string]any{
		"issuer":                           "{issuer}",
		"authorization_endpoint":           "{issuer}/authorize",
		"token_endpoint":                   "{issuer}/token",
		"userinfo_endpoint":                "{issuer}/userinfo",
		"jwks_uri":                         "{issuer}/keys",
		"response_types_supported":         []string{"code", "id_token"},
		"code_challenge_methods_supported": []string{"S256"},
	}
	for k, v := range overrides {
		if v == nil {
			delete(d, k)
		} else {
			d[k] = v
		}
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func TestDiscover(t *testing.T) {
	iss := discoveryServer(t, 200, doc(map[string]any{
		"authorization_response_iss_parameter_supported": true,
		"token_endpoint_auth_methods_supported":          []string{"client_secret_post"},
	}))
	p, err := oauth.Discover(context.Background(), iss)
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer != iss || p.TokenEndpoint != iss+"/token" || p.JWKSURI != iss+"/keys" || p.UserinfoEndpoint != iss+"/userinfo" ||
		!p.IssParameter || len(p.CodeChallengeMethods) != 1 || p.TokenAuthMethods[0] != "client_secret_post" {
		t.Fatalf("provider %+v", p)
	}
	if _, err := oauth.NewClient(p, "app", []string{"http://127.0.0.1/cb"}, testKey); err != nil {
		t.Fatalf("NewClient on a discovered provider: %v", err)
	}
}

func TestDiscoverRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		doc    string
		issuer func(srv string) string
		want   error
	}{
		{"issuer differs", 200, doc(map[string]any{"issuer": "https://evil.example"}), nil, oauth.ErrInvalidConfig},
		{"issuer differs by a trailing slash", 200, doc(map[string]any{"issuer": "{issuer}/"}), nil, oauth.ErrInvalidConfig},
		{"configured issuer has a trailing slash", 200, doc(nil), func(s string) string { return s + "/" }, oauth.ErrInvalidConfig},
		{"no issuer", 200, doc(map[string]any{"issuer": nil}), nil, oauth.ErrInvalidConfig},
		{"plain http token endpoint off loopback", 200, doc(map[string]any{"token_endpoint": "http://evil.example/token"}), nil, oauth.ErrInvalidConfig},
		{"plain http authorization endpoint off loopback", 200, doc(map[string]any{"authorization_endpoint": "http://evil.example/a"}), nil, oauth.ErrInvalidConfig},
		{"plain http jwks_uri off loopback", 200, doc(map[string]any{"jwks_uri": "http://evil.example/keys"}), nil, oauth.ErrInvalidConfig},
		{"plain http userinfo off loopback", 200, doc(map[string]any{"userinfo_endpoint": "http://evil.example/u"}), nil, oauth.ErrInvalidConfig},
		{"endpoint with user info", 200, doc(map[string]any{"token_endpoint": "https://u:p@op.example/token"}), nil, oauth.ErrInvalidConfig},
		{"relative endpoint", 200, doc(map[string]any{"token_endpoint": "/token"}), nil, oauth.ErrInvalidConfig},
		{"javascript endpoint", 200, doc(map[string]any{"authorization_endpoint": "javascript:alert(1)"}), nil, oauth.ErrInvalidConfig},
		{"no token endpoint", 200, doc(map[string]any{"token_endpoint": nil}), nil, oauth.ErrInvalidConfig},
		{"no jwks_uri", 200, doc(map[string]any{"jwks_uri": nil}), nil, oauth.ErrInvalidConfig},
		{"plain PKCE only", 200, doc(map[string]any{"code_challenge_methods_supported": []string{"plain"}}), nil, oauth.ErrInvalidConfig},
		{"empty PKCE list", 200, doc(map[string]any{"code_challenge_methods_supported": []string{}}), nil, oauth.ErrInvalidConfig},
		{"no code response type", 200, doc(map[string]any{"response_types_supported": []string{"id_token"}}), nil, oauth.ErrInvalidConfig},
		{"not JSON", 200, "<html>", nil, oauth.ErrInvalidConfig},
		{"issuer twice", 200, `{"issuer":"https://evil.example",` + doc(nil)[1:], nil, oauth.ErrInvalidConfig},
		{"jwks_uri twice, in another case", 200, `{"JWKS_URI":"https://evil.example/keys",` + doc(nil)[1:], nil, oauth.ErrInvalidConfig},
		{"not found", 404, "{}", nil, oauth.ErrInvalidConfig},
		{"server error", 503, "{}", nil, oauth.ErrUnavailable},
		{"too large", 200, `{"issuer":"{issuer}","x":"` + strings.Repeat("a", 1<<20) + `"}`, nil, oauth.ErrInvalidConfig},
		{"issuer with a query", 200, doc(nil), func(s string) string { return s + "?x=1" }, oauth.ErrInvalidConfig},
		{"issuer with a fragment", 200, doc(nil), func(s string) string { return s + "#x" }, oauth.ErrInvalidConfig},
		{"plain http issuer off loopback", 200, doc(nil), func(string) string { return "http://op.example" }, oauth.ErrInvalidConfig},
		{"not a URL", 200, doc(nil), func(string) string { return "op.example" }, oauth.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iss := discoveryServer(t, tc.status, tc.doc)
			if tc.issuer != nil {
				iss = tc.issuer(iss)
			}
			p, err := oauth.Discover(context.Background(), iss)
			if !errors.Is(err, tc.want) || p != nil {
				t.Fatalf("Discover = %+v, %v; want %v", p, err, tc.want)
			}
		})
	}
}

func TestDiscoverAcceptsUnstatedPKCE(t *testing.T) {
	iss := discoveryServer(t, 200, doc(map[string]any{"code_challenge_methods_supported": nil}))
	p, err := oauth.Discover(context.Background(), iss)
	if err != nil || p.CodeChallengeMethods != nil {
		t.Fatalf("Discover = %+v, %v", p, err)
	}
}

func TestDiscoverFollowsNoRedirect(t *testing.T) {
	target := discoveryServer(t, 200, doc(nil))
	redirector := httptest.NewServer(http.RedirectHandler(target+"/.well-known/openid-configuration", http.StatusFound))
	defer redirector.Close()
	if _, err := oauth.Discover(context.Background(), redirector.URL); err == nil {
		t.Fatal("a redirected discovery was followed")
	}
}

func TestDiscoverUnreachable(t *testing.T) {
	_, err := oauth.Discover(context.Background(), deadServer(t))
	if !errors.Is(err, authkit.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestNewClientRefuses(t *testing.T) {
	good := testProvide
	with := func(f func(p *oauth.Provider)) oauth.Provider { p := good; f(&p); return p }
	for _, tc := range []struct {
		name   string
		p      oauth.Provider
		id     string
		redirs []string
		key    []byte
		opts   []oauth.Option
	}{
		{"no issuer", with(func(p *oauth.Provider) { p.Issuer = "" }), "app", []string{testRedir}, testKey, nil},
		{"http issuer off loopback", with(func(p *oauth.Provider) { p.Issuer = "http://op.example" }), "app", []string{testRedir}, testKey, nil},
		{"http endpoint off loopback", with(func(p *oauth.Provider) { p.TokenEndpoint = "http://op.example/token" }), "app", []string{testRedir}, testKey, nil},
		{"http loopback endpoint with an https issuer elsewhere", with(func(p *oauth.Provider) { p.TokenEndpoint = "http://127.0.0.1:8080/token" }), "app", []string{testRedir}, testKey, nil},
		{"no authorization endpoint", with(func(p *oauth.Provider) { p.AuthorizationEndpoint = "" }), "app", []string{testRedir}, testKey, nil},
		{"no S256", with(func(p *oauth.Provider) { p.CodeChallengeMethods = []string{"plain"} }), "app", []string{testRedir}, testKey, nil},
		{"empty client id", good, "", []string{testRedir}, testKey, nil},
		{"client id with a newline", good, "a\nb", []string{testRedir}, testKey, nil},
		{"no redirect URI", good, "app", nil, testKey, nil},
		{"relative redirect URI", good, "app", []string{"/cb"}, testKey, nil},
		{"http redirect URI off loopback", good, "app", []string{"http://app.example/cb"}, testKey, nil},
		{"redirect URI with a fragment", good, "app", []string{testRedir + "#x"}, testKey, nil},
		{"short key", good, "app", []string{testRedir}, testKey[:31], nil},
		{"short previous key", good, "app", []string{testRedir}, testKey, []oauth.Option{oauth.WithPreviousKeys(testKey[:16])}},
		{"too many previous keys", good, "app", []string{testRedir}, testKey, []oauth.Option{oauth.WithPreviousKeys(testKey, testKey, testKey, testKey, testKey)}},
		{"reserved auth param", good, "app", []string{testRedir}, testKey, []oauth.Option{oauth.WithAuthParam("code_challenge_method", "plain")}},
		{"reserved auth param state", good, "app", []string{testRedir}, testKey, []oauth.Option{oauth.WithAuthParam("state", "x")}},
		{"scope with a space", good, "app", []string{testRedir}, testKey, []oauth.Option{oauth.WithScopes("a b")}},
		{"attempt TTL too long", good, "app", []string{testRedir}, testKey, []oauth.Option{oauth.WithAttemptTTL(2 * 60 * 60 * 1e9)}},
		{"option for another constructor", good, "app", []string{testRedir}, testKey, []oauth.Option{oauth.WithEarlyRefresh(0)}},
		{"nil option", good, "app", []string{testRedir}, testKey, []oauth.Option{nil}},
		{"nil HTTP client", good, "app", []string{testRedir}, testKey, []oauth.Option{oauth.WithHTTPClient(nil)}},
		{"userinfo without an endpoint", good, "app", []string{testRedir}, testKey, []oauth.Option{oauth.WithUserinfo()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			c, err := oauth.NewClient(&p, tc.id, tc.redirs, tc.key, tc.opts...)
			if !errors.Is(err, oauth.ErrInvalidConfig) || !errors.Is(err, authkit.ErrInvalidConfig) || c != nil {
				t.Fatalf("NewClient = %v, %v; want ErrInvalidConfig", c, err)
			}
		})
	}
	if _, err := oauth.NewClient(nil, "app", []string{testRedir}, testKey); !errors.Is(err, oauth.ErrInvalidConfig) {
		t.Errorf("nil provider: %v", err)
	}
}
