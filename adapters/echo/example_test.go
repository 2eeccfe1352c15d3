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
