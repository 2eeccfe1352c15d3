package oauth_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/oauth"
)

// Sign-in wired into net/http by hand. The authkit adapters do the same
// through their neutral request view.
func Example() {
	ctx := context.Background()
	provider, err := oauth.Discover(ctx, "https://accounts.example.com")
	if err != nil {
		log.Fatal(err)
	}
	appKey := make([]byte, 32) // in production: the app's secret key, the same on every instance
	rand.Read(appKey)
	client, err := oauth.NewClient(provider, "my-client-id", []string{"https://app.example.com/oauth/callback"}, appKey,
		oauth.WithClientSecret("my-client-secret"), oauth.WithScopes("email"))
	if err != nil {
		log.Fatal(err)
	}

	http.HandleFunc("GET /oauth/login", func(w http.ResponseWriter, r *http.Request) {
		authURL, set, err := client.Begin(r.Context(), r.URL.Query().Get("next"), r.Cookies())
		if err != nil {
			http.Error(w, "sign-in unavailable", http.StatusInternalServerError)
			return
		}
		for _, c := range set { // the attempt's cookie, and clears of the oldest attempts
			http.SetCookie(w, c)
		}
		http.Redirect(w, r, authURL, http.StatusFound)
	})
	http.HandleFunc("GET /oauth/callback", func(w http.ResponseWriter, r *http.Request) {
		res, clear, err := client.Complete(r.Context(), r.URL.RawQuery, oauth.RequestCookies(r))
		if clear != nil {
			http.SetCookie(w, clear)
		}
		var oe *oauth.Error
		if errors.As(err, &oe) {
			http.Error(w, oe.Code, oe.Status())
			return
		}
		// Sign in the local account linked to (res.Issuer, res.Subject) and
		// keep res.Tokens on the server; then leave the callback URL at once.
		http.Redirect(w, r, res.Next, http.StatusFound)
	})
}

func ExampleSafeReturnPath() {
	for _, next := range []string{"/settings?tab=2", "//evil.example", "/\\evil.example", "/%2F%2Fevil.example", "https://evil.example", "javascript:alert(1)"} {
		p, ok := oauth.SafeReturnPath(next)
		fmt.Printf("%-22q -> %q %v\n", next, p, ok)
	}
	// Output:
	// "/settings?tab=2"      -> "/settings?tab=2" true
	// "//evil.example"       -> "/" false
	// "/\\evil.example"      -> "/" false
	// "/%2F%2Fevil.example"  -> "/" false
	// "https://evil.example" -> "/" false
	// "javascript:alert(1)"  -> "/" false
}

// exampleClient is a client for a provider configured by hand.
func exampleClient() *oauth.Client {
	provider := &oauth.Provider{
		Issuer:                "https://op.example",
		AuthorizationEndpoint: "https://op.example/authorize",
		TokenEndpoint:         "https://op.example/token",
		JWKSURI:               "https://op.example/keys",
	}
	key := make([]byte, 32)
	rand.Read(key)
	client, err := oauth.NewClient(provider, "app", []string{"https://app.example/oauth/callback"}, key)
	if err != nil {
		log.Fatal(err)
	}
	return client
}

func ExampleClient_Begin() {
	client := exampleClient()
	authURL, set, err := client.Begin(context.Background(), "/settings", nil)
	if err != nil {
		log.Fatal(err)
	}
	cookie := set[0]
	u, _ := url.Parse(authURL)
	q := u.Query()
	fmt.Println(u.Host, q.Get("response_type"), q.Get("scope"), q.Get("code_challenge_method"), len(q.Get("state")), len(q.Get("nonce")))
	fmt.Println(cookie.HttpOnly, cookie.Secure, cookie.SameSite == http.SameSiteLaxMode, cookie.Path, cookie.MaxAge)
	// Output:
	// op.example code openid S256 43 43
	// true true true / 600
}

func ExampleError_errorChecking() {
	client := exampleClient()

	// A callback without a state, e.g. a forged link.
	_, _, err := client.Complete(context.Background(), "code=abc", func(string) (string, bool) { return "", false })
	var oe *oauth.Error
	switch {
	case errors.Is(err, oauth.ErrUnavailable):
		fmt.Println("503: provider down, try again")
	case errors.Is(err, oauth.ErrStateMissing), errors.Is(err, oauth.ErrStateMismatch):
		errors.As(err, &oe)
		fmt.Println(oe.Status(), oe.Code)
	case errors.As(err, &oe):
		fmt.Println(oe.Status(), oe.Code, oe.ProviderCode)
	}
	// Output: 400 state_missing
}

func ExampleClientCredentials() {
	cc, err := oauth.NewClientCredentials("https://op.example/oauth/token", "reporting-service", "its-secret",
		oauth.WithScopes("reports:read"))
	if err != nil {
		log.Fatal(err)
	}
	api := cc.Client() // every request carries "Authorization: Bearer <token>"; one token request for all callers
	_ = api
	fmt.Println(cc)
	// Output: oauth.ClientCredentials{token_url=https://op.example/oauth/token client_id=reporting-service}
}

// The login and callback as port handlers: every adapter serves them with
// its Serve function (authhttp.Serve, authgin.Serve, ...) behind the
// guard's middleware, and the application signs the user in through the
// guard in signIn.
func ExampleNewHandlers() {
	provider := &oauth.Provider{ // from Discover in production
		Issuer:                "https://accounts.example.com",
		AuthorizationEndpoint: "https://accounts.example.com/authorize",
		TokenEndpoint:         "https://accounts.example.com/token",
		JWKSURI:               "https://accounts.example.com/keys",
	}
	appKey := make([]byte, 32)
	rand.Read(appKey)
	client, err := oauth.NewClient(provider, "my-client-id", []string{"https://app.example.com/oauth/callback"}, appKey)
	if err != nil {
		log.Fatal(err)
	}
	signIn := func(ctx context.Context, res *oauth.Result) (string, error) {
		p := res.Principal() // the local subject derived from (issuer, sub), the provider's amr
		// Find or create the account linked to p.Subject — never by email —
		// then: s, err := guard.SignIn(ctx, p); s.Set("oauth.tokens", res.Tokens)
		return p.Subject, nil
	}
	h, err := oauth.NewHandlers(client, signIn, oauth.WithAudit(audit.Discard))
	if err != nil {
		log.Fatal(err)
	}
	// authhttp.Serve(h.Login()) does this for GET /oauth/login:
	rec := httptest.NewRecorder()
	rep := guard.Serve(guard.HTTPExchange{W: rec, R: httptest.NewRequest("GET", "/oauth/login?next=/settings", nil)}, h.Login())
	authURL, _ := url.Parse(rec.Header().Get("Location"))
	fmt.Println(rep.Status, authURL.Host+authURL.Path, authURL.Query().Get("code_challenge_method"))
	// Output: 302 accounts.example.com/authorize S256
}

func ExampleResult_LocalSubject() {
	res := &oauth.Result{Issuer: "https://accounts.example.com", Subject: "248289761001"}
	fmt.Println(res.LocalSubject())
	// Output: oidc:ee45b6657702e672:248289761001
}
