package guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
)

// The Vary value the guard shares between answers is never changed by one
// of them, and a Vary an outer middleware set is kept.
func TestVaryIsPerAnswer(t *testing.T) {
	g, _ := newSessionGuard(t)
	run := func(outer string, handler func(http.Header)) []string {
		rec := httptest.NewRecorder()
		if outer != "" {
			rec.Header().Set("Vary", outer)
		}
		x := guard.HTTPExchange{W: rec, R: httptest.NewRequest("GET", "/", nil)}
		ctx, d := g.Before(x)
		if d != nil {
			t.Fatal(d.Status)
		}
		handler(rec.Header())
		g.Commit(ctx, x)
		return rec.Header().Values("Vary")
	}
	if got := run("", func(h http.Header) { h.Add("Vary", "Accept-Encoding") }); !slices.Equal(got, []string{"Cookie", "Accept-Encoding"}) {
		t.Errorf("handler added a Vary: %q", got)
	}
	if got := run("", func(h http.Header) { h["Vary"] = append(h["Vary"], "Origin") }); !slices.Equal(got, []string{"Cookie", "Origin"}) {
		t.Errorf("handler appended to the slice: %q", got)
	}
	if got := run("", func(http.Header) {}); !slices.Equal(got, []string{"Cookie"}) {
		t.Errorf("the next answer: Vary = %q, want only Cookie", got)
	}
	if got := run("Accept-Encoding", func(http.Header) {}); !slices.Equal(got, []string{"Accept-Encoding", "Cookie"}) {
		t.Errorf("after an outer middleware's Vary: %q", got)
	}
}

// An answer that sets the session cookie is kept out of shared caches;
// a handler's own private or no-store is left as it is.
func TestSessionCookieAnswerIsNotStored(t *testing.T) {
	g, _ := newSessionGuard(t)
	for _, tc := range []struct{ handler, want string }{
		{"", "no-store"},
		{"public, max-age=600", "no-store"},
		{"no-cache", "no-store"},
		{"private, max-age=60", "private, max-age=60"},
		{"No-Store", "No-Store"},
	} {
		rec := httptest.NewRecorder()
		x := guard.HTTPExchange{W: rec, R: httptest.NewRequest("POST", "/login", nil)}
		ctx, d := g.Before(x)
		if d != nil {
			t.Fatal(d.Status)
		}
		if _, err := guard.SignIn(ctx, guard.Principal{Subject: "alice"}); err != nil {
			t.Fatal(err)
		}
		if tc.handler != "" {
			rec.Header().Set("Cache-Control", tc.handler)
		}
		g.Commit(ctx, x)
		if len(rec.Result().Cookies()) != 1 {
			t.Fatalf("no session cookie")
		}
		if got := rec.Header().Get("Cache-Control"); got != tc.want {
			t.Errorf("handler's Cache-Control %q: sent %q, want %q", tc.handler, got, tc.want)
		}
	}
}

// An authenticated answer is no-store before the handler runs; the handler
// may say otherwise.
func TestAuthenticatedNoStoreCanBeOverridden(t *testing.T) {
	g, err := guard.New(guard.WithTokens(guard.AuthenticatorFunc(func(context.Context, string) (guard.Principal, error) {
		return guard.Principal{Subject: "alice"}, nil
	})), guard.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/avatar", nil)
	r.Header.Set("Authorization", "Bearer abc")
	if _, d := g.Before(guard.HTTPExchange{W: rec, R: r}); d != nil {
		t.Fatal(d.Status)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control = %q before the handler", got)
	}
	rec.Header().Set("Cache-Control", "private, max-age=300")
	if got := rec.Header().Values("Cache-Control"); !slices.Equal(got, []string{"private, max-age=300"}) {
		t.Errorf("Cache-Control = %q", got)
	}
}
