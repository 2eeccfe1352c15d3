package guard_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/authkit-go/authkit/core/guard"
)

// SignOut tells the client to drop its session cookie whether or not the
// request brought one: a logout with the bearer token alone clears the
// cookie a browser may hold beside it.
func TestSignOutClearsTheCookieAlways(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cookie bool
		bearer bool
	}{
		{"by cookie", true, false},
		{"by bearer token", false, true},
		{"by bearer token, with the cookie", true, true},
		{"with neither", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newLinkFixture(t, false)
			pair, cookie := f.login(t)
			var c *http.Cookie
			if tc.cookie {
				c = cookie
			}
			var bearer string
			if tc.bearer {
				bearer = pair.AccessToken
			}
			resp := f.request(t, c, bearer, func(ctx context.Context) {
				if err := guard.SignOut(ctx); err != nil {
					t.Fatal(err)
				}
			})
			var cleared bool
			for _, k := range resp.Cookies() {
				cleared = cleared || (k.Name == f.mgr.CookieName() && k.MaxAge < 0 && k.Value == "")
			}
			if !cleared {
				t.Errorf("SignOut %s: the session cookie was not cleared: Set-Cookie %q", tc.name, resp.Header.Values("Set-Cookie"))
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("SignOut %s: Cache-Control %q, want no-store beside the cleared cookie", tc.name, cc)
			}
		})
	}
}
