package guard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
)

func TestRefreshCookieConfig(t *testing.T) {
	for _, path := range []string{"", "token/refresh", "/a;b", "/a,b", "/a b", "/a\x00", "/a\x7f", "/a\n"} {
		if _, err := guard.New(guard.WithRefreshCookie(path)); !errors.Is(err, guard.ErrInvalidConfig) {
			t.Errorf("WithRefreshCookie(%q): %v, want ErrInvalidConfig", path, err)
		}
	}
	if _, err := guard.New(guard.WithInsecureRefreshCookie()); !errors.Is(err, guard.ErrInvalidConfig) {
		t.Errorf("WithInsecureRefreshCookie alone: %v, want ErrInvalidConfig", err)
	}
	g, err := guard.New()
	if err != nil {
		t.Fatal(err)
	}
	if n := g.RefreshCookieName(); n != "" {
		t.Errorf("RefreshCookieName without a refresh cookie = %q", n)
	}
	ctx := context.Background()
	if err := guard.SetRefreshCookie(ctx, "x", time.Hour); !errors.Is(err, guard.ErrNoRefreshCookie) {
		t.Errorf("SetRefreshCookie outside a request: %v", err)
	}
	if err := guard.ClearRefreshCookie(ctx); !errors.Is(err, guard.ErrNoRefreshCookie) {
		t.Errorf("ClearRefreshCookie outside a request: %v", err)
	}
	if _, ok := guard.RefreshCookie(ctx); ok {
		t.Error("RefreshCookie outside a request found one")
	}
}

// through runs one request through g and calls h with its context, as an
// adapter and a handler would, and returns what was answered.
func through(t *testing.T, g *guard.Guard, req *http.Request, h func(ctx context.Context)) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	x := guard.HTTPExchange{W: rec, R: req}
	ctx, d := g.Before(x)
	if d != nil {
		t.Fatalf("denied: %d", d.Status)
	}
	h(ctx)
	g.Commit(ctx, x)
	return rec
}

func TestRefreshCookieValues(t *testing.T) {
	g, err := guard.New(guard.WithRefreshCookie("/token/refresh"), guard.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		raw    string
		ttl    time.Duration
		maxAge int
	}{
		{"rounded up to whole seconds", "tok", 1500 * time.Millisecond, 2},
		{"a whole second", "tok", time.Second, 1},
		{"nothing left clears", "tok", 0, -1},
		{"a past lifetime clears", "tok", -time.Minute, -1},
		{"no token clears", "", time.Hour, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := through(t, g, httptest.NewRequest("POST", "/login", nil), func(ctx context.Context) {
				if err := guard.SetRefreshCookie(ctx, tt.raw, tt.ttl); err != nil {
					t.Fatal(err)
				}
			})
			cs := rec.Result().Cookies()
			if len(cs) != 1 || cs[0].MaxAge != tt.maxAge {
				t.Fatalf("Set-Cookie %q, want one with Max-Age %d", rec.Header().Values("Set-Cookie"), tt.maxAge)
			}
			if tt.maxAge < 0 && cs[0].Value != "" {
				t.Errorf("a clearing cookie carries the token: %q", rec.Header().Values("Set-Cookie"))
			}
		})
	}
	for _, tt := range []struct {
		name   string
		cookie string
		want   string
		ok     bool
	}{
		{"present", "__Secure-refresh=abc", "abc", true},
		{"empty", "__Secure-refresh=", "", false},
		{"the insecure name is not read", "refresh=abc", "", false},
		{"absent", "other=abc", "", false},
	} {
		t.Run("read "+tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/token/refresh", nil)
			req.Header.Set("Cookie", tt.cookie)
			through(t, g, req, func(ctx context.Context) {
				if got, ok := guard.RefreshCookie(ctx); got != tt.want || ok != tt.ok {
					t.Errorf("RefreshCookie = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
				}
			})
		})
	}
}

// A sign-in flow hands the refresh token to a browser in the refresh
// cookie rather than in the body.
func ExampleSetRefreshCookie() {
	g, err := guard.New(guard.WithRefreshCookie("/token/refresh"), guard.WithAudit(audit.Discard))
	if err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	x := guard.HTTPExchange{W: rec, R: httptest.NewRequest("POST", "/login", nil)}
	ctx, _ := g.Before(x)
	// In the handler, after issuing the pair (token.Issuer.IssuePair):
	// guard.SetRefreshCookie(ctx, pair.RefreshToken, pair.RefreshExpiresIn())
	if err := guard.SetRefreshCookie(ctx, "eyJ...", 14*24*time.Hour); err != nil {
		panic(err)
	}
	fmt.Println(rec.Header().Get("Set-Cookie"))
	// Output: __Secure-refresh=eyJ...; Path=/token/refresh; Max-Age=1209600; HttpOnly; Secure; SameSite=Strict
}
