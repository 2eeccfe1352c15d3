package guard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/authtest/faulttest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/ratelimit"
	ratelimitredis "github.com/authkit-go/authkit/core/ratelimit/redisstore"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// TestRedisFaults runs the guard on Redis stores behind a proxy that
// misbehaves: a session, a bearer token and a rate limit that fails closed
// make the request 503 within the budget; a limiter that fails open lets
// its requests through, and so does a route without rules for a session
// cookie it cannot load; the same requests pass once Redis heals, and
// nothing leaks.
func TestRedisFaults(t *testing.T) {
	p, c := faulttest.New(t)
	prefix := redistest.Prefix(t)
	ss, err := sessionredis.New(c, sessionredis.WithPrefix(prefix+"sess:"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tokenredis.New(c, tokenredis.WithPrefix(prefix+"tok:"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ratelimitredis.New(c, ratelimitredis.WithPrefix(prefix+"rl:"))
	if err != nil {
		t.Fatal(err)
	}
	limit := func(name string, route string, opts ...ratelimit.Option) *ratelimit.RequestLimit {
		lim, err := ratelimit.New(name, ratelimit.PerMinute(1000), rs, append(opts, ratelimit.WithAudit(audit.Discard))...)
		if err != nil {
			t.Fatal(err)
		}
		rl, err := ratelimit.NewRequestLimit(lim, ratelimit.ByIP(), ratelimit.OnRoutes(route))
		if err != nil {
			t.Fatal(err)
		}
		return rl
	}
	mgr, err := session.New(session.WithStore(ss), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	f := &linkFixture{mgr: mgr, iss: authtest.NewIssuer(t, token.ES256, time.Now, token.WithStore(ts), token.WithAudit(audit.Discard))}
	f.g, err = guard.New(guard.WithSessions(f.mgr), guard.WithTokens(f.iss), guard.WithAudit(audit.Discard),
		guard.WithRateLimit(limit("login", "POST /login"), limit("pages", "/page", ratelimit.WithFailOpen())))
	if err != nil {
		t.Fatal(err)
	}
	pair, cookie := f.login(t)
	send := func(ctx context.Context, method, path string, cookie *http.Cookie, bearer string, rules ...guard.Rule) int {
		r := httptest.NewRequestWithContext(ctx, method, "https://app.example"+path, nil)
		if cookie != nil {
			r.AddCookie(cookie)
		}
		if bearer != "" {
			r.Header.Set("Authorization", "Bearer "+bearer)
		}
		return before(f.g, r, rules...).Code
	}
	tests := []struct {
		name         string
		method, path string
		cookie       *http.Cookie
		bearer       string
		rules        []guard.Rule
		want         int
	}{
		{"a limit that fails closed", "POST", "/login", nil, "", nil, 503},
		{"a limit that fails open", "GET", "/page", nil, "", nil, 200},
		{"a bearer token", "GET", "/", nil, pair.AccessToken, nil, 503},
		{"a session cookie on a guarded route", "GET", "/", cookie, "", []guard.Rule{guard.Authenticated()}, 503},
		{"a session cookie on an open route", "GET", "/", cookie, "", nil, 200},
		{"nothing on a guarded route", "GET", "/", nil, "", []guard.Rule{guard.Authenticated()}, 401},
		// The limit, the session and the token in one batch (one
		// pipeline), each failing as it would alone.
		{"a limit that fails closed and a bearer token", "POST", "/login", nil, pair.AccessToken, nil, 503},
		{"a limit that fails open and a bearer token", "GET", "/page", nil, pair.AccessToken, nil, 503},
		{"a limit that fails open and a session cookie on a guarded route", "GET", "/page", cookie, "", []guard.Rule{guard.Authenticated()}, 503},
		{"a limit that fails open and a session cookie on an open route", "GET", "/page", cookie, "", nil, 200},
	}
	faulttest.Run(t, p, faulttest.Cases, func(t *testing.T, ctx context.Context) {
		for _, tt := range tests {
			start := time.Now()
			if got := send(ctx, tt.method, tt.path, tt.cookie, tt.bearer, tt.rules...); got != tt.want {
				t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
			}
			if took := time.Since(start); took > faulttest.Budget {
				t.Errorf("%s took %v, over the %v budget", tt.name, took, faulttest.Budget)
			}
		}
	}, func(ctx context.Context) error {
		for _, tt := range tests {
			want := tt.want
			if want == 503 {
				want = 200
			}
			if got := send(ctx, tt.method, tt.path, tt.cookie, tt.bearer, tt.rules...); got != want {
				return fmt.Errorf("%s: %d, want %d", tt.name, got, want)
			}
		}
		return nil
	})
}
