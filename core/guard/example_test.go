package guard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authkit-go/authkit/core/guard"
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
