package authtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/token"
)

// varies reports the field names of resp's Vary, across all its lines.
func varies(resp *http.Response) []string {
	var names []string
	for _, line := range resp.Header.Values("Vary") {
		for v := range strings.SplitSeq(line, ",") {
			names = append(names, http.CanonicalHeaderKey(strings.TrimSpace(v)))
		}
	}
	return names
}

// wantCache checks resp's Vary names exactly and its Cache-Control.
func wantCache(t *testing.T, what string, resp *http.Response, vary []string, cacheControl string) {
	t.Helper()
	if got := varies(resp); !slices.Equal(got, vary) {
		t.Errorf("%s: Vary = %q, want %q", what, resp.Header.Values("Vary"), vary)
	}
	if got := resp.Header.Get("Cache-Control"); got != cacheControl {
		t.Errorf("%s: Cache-Control = %q, want %q", what, got, cacheControl)
	}
}

// runCacheCases checks that shared caches cannot hand one user's answer to
// another: every answer whose content a credential decides says Vary:
// Cookie or Authorization (also without the credential, on the
// framework's own 404, on denials), and authenticated answers and answers
// that set the session cookie are Cache-Control: no-store unless the guard
// is built WithoutNoStore.
func runCacheCases(t *testing.T, f Factory) {
	cookie := []string{"Cookie"}
	t.Run("headers only: no Vary, no Cache-Control", func(t *testing.T) {
		app := f(t, nil, []Route{{Method: "GET", Path: "/ok", Handle: fixed(http.StatusOK, "ok")}})
		resp, _ := do(t, app, httptest.NewRequest("GET", "/ok", nil))
		wantCache(t, "GET /ok", resp, nil, "")
	})

	t.Run("sessions", func(t *testing.T) {
		a := newSessionApp(t, f)
		resp, _ := a.send("GET", "/open", "")
		wantCache(t, "anonymous open route", resp, cookie, "")
		resp, _ = a.send("GET", "/missing", "")
		wantCache(t, "the framework's 404", resp, cookie, "")
		resp, _ = a.send("GET", "/me", "")
		wantCache(t, "401 denial", resp, cookie, "no-store")

		resp, body := a.send("POST", "/login", "")
		c, ok := a.sessionCookie(resp)
		if resp.StatusCode != 200 || !ok {
			t.Fatalf("login: %d %s", resp.StatusCode, body)
		}
		wantCache(t, "the sign-in that sets the cookie", resp, cookie, "no-store")
		resp, _ = a.send("GET", "/me", c.Value)
		wantCache(t, "authenticated answer", resp, cookie, "no-store")
		resp, _ = a.send("GET", "/open", c.Value)
		wantCache(t, "authenticated answer on an open route", resp, cookie, "no-store")
		resp, _ = a.send("GET", "/open", randomID())
		wantCache(t, "a stale cookie cleared", resp, cookie, "no-store")
	})

	t.Run("sessions WithoutNoStore", func(t *testing.T) {
		a := newSessionApp(t, f, guard.WithoutNoStore())
		resp, _ := a.send("POST", "/login", "")
		c, ok := a.sessionCookie(resp)
		if !ok {
			t.Fatal("no session cookie")
		}
		wantCache(t, "sign-in", resp, cookie, "")
		resp, _ = a.send("GET", "/me", c.Value)
		wantCache(t, "authenticated answer", resp, cookie, "")
	})

	t.Run("tokens", func(t *testing.T) {
		a := newTokenApp(t, f)
		alice := a.pair(token.Subject{ID: "alice"})
		send := func(path, auth string) *http.Response {
			req := httptest.NewRequest("GET", path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, _ := do(t, a.app, req)
			return resp
		}
		auth := []string{"Authorization"}
		wantCache(t, "anonymous open route", send("/open", ""), auth, "")
		wantCache(t, "401 without a token", send("/me", ""), auth, "no-store")
		wantCache(t, "401 with a bad token", send("/open", "Bearer abc.def.ghi"), auth, "no-store")
		wantCache(t, "authenticated answer", send("/me", "Bearer "+alice.AccessToken), auth, "no-store")
		wantCache(t, "authenticated answer on an open route", send("/open", "Bearer "+alice.AccessToken), auth, "no-store")
	})

	t.Run("sessions and tokens", func(t *testing.T) {
		iss := NewIssuer(t, token.ES256, NewClock().Now)
		a := newSessionApp(t, f, guard.WithTokens(iss))
		pair, err := iss.IssuePair(context.Background(), token.Subject{ID: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		both := []string{"Cookie", "Authorization"}
		resp, _ := a.send("GET", "/open", "")
		wantCache(t, "anonymous open route", resp, both, "")
		resp, _ = a.send("GET", "/me", "", "Authorization", "Bearer "+pair.AccessToken)
		wantCache(t, "bearer answer", resp, both, "no-store")
	})
}
