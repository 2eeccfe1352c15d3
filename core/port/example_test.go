package port_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authkit-go/authkit/core/port"
)

// A denial carries any header fields its problem names; several values of
// one field go out as one line.
func ExampleDeny() {
	p := port.NewProblem(http.StatusTooManyRequests, port.TypeTooManyRequests, "slow down").
		WithHeader("Retry-After", "12").
		WithHeader("RateLimit-Policy", `"ip";q=60;w=60`).
		WithHeader("RateLimit-Policy", `"account";q=5;w=60`)
	rec := httptest.NewRecorder()
	d := port.Deny(port.HTTPExchange{W: rec, R: httptest.NewRequest("POST", "/login", nil)}, p)
	fmt.Println(d.Status, rec.Header().Get("Retry-After"))
	fmt.Println(rec.Header().Get("RateLimit-Policy"))
	fmt.Println(string(d.Body))
	// Output:
	// 429 12
	// "ip";q=60;w=60, "account";q=5;w=60
	// {"detail":"slow down","status":429,"title":"Too Many Requests","type":"urn:authkit:problem:too-many-requests"}
}

// A rule sees the request as well as the principal.
func ExampleRuleFunc() {
	onlyAdminsDelete := port.RuleFunc(func(x port.Exchange, p port.Principal, ok bool) *port.Problem {
		if x.Method() == http.MethodDelete && !(ok && p.HasRole("admin")) {
			return port.NewProblem(http.StatusForbidden, port.TypeForbidden, "only admins delete")
		}
		return nil
	})
	x := port.HTTPExchange{W: httptest.NewRecorder(), R: httptest.NewRequest("DELETE", "/posts/7", nil)}
	bob := port.Principal{Subject: "bob", Roles: []string{"user"}}
	fmt.Println(onlyAdminsDelete.Check(x, bob, true).Status)
	// Output: 403
}
