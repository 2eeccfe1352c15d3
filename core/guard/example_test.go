package guard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/token"
)

// An adapter's whole job: wrap the request, run Before, write a denial or
// call the next handler with the returned context.
func ExampleGuard_Before() {
	g, err := guard.New()
	if err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	if _, denial := g.Before(guard.HTTPExchange{W: rec, R: req}); denial != nil {
		guard.WriteDenial(rec, denial)
	}
	fmt.Println(rec.Header().Get("X-Frame-Options"))
	// Output: DENY
}

func ExampleAuthorize() {
	req := httptest.NewRequest("GET", "/admin", nil)
	req = req.WithContext(guard.WithPrincipal(req.Context(), guard.Principal{Subject: "bob", Roles: []string{"user"}}))
	rec := httptest.NewRecorder()
	if denial := guard.Authorize(guard.HTTPExchange{W: rec, R: req}, guard.Role("admin")); denial != nil {
		fmt.Println(denial.Status, http.StatusText(denial.Status))
	}
	// Output: 403 Forbidden
}

// Behind a proxy that writes RFC 7239 Forwarded: trust the proxy's address
// and name the header it sets. The element the client wrote itself is
// ignored; the one the proxy added names the client and its scheme.
func ExampleWithForwardedHeader() {
	g, err := guard.New(guard.WithTrustedProxies("10.0.0.0/8"), guard.WithForwardedHeader(guard.Forwarded))
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:41000"                                   // the proxy
	req.Header.Add("Forwarded", "for=192.0.2.1;proto=https")            // forged by the client
	req.Header.Add("Forwarded", `for="[2001:db8::17]:4711";proto=http`) // added by the proxy
	req.Header.Set("X-Forwarded-For", "198.51.100.9")                   // not the configured header
	x := guard.HTTPExchange{W: httptest.NewRecorder(), R: req}
	fmt.Println(g.ClientIP(x), g.Secure(x))
	// Output: 2001:db8::17 false
}

// A flow that answers for itself maps a feature's error the way the guard's
// steps do: by the core/authkit root the error wraps.
func ExampleProblemFor() {
	errLocked := fmt.Errorf("mfa: factor locked: %w", authkit.ErrRateLimited)
	for _, err := range []error{
		fmt.Errorf("refresh: %w", token.ErrUnavailable),
		fmt.Errorf("login: %w", authkit.ErrInvalidCredentials),
		errLocked,
	} {
		p := guard.ProblemFor(err)
		fmt.Printf("%d %s %q\n", p.Status, p.Type, p.Header.Get("WWW-Authenticate"))
	}
	// Output:
	// 503 urn:authkit:problem:unavailable ""
	// 401 urn:authkit:problem:invalid-credentials "Bearer"
	// 429 urn:authkit:problem:too-many-requests ""
}
