package authtest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authkit-go/authkit/core/guard"
)

// runRuleCases checks the route guards that need no credential feature:
// without authentication every rule answers 401 with a Bearer challenge and
// a problem+json body.
func runRuleCases(t *testing.T, f Factory) {
	routes := []Route{
		{Method: "GET", Path: "/auth", Rules: []guard.Rule{guard.Authenticated()}, Handle: fixed(200, "in")},
		{Method: "GET", Path: "/role", Rules: []guard.Rule{guard.Role("admin")}, Handle: fixed(200, "in")},
		{Method: "GET", Path: "/scope", Rules: []guard.Rule{guard.Scope("read")}, Handle: fixed(200, "in")},
		{Method: "GET", Path: "/mfa", Rules: []guard.Rule{guard.MFA()}, Handle: fixed(200, "in")},
		{Method: "GET", Path: "/open", Handle: fixed(200, "open")},
	}
	app := f(t, nil, routes)
	for _, path := range []string{"/auth", "/role", "/scope", "/mfa"} {
		t.Run("anonymous "+path, func(t *testing.T) {
			resp, body := do(t, app, httptest.NewRequest("GET", path, nil))
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", resp.StatusCode)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != guard.BearerChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, guard.BearerChallenge)
			}
			wantBody := `{"detail":"authentication required","status":401,"title":"Unauthorized","type":"` + guard.TypeUnauthorized + `"}`
			if body != wantBody {
				t.Errorf("body = %s, want %s", body, wantBody)
			}
		})
	}
	t.Run("anonymous open route", func(t *testing.T) {
		resp, body := do(t, app, httptest.NewRequest("GET", "/open", nil))
		if resp.StatusCode != 200 || body != "open" {
			t.Errorf("got %d %q, want 200 \"open\"", resp.StatusCode, body)
		}
	})
}
