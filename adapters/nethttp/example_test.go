package authhttp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/guard"
)

func ExampleMiddleware() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("GET /admin", authhttp.Require(guard.Role("admin"))(http.NotFoundHandler()))
	h := authhttp.Middleware()(mux)

	for _, path := range []string{"/healthz", "/admin"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s %d %s %q\n", path, rec.Code, rec.Header().Get("X-Frame-Options"), rec.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// /healthz 200 DENY ""
	// /admin 401 DENY "Bearer"
}
