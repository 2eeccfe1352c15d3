package authtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/token"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// tokenApp is the app every token case runs against.
type tokenApp struct {
	t      *testing.T
	app    App
	issuer *token.Issuer
	clock  *Clock
}

// NewKeySet returns a key set with one fresh signing key for alg.
func NewKeySet(tb testing.TB, alg token.Algorithm) *token.KeySet {
	tb.Helper()
	key, err := token.GenerateKey(alg, "")
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := token.NewKeySet(key)
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}

// NewIssuer returns an Issuer signing with a fresh alg key, on a memory
// store unless opts say otherwise, reading the given clock.
func NewIssuer(tb testing.TB, alg token.Algorithm, now func() time.Time, opts ...token.IssuerOption) *token.Issuer {
	tb.Helper()
	return newIssuerWith(tb, NewKeySet(tb, alg), now, opts...)
}

func newIssuerWith(tb testing.TB, keys *token.KeySet, now func() time.Time, opts ...token.IssuerOption) *token.Issuer {
	tb.Helper()
	iss, err := token.NewIssuer(keys, append([]token.IssuerOption{token.WithClock(now), token.WithAudit(audit.Discard)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return iss
}

func tokenRoutes() []Route {
	who := func(ctx context.Context) Reply {
		p, _ := guard.PrincipalFrom(ctx)
		return Reply{Status: http.StatusOK, Body: p.Subject + " " + p.Via + " " + strings.Join(p.Roles, ",")}
	}
	return []Route{
		{Method: "GET", Path: "/me", Rules: []guard.Rule{guard.Authenticated()}, Handle: who},
		{Method: "GET", Path: "/open", Handle: who},
		{Method: "GET", Path: "/read", Rules: []guard.Rule{guard.Scope("read")}, Handle: who},
		{Method: "GET", Path: "/write", Rules: []guard.Rule{guard.Scope("read", "write")}, Handle: who},
		{Method: "GET", Path: "/admin", Rules: []guard.Rule{guard.Role("admin")}, Handle: who},
		{Method: "GET", Path: "/mfa", Rules: []guard.Rule{guard.Authenticated(), guard.MFA()}, Handle: who},
		{Method: "POST", Path: "/change", Rules: []guard.Rule{guard.Authenticated()}, Handle: who},
	}
}

func newTokenApp(t *testing.T, f Factory, extra ...guard.Option) *tokenApp {
	t.Helper()
	clock := NewClock()
	iss := NewIssuer(t, token.ES256, clock.Now)
	opts := append([]guard.Option{guard.WithTokens(iss), guard.WithAudit(audit.Discard)}, extra...)
	return &tokenApp{t: t, app: f(t, opts, tokenRoutes()), issuer: iss, clock: clock}
}

func (a *tokenApp) pair(s token.Subject) token.Pair {
	a.t.Helper()
	p, err := a.issuer.IssuePair(context.Background(), s)
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

type tokenCase struct {
	name          string
	path          string
	auth          string   // Authorization header, "" for none
	auths         []string // several Authorization field lines
	cookie        string   // value of the "at" cookie, "" for none
	query         string
	wantStatus    int
	wantChallenge string
	wantBody      string
}

func runTokenCases(t *testing.T, f Factory) {
	a := newTokenApp(t, f, guard.WithTokenCookie("at"))
	alice := a.pair(token.Subject{ID: "alice", Roles: []string{"user"}, Scope: "read", AMR: []string{"pwd"}})
	admin := a.pair(token.Subject{ID: "root", Roles: []string{"admin"}, Scope: "read write", AMR: []string{"pwd", "otp"}})
	revoked := a.pair(token.Subject{ID: "alice"})
	if err := a.issuer.Revoke(context.Background(), revoked.AccessToken); err != nil {
		t.Fatal(err)
	}
	other := func() string {
		p, err := NewIssuer(t, token.ES256, a.clock.Now).IssuePair(context.Background(), token.Subject{ID: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		return p.AccessToken
	}()
	tampered := alice.AccessToken[:len(alice.AccessToken)-4] + "AAAA"
	if tampered == alice.AccessToken {
		tampered = alice.AccessToken[:len(alice.AccessToken)-4] + "BBBB"
	}

	cases := []tokenCase{
		{name: "valid bearer", path: "/me", auth: "Bearer " + alice.AccessToken, wantStatus: 200, wantBody: "alice token user"},
		{name: "scheme is case-insensitive", path: "/me", auth: "bearer " + alice.AccessToken, wantStatus: 200, wantBody: "alice token user"},
		{name: "scheme in capitals", path: "/me", auth: "BEARER " + alice.AccessToken, wantStatus: 200},
		{name: "no credentials", path: "/me", wantStatus: 401, wantChallenge: guard.BearerChallenge},
		{name: "garbage token", path: "/me", auth: "Bearer abc.def.ghi", wantStatus: 401, wantChallenge: guard.InvalidTokenChallenge},
		{name: "garbage token on an open route", path: "/open", auth: "Bearer abc.def.ghi", wantStatus: 401, wantChallenge: guard.InvalidTokenChallenge},
		{name: "tampered signature", path: "/me", auth: "Bearer " + tampered, wantStatus: 401, wantChallenge: guard.InvalidTokenChallenge},
		{name: "signed by another key", path: "/me", auth: "Bearer " + other, wantStatus: 401, wantChallenge: guard.InvalidTokenChallenge},
		{name: "revoked", path: "/me", auth: "Bearer " + revoked.AccessToken, wantStatus: 401, wantChallenge: guard.InvalidTokenChallenge},
		{name: "refresh token is no access token", path: "/me", auth: "Bearer " + alice.RefreshToken, wantStatus: 401, wantChallenge: guard.InvalidTokenChallenge},
		{name: "two tokens", path: "/me", auth: "Bearer " + alice.AccessToken + " " + admin.AccessToken, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "comma-joined tokens", path: "/me", auth: "Bearer " + alice.AccessToken + "," + admin.AccessToken, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "empty bearer", path: "/me", auth: "Bearer ", wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		// RFC 7235 §2.1: only SP separates the scheme from the token.
		{name: "tab after the scheme", path: "/me", auth: "Bearer\t" + alice.AccessToken, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "tab after the scheme on an open route", path: "/open", auth: "Bearer\t" + alice.AccessToken, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "comma after the scheme", path: "/me", auth: "Bearer," + alice.AccessToken, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "NBSP after the scheme", path: "/me", auth: "Bearer\u00a0" + alice.AccessToken, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		// RFC 9110 §11.6.2: Authorization is a singleton field.
		{name: "two Authorization lines, valid first", path: "/me", auths: []string{"Bearer " + alice.AccessToken, "Bearer abc.def.ghi"}, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "two Authorization lines, valid second", path: "/me", auths: []string{"Bearer abc.def.ghi", "Bearer " + alice.AccessToken}, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "the same Authorization line twice", path: "/open", auths: []string{"Bearer " + alice.AccessToken, "Bearer " + alice.AccessToken}, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "Basic and Bearer lines", path: "/me", auths: []string{"Basic YWxpY2U6c2VjcmV0", "Bearer " + admin.AccessToken}, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "other scheme is not a token", path: "/me", auth: "Basic YWxpY2U6c2VjcmV0", wantStatus: 401, wantChallenge: guard.BearerChallenge},
		{name: "query string is never read", path: "/me", query: "access_token=" + alice.AccessToken, wantStatus: 401, wantChallenge: guard.BearerChallenge},
		{name: "token cookie", path: "/me", cookie: alice.AccessToken, wantStatus: 200, wantBody: "alice token user"},
		{name: "bad token cookie", path: "/me", cookie: "x.y.z", wantStatus: 401, wantChallenge: guard.InvalidTokenChallenge},
		{name: "header and cookie together", path: "/me", auth: "Bearer " + alice.AccessToken, cookie: alice.AccessToken, wantStatus: 400, wantChallenge: guard.InvalidRequestChallenge},
		{name: "scope present", path: "/read", auth: "Bearer " + alice.AccessToken, wantStatus: 200},
		{name: "scope missing", path: "/write", auth: "Bearer " + alice.AccessToken, wantStatus: 403, wantChallenge: `Bearer error="insufficient_scope", scope="read write"`},
		{name: "all scopes present", path: "/write", auth: "Bearer " + admin.AccessToken, wantStatus: 200},
		{name: "role missing", path: "/admin", auth: "Bearer " + alice.AccessToken, wantStatus: 403},
		{name: "role present", path: "/admin", auth: "Bearer " + admin.AccessToken, wantStatus: 200, wantBody: "root token admin"},
		{name: "mfa missing", path: "/mfa", auth: "Bearer " + alice.AccessToken, wantStatus: 403},
		{name: "mfa present", path: "/mfa", auth: "Bearer " + admin.AccessToken, wantStatus: 200},
		{name: "anonymous open route", path: "/open", wantStatus: 200, wantBody: "  "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.path
			if tc.query != "" {
				url += "?" + tc.query
			}
			req := httptest.NewRequest("GET", url, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			for _, v := range tc.auths {
				req.Header.Add("Authorization", v)
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "at", Value: tc.cookie})
			}
			resp, body := do(t, a.app, req)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, body, tc.wantStatus)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tc.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.wantChallenge)
			}
			if tc.wantBody != "" && body != tc.wantBody {
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
			if tc.wantStatus >= 400 {
				if ct := resp.Header.Get("Content-Type"); ct != guard.ProblemContentType {
					t.Errorf("Content-Type = %q, want problem+json", ct)
				}
				if strings.Contains(body, "signature") || strings.Contains(body, "expired") || strings.Contains(body, "revoked") {
					t.Errorf("denial body leaks the reason: %s", body)
				}
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		b := newTokenApp(t, f)
		p := b.pair(token.Subject{ID: "alice"})
		b.clock.Advance(16 * time.Minute)
		req := httptest.NewRequest("GET", "/me", nil)
		req.Header.Set("Authorization", "Bearer "+p.AccessToken)
		resp, _ := do(t, b.app, req)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != guard.InvalidTokenChallenge {
			t.Errorf("expired token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})

	t.Run("log out everywhere", func(t *testing.T) {
		b := newTokenApp(t, f)
		p := b.pair(token.Subject{ID: "alice"})
		if err := b.issuer.RevokeSubject(context.Background(), "alice"); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(time.Millisecond)
		fresh := b.pair(token.Subject{ID: "alice"})
		for _, tc := range []struct {
			tok  string
			want int
		}{{p.AccessToken, 401}, {fresh.AccessToken, 200}} {
			req := httptest.NewRequest("GET", "/me", nil)
			req.Header.Set("Authorization", "Bearer "+tc.tok)
			if resp, _ := do(t, b.app, req); resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		}
	})

	t.Run("bearer requests skip the origin check", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/change", nil)
		req.Header.Set("Authorization", "Bearer "+alice.AccessToken)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		if resp, body := do(t, a.app, req); resp.StatusCode != 200 {
			t.Errorf("bearer POST cross-site = %d %s, want 200", resp.StatusCode, body)
		}
	})

	t.Run("token cookie requests pass the origin check", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/change", nil)
		req.AddCookie(&http.Cookie{Name: "at", Value: alice.AccessToken})
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		if resp, _ := do(t, a.app, req); resp.StatusCode != 403 {
			t.Errorf("cookie POST cross-site = %d, want 403", resp.StatusCode)
		}
	})

	t.Run("revocation store unavailable: 503", func(t *testing.T) {
		store, err := tokenredis.New(redistest.Unreachable(t))
		if err != nil {
			t.Fatal(err)
		}
		// Tokens come from an issuer on a working store; the guard checks
		// them with an issuer over the same keys whose store is down.
		clock := NewClock()
		keys := NewKeySet(t, token.ES256)
		iss := newIssuerWith(t, keys, clock.Now, token.WithStore(store))
		p, err := newIssuerWith(t, keys, clock.Now).IssuePair(context.Background(), token.Subject{ID: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		app := f(t, []guard.Option{guard.WithTokens(iss)}, tokenRoutes())
		req := httptest.NewRequest("GET", "/me", nil)
		req.Header.Set("Authorization", "Bearer "+p.AccessToken)
		resp, body := do(t, app, req)
		if resp.StatusCode != 503 || resp.Header.Get("Content-Type") != guard.ProblemContentType {
			t.Errorf("store down: %d %q, want 503 problem+json", resp.StatusCode, body)
		}
	})
}
