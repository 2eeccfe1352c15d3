package oauthtest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/oauthtest"
)

func newCredentials(t *testing.T, p *oauthtest.Provider, secret string, opts ...oauth.Option) *oauth.ClientCredentials {
	t.Helper()
	p.AddServiceClient("svc", "svc-secret-0123456789")
	cc, err := oauth.NewClientCredentials(p.Issuer+"/oauth/token", "svc", secret,
		append([]oauth.Option{oauth.WithHTTPClient(p.HTTPClient())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// 100 callers at once cause exactly one token request, and later callers
// reuse the cached token.
func TestClientCredentialsSingleFlight(t *testing.T) {
	p := oauthtest.Start(t)
	cc := newCredentials(t, p, "svc-secret-0123456789")
	const callers = 100
	var wg sync.WaitGroup
	start := make(chan struct{})
	tokens := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			<-start
			tok, err := cc.Token(context.Background())
			if err == nil {
				tokens[i] = tok.AccessToken
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || tokens[i] == "" || tokens[i] != tokens[0] {
			t.Fatalf("caller %d: %q, %v (caller 0 got %q)", i, tokens[i], errs[i], tokens[0])
		}
	}
	if n := p.TokenRequests("client_credentials"); n != 1 {
		t.Fatalf("%d token requests for %d concurrent callers, want 1", n, callers)
	}
	for range 10 {
		if tok, err := cc.Token(context.Background()); err != nil || tok.AccessToken != tokens[0] {
			t.Fatalf("cached token: %v, %v", tok, err)
		}
	}
	if n := p.TokenRequests("client_credentials"); n != 1 {
		t.Fatalf("%d token requests, want the cached token reused", n)
	}
}

// The token is replaced shortly before it expires (the provider's access
// tokens live 5 minutes; the early refresh is 1 minute), and again a crowd
// of callers causes one request.
func TestClientCredentialsRefreshBeforeExpiry(t *testing.T) {
	p := oauthtest.Start(t, oauthtest.WithAccessTokenTTL(5*time.Minute))
	c := newClock()
	cc := newCredentials(t, p, "svc-secret-0123456789", oauth.WithClock(c.Now))
	ctx := context.Background()
	first, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(4*time.Minute - 5*time.Second)
	if tok, _ := cc.Token(ctx); tok.AccessToken != first.AccessToken || p.TokenRequests("client_credentials") != 1 {
		t.Fatal("replaced before the early-refresh margin")
	}
	c.Advance(10 * time.Second) // inside the last minute
	var wg sync.WaitGroup
	got := make([]string, 50)
	for i := range got {
		wg.Go(func() {
			if tok, err := cc.Token(ctx); err == nil {
				got[i] = tok.AccessToken
			}
		})
	}
	wg.Wait()
	for i, g := range got {
		if g == "" || g == first.AccessToken || g != got[0] {
			distinct := map[string]int{}
			for _, x := range got {
				distinct[x]++
			}
			t.Fatalf("caller %d got %q (first token %q); %d token requests; tokens %v", i, g, first.AccessToken, p.TokenRequests("client_credentials"), distinct)
		}
	}
	// The new token's lifetime counts on the client's clock too.
	for range 3 {
		if tok, err := cc.Token(ctx); err != nil || tok.AccessToken != got[0] {
			t.Fatalf("after the refresh: %v, %v", tok, err)
		}
	}
	if n := p.TokenRequests("client_credentials"); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

// The transport attaches the cached token to every call of a service API
// (a TLS server that records the Authorization header it receives).
func TestClientCredentialsTransport(t *testing.T) {
	p := oauthtest.Start(t)
	cc := newCredentials(t, p, "svc-secret-0123456789")
	var mu sync.Mutex
	var seen []string
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer api.Close()
	hc := &http.Client{Transport: cc.Transport(p.HTTPClient().Transport)}
	for range 3 {
		resp, err := hc.Get(api.URL + "/reports")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	tok, _ := cc.Token(context.Background())
	for _, h := range seen {
		if h != "Bearer "+tok.AccessToken {
			t.Fatalf("Authorization %q, want the bearer token", h)
		}
	}
	if len(seen) != 3 || p.TokenRequests("client_credentials") != 1 {
		t.Fatalf("%d API calls, %d token requests", len(seen), p.TokenRequests("client_credentials"))
	}
}

func TestClientCredentialsWrongSecret(t *testing.T) {
	p := oauthtest.Start(t)
	cc := newCredentials(t, p, "wrong-secret-9876543210")
	_, err := cc.Token(context.Background())
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != oauth.CodeTokenError || oe.ProviderCode != "invalid_client" {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{"wrong-secret-9876543210", "svc-secret-0123456789"} {
		if strings.Contains(err.Error(), s) || strings.Contains(oe.Description, s) {
			t.Fatalf("error shows a secret: %v", err)
		}
	}
}
