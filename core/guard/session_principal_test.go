package guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
)

// sessionRequest sends one request with the session cookie (none for "")
// through g, running flow (if any) as the handler, and returns the
// request's principal and the cookie the answer sets ("" for none).
func sessionRequest(t testing.TB, g *guard.Guard, mgr *session.Manager, cookie string, flow func(ctx context.Context, p guard.Principal)) (guard.Principal, bool, string) {
	t.Helper()
	r := httptest.NewRequest("GET", "/me", nil)
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: mgr.CookieName(), Value: cookie})
	}
	rec := httptest.NewRecorder()
	x := guard.HTTPExchange{W: rec, R: r}
	ctx, d := g.Before(x)
	if d != nil {
		t.Fatalf("denied: %d %s", d.Status, d.Body)
	}
	p, ok := guard.PrincipalFrom(ctx)
	if flow != nil {
		flow(ctx, p)
	}
	g.Commit(ctx, x)
	set := ""
	for _, c := range rec.Result().Cookies() {
		if c.Name == mgr.CookieName() {
			set = c.Value
		}
	}
	return p, ok, set
}

// signedIn signs p in on a fresh session and returns its cookie value.
func signedIn(t testing.TB, g *guard.Guard, mgr *session.Manager, p guard.Principal) string {
	t.Helper()
	_, _, cookie := sessionRequest(t, g, mgr, "", func(ctx context.Context, _ guard.Principal) {
		if _, err := guard.SignIn(ctx, p); err != nil {
			t.Fatal(err)
		}
	})
	if cookie == "" {
		t.Fatal("SignIn set no cookie")
	}
	return cookie
}

// A session's principal that changes — a step-up, new roles at a new
// sign-in, or the stored value rewritten under the same id — is what the
// next request sees, never the principal decoded before (issue 16: the
// decoded principals are cached).
func TestSessionPrincipalChangeIsSeenNextRequest(t *testing.T) {
	g, mgr := newSessionGuard(t)
	cookie := signedIn(t, g, mgr, guard.Principal{Subject: "alice", Roles: []string{"user"}, AMR: []string{"pwd"}})
	want := func(cookie string, roles []string, mfa bool) {
		t.Helper()
		for range 2 { // a miss, then a hit
			p, ok, _ := sessionRequest(t, g, mgr, cookie, nil)
			if !ok || p.Subject != "alice" || !slices.Equal(p.Roles, roles) || p.HasMFA() != mfa || p.Via != guard.ViaSession {
				t.Fatalf("principal = %+v, %v; want alice with roles %v, MFA %v", p, ok, roles, mfa)
			}
		}
	}
	want(cookie, []string{"user"}, false)

	// Step-up with new roles: SignIn on the same session rotates it.
	_, _, stepped := sessionRequest(t, g, mgr, cookie, func(ctx context.Context, p guard.Principal) {
		p.Roles, p.AMR, p.MFAAt = []string{"user", "admin"}, []string{"pwd", "otp"}, p.AuthTime
		if _, err := guard.SignIn(ctx, p); err != nil {
			t.Fatal(err)
		}
	})
	if stepped == "" || stepped == cookie {
		t.Fatalf("step-up cookie %q", stepped)
	}
	want(stepped, []string{"user", "admin"}, true)
	if _, ok, _ := sessionRequest(t, g, mgr, cookie, nil); ok {
		t.Fatal("the id from before the step-up still authenticates")
	}

	// The stored value rewritten under the same id (no rotation): a cache
	// keyed by the session rather than by the stored bytes would miss it.
	_, _, set := sessionRequest(t, g, mgr, stepped, func(ctx context.Context, _ guard.Principal) {
		s, _ := guard.SessionFrom(ctx)
		if err := s.Set("authkit.principal", map[string]any{"roles": []string{"auditor"}, "amr": []string{"pwd"}}); err != nil {
			t.Fatal(err)
		}
	})
	if set != "" {
		t.Fatalf("the rewrite rotated the session (cookie %q): the test needs the same id", set)
	}
	want(stepped, []string{"auditor"}, false)
}

// A handler that changes its principal's slices, in place or by append,
// changes what no other request sees, also when requests run at once
// (under -race, a shared slice would be a reported race).
func TestSessionPrincipalIsTheRequestsOwn(t *testing.T) {
	g, mgr := newSessionGuard(t)
	orig := guard.Principal{Subject: "alice", Roles: []string{"user", "viewer"}, Scopes: []string{"read"}, AMR: []string{"pwd"}}
	cookie := signedIn(t, g, mgr, orig)
	check := func(p guard.Principal, ok bool) {
		t.Helper()
		if !ok || !slices.Equal(p.Roles, orig.Roles) || !slices.Equal(p.Scopes, orig.Scopes) || !slices.Equal(p.AMR, orig.AMR) {
			t.Errorf("principal = %+v, %v; want roles %v, scopes %v, amr %v", p, ok, orig.Roles, orig.Scopes, orig.AMR)
		}
	}
	tamper := func(_ context.Context, p guard.Principal) {
		p.Roles[0], p.Scopes[0], p.AMR[0] = "admin", "write", "otp"
		grown := append(p.Roles, "root") // must not overwrite Scopes
		grown[0] = "root"
		_ = append(p.Scopes, "admin") // nor AMR
	}
	for range 2 { // after a miss, after a hit
		sessionRequest(t, g, mgr, cookie, tamper)
		p, ok, _ := sessionRequest(t, g, mgr, cookie, nil)
		check(p, ok)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				sessionRequest(t, g, mgr, cookie, tamper)
				p, ok, _ := sessionRequest(t, g, mgr, cookie, nil)
				check(p, ok)
			}
		})
	}
	wg.Wait()
	p, ok, _ := sessionRequest(t, g, mgr, cookie, nil)
	check(p, ok)
}

// TestSessionReadAllocationBudget pins what a request authenticated by a
// signed-in session cookie on the memory store allocates (Before, the rule,
// Commit, as an adapter runs them): 7 — this loop's own 4 (the exchange as
// an interface, WithContext), the request's context (one requestContext
// holds its state and its authentication), the Session, and the
// principal's one copy of its slices. It was 28 when every request decoded
// the principal's JSON and copied the session record, 12 when the state,
// the authentication and their two context values were four allocations,
// 9 when the cookie lookup built every cookie of the header.
func TestSessionReadAllocationBudget(t *testing.T) {
	g, mgr := newSessionGuard(t)
	cookie := signedIn(t, g, mgr, guard.Principal{Subject: "alice", Roles: []string{"user"}, Scopes: []string{"read"}, AMR: []string{"pwd", "otp"}})
	r := httptest.NewRequest("GET", "/me", nil)
	r.AddCookie(&http.Cookie{Name: mgr.CookieName(), Value: cookie})
	authtest.AllocBudget(t, "session cookie read", 7, adapterRound(t, g, r, []guard.Rule{guard.Authenticated()}))
}
