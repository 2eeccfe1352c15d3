package authecho_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	authecho "github.com/authkit-go/authkit/adapters/echo"
	"github.com/authkit-go/authkit/core/guard"
)

func ExampleMiddleware() {
	e := echo.New()
	e.Use(authecho.Middleware())
	e.GET("/healthz", func(c echo.Context) error { return c.String(200, "ok") })
	e.GET("/admin", func(c echo.Context) error { return c.String(200, "hi") }, authecho.Require(guard.Role("admin")))

	for _, path := range []string{"/healthz", "/admin"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s %d %s %q\n", path, rec.Code, rec.Header().Get("X-Frame-Options"), rec.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// /healthz 200 DENY ""
	// /admin 401 DENY "Bearer"
}

// Behind nginx at 10.0.0.2, which sets X-Real-IP: the guard believes that
// header alone (never a forged X-Forwarded-For) and echo's c.RealIP() is
// not consulted.
func ExampleClientIP() {
	g := guard.Must(guard.New(guard.WithTrustedProxies("10.0.0.2"), guard.WithForwardedHeader(guard.XRealIP)))
	e := echo.New()
	e.Use(authecho.FromGuard(g))
	e.GET("/", func(c echo.Context) error { return c.String(200, authecho.ClientIP(g, c)) })

	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:41000"
	req.Header.Set("X-Forwarded-For", "192.0.2.1") // forged by the client, passed through
	req.Header.Set("X-Real-IP", "198.51.100.7")    // set by nginx
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: 198.51.100.7
}
