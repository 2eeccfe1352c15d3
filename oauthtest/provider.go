package oauthtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Client is a client registered at the Provider.
type Client struct {
	// ID is the client id.
	ID string
	// Secret authenticates the client (HTTP Basic); empty makes it a
	// public client, which must use PKCE.
	Secret string
	// RedirectURIs are the exact redirect URIs the provider accepts.
	RedirectURIs []string
	// Audience is the ID tokens' aud; nil means {ID}. Set it to make the
	// provider issue tokens for someone else.
	Audience []string
	// IDTokenLifetime is how long ID tokens live; zero means 1h. A
	// negative value makes the provider issue expired ID tokens.
	IDTokenLifetime time.Duration
}

// User is an account at the Provider.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// AMR is what the provider reports (the ID token's amr) when this user
	// signs in; nil means {"pwd"}.
	AMR []string
	// OmitAuthTime leaves auth_time out of this user's ID tokens, as
	// OpenID Connect allows unless the client asks for it (max_age,
	// require_auth_time). Default: auth_time is the time of the sign-in.
	OmitAuthTime bool
}

// Option configures Start.
type Option func(*options)

type options struct {
	alg          jose.SignatureAlgorithm
	plainHTTP    bool
	issParameter bool
	foreignJWKS  bool
	tokenTTL     time.Duration
}

// WithAlgorithm sets the ID token signing algorithm: jose.RS256, jose.ES256
// or jose.EdDSA. Default: RS256.
func WithAlgorithm(alg jose.SignatureAlgorithm) Option { return func(o *options) { o.alg = alg } }

// WithPlainHTTP serves the provider over plain http on 127.0.0.1.
// Default: https with httptest's certificate.
func WithPlainHTTP() Option { return func(o *options) { o.plainHTTP = true } }

// WithIssParameter makes the provider announce
// authorization_response_iss_parameter_supported and add iss to every
// authorization response (RFC 9207). Default: off, as zitadel/oidc ships.
func WithIssParameter() Option { return func(o *options) { o.issParameter = true } }

// WithForeignJWKS makes the JWKS publish another key under the signing
// key's kid, so no ID token verifies. Default: the signing key.
func WithForeignJWKS() Option { return func(o *options) { o.foreignJWKS = true } }

// WithAccessTokenTTL sets the lifetime of access tokens. Default: 5m.
func WithAccessTokenTTL(d time.Duration) Option { return func(o *options) { o.tokenTTL = d } }

// Provider is a real OpenID provider (github.com/zitadel/oidc/v3's op
// package) serving in the test process, with an in-memory storage and a
// login page that signs in the current user at once (or declines, see
// Deny).
type Provider struct {
	// Issuer is the provider's issuer URL; discovery is under it.
	Issuer string

	srv     *httptest.Server
	client  *http.Client
	op      *op.Provider
	storage *storage
	opts    options

	subject atomic.Value // string: who the login page signs in
	deny    atomic.Bool

	mu       sync.Mutex
	requests map[string]int // token endpoint requests by grant_type
	hits     map[string]int // requests by path
	issued   []string       // every token the token endpoint handed out
}

// Start starts a Provider for the test; it stops when the test ends. It
// has one user ("user-1", alice@example.com) signed in by default.
func Start(t testing.TB, opts ...Option) *Provider {
	t.Helper()
	o := options{alg: jose.RS256, tokenTTL: 5 * time.Minute}
	for _, f := range opts {
		f(&o)
	}
	signing, public := newKeyPair(t, o.alg)
	published := public
	if o.foreignJWKS {
		_, published = newKeyPair(t, o.alg)
		published.id = signing.id
	}
	p := &Provider{storage: newStorage(signing, published, o.tokenTTL), opts: o, requests: map[string]int{}, hits: map[string]int{}}
	p.AddUser(User{Subject: "user-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice"})
	p.subject.Store("user-1")

	p.srv = httptest.NewUnstartedServer(nil)
	scheme := "https"
	if o.plainHTTP {
		scheme = "http"
	}
	p.Issuer = scheme + "://" + p.srv.Listener.Addr().String()
	var key [32]byte
	rand.Read(key[:])
	cfg := &op.Config{
		CryptoKey:             key,
		CodeMethodS256:        true,
		GrantTypeRefreshToken: true,
		SupportedScopes:       []string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile, oidc.ScopeOfflineAccess},
	}
	popts := []op.Option{op.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	if o.plainHTTP {
		popts = append(popts, op.WithAllowInsecure())
	}
	var err error
	p.op, err = op.NewProvider(cfg, p.storage, op.StaticIssuer(p.Issuer), popts...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", p.login)
	mux.Handle("/", p.op)
	p.srv.Config.Handler = p.intercept(mux)
	if o.plainHTTP {
		p.srv.Start()
		// A client that still trusts httptest's certificate, for the
		// relying party's own TLS servers.
		ref := httptest.NewTLSServer(http.NotFoundHandler())
		p.client = ref.Client()
		ref.Close()
	} else {
		p.srv.StartTLS()
		p.client = p.srv.Client()
	}
	t.Cleanup(p.srv.Close)
	return p
}

func newKeyPair(t testing.TB, alg jose.SignatureAlgorithm) (signing, public signingKey) {
	t.Helper()
	var priv, pub any
	switch alg {
	case jose.RS256:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = k, &k.PublicKey
	case jose.ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = k, &k.PublicKey
	case jose.EdDSA:
		pk, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = k, pk
	default:
		t.Fatalf("oauthtest: algorithm %s not offered", alg)
	}
	id := newID()
	return signingKey{id: id, alg: alg, key: priv}, signingKey{id: id, alg: alg, key: pub}
}

// HTTPClient returns a client that trusts the provider's certificate (and
// that of any other httptest TLS server, which shares it).
func (p *Provider) HTTPClient() *http.Client {
	return &http.Client{Transport: p.client.Transport, Timeout: 10 * time.Second}
}

// Certificate returns the certificate the provider serves https with
// (httptest's, shared by every httptest TLS server), for a process that
// must trust it (SSL_CERT_FILE); nil under WithPlainHTTP.
func (p *Provider) Certificate() *x509.Certificate {
	if p.opts.plainHTTP {
		return nil
	}
	return p.srv.Certificate()
}

// AddClient registers a client for the authorization code flow.
func (p *Provider) AddClient(c Client) {
	if c.IDTokenLifetime == 0 {
		c.IDTokenLifetime = time.Hour
	}
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	p.storage.clients[c.ID] = &client{Client: c}
}

// AddServiceClient registers a client that may only use client
// credentials.
func (p *Provider) AddServiceClient(id, secret string) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	p.storage.clients[id] = &client{Client: Client{ID: id, Secret: secret}, service: true}
}

// AddUser adds or replaces a user.
func (p *Provider) AddUser(u User) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	p.storage.users[u.Subject] = u
}

// SignInAs makes the login page sign in subject from now on.
func (p *Provider) SignInAs(subject string) { p.subject.Store(subject) }

// Deny makes the login page decline (error=access_denied) while on is
// true.
func (p *Provider) Deny(on bool) { p.deny.Store(on) }

// TokenRequests returns how many token endpoint requests arrived with
// grant_type grant.
func (p *Provider) TokenRequests(grant string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[grant]
}

// Requests returns how many requests arrived for path, e.g. "/keys" (the
// JWKS) or "/userinfo".
func (p *Provider) Requests(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

// IssuedTokens returns every access, refresh and ID token the token
// endpoint has handed out so far, so a test can check that none of them
// reaches a browser, a URL or a log.
func (p *Provider) IssuedTokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.issued)
}

// login is the provider's login page: it signs the current user in (or
// declines) without a form and sends the browser on.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	req, err := p.storage.AuthRequestByID(r.Context(), id)
	if err != nil {
		http.Error(w, "unknown authorization request", http.StatusBadRequest)
		return
	}
	if p.deny.Load() {
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the user declined"), p.op)
		return
	}
	if err := p.storage.login(id, p.subject.Load().(string)); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, p.Issuer+"/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
}

// intercept counts requests, keeps the tokens the token endpoint hands
// out and, under WithIssParameter, announces and adds RFC 9207's iss.
func (p *Provider) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.hits[r.URL.Path]++
		p.mu.Unlock()
		if r.URL.Path == "/oauth/token" && r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			p.mu.Lock()
			p.requests[form.Get("grant_type")]++
			p.mu.Unlock()
			rec := httptest.NewRecorder()
			p.serve(next, rec, r)
			p.recordTokens(rec.Body.Bytes())
			copyResponse(w, rec)
			return
		}
		p.serve(next, w, r)
	})
}

// serve passes r on to the provider, under WithIssParameter announcing
// and adding RFC 9207's iss.
func (p *Provider) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	if !p.opts.issParameter {
		next.ServeHTTP(w, r)
		return
	}
	if r.URL.Path == oidc.DiscoveryEndpoint {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			http.Error(w, "discovery", http.StatusInternalServerError)
			return
		}
		doc["authorization_response_iss_parameter_supported"] = true
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
		return
	}
	next.ServeHTTP(&issWriter{ResponseWriter: w, issuer: p.Issuer, provider: p}, r)
}

// recordTokens keeps the tokens of a token response body.
func (p *Provider) recordTokens(body []byte) {
	var resp struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		IDToken      string `json:"id_token"`
	}
	if json.Unmarshal(body, &resp) != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range []string{resp.AccessToken, resp.RefreshToken, resp.IDToken} {
		if t != "" {
			p.issued = append(p.issued, t)
		}
	}
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// issWriter adds iss to redirects back to a registered redirect URI.
type issWriter struct {
	http.ResponseWriter
	issuer   string
	provider *Provider
}

func (w *issWriter) WriteHeader(status int) {
	if loc := w.Header().Get("Location"); status == http.StatusFound && w.provider.isRedirectURI(loc) {
		u, err := url.Parse(loc)
		if err == nil {
			q := u.Query()
			q.Set("iss", w.issuer)
			u.RawQuery = q.Encode()
			w.Header().Set("Location", u.String())
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (p *Provider) isRedirectURI(loc string) bool {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	for _, c := range p.storage.clients {
		for _, r := range c.Client.RedirectURIs {
			if strings.HasPrefix(loc, r+"?") {
				return true
			}
		}
	}
	return false
}
