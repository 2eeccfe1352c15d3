package authgin_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	authgin "github.com/authkit-go/authkit/adapters/gin"
	"github.com/authkit-go/authkit/core/guard"
)

func ExampleMiddleware() {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(authgin.Middleware())
	r.GET("/healthz", func(c *gin.Context) { c.String(200, "ok") })
	r.GET("/admin", authgin.Require(guard.Role("admin")), func(c *gin.Context) { c.String(200, "hi") })

	for _, path := range []string{"/healthz", "/admin"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s %d %s %q\n", path, rec.Code, rec.Header().Get("X-Frame-Options"), rec.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// /healthz 200 DENY ""
	// /admin 401 DENY "Bearer"
}
