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

// Behind a proxy at 10.0.0.2 that appends to X-Forwarded-For: log and
// limit by the address the guard believes, not r.RemoteAddr.
func ExampleClientIP() {
	g := guard.Must(guard.New(guard.WithTrustedProxies("10.0.0.0/8")))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, authhttp.ClientIP(g, r)) })
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:41000"
	req.Header.Add("X-Forwarded-For", "192.0.2.1")    // forged by the client
	req.Header.Add("X-Forwarded-For", "198.51.100.7") // added by the proxy
	rec := httptest.NewRecorder()
	authhttp.FromGuard(g)(mux).ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: 198.51.100.7
}
