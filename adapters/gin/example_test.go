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

// Behind a proxy at 10.0.0.2 that appends to X-Forwarded-For: log and
// limit by the address the guard believes, not gin's c.ClientIP().
func ExampleClientIP() {
	gin.SetMode(gin.ReleaseMode)
	g := guard.Must(guard.New(guard.WithTrustedProxies("10.0.0.0/8")))
	r := gin.New()
	r.Use(authgin.FromGuard(g))
	r.GET("/", func(c *gin.Context) { c.String(200, authgin.ClientIP(g, c)) })
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:41000"
	req.Header.Add("X-Forwarded-For", "192.0.2.1")    // forged by the client
	req.Header.Add("X-Forwarded-For", "198.51.100.7") // added by the proxy
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: 198.51.100.7
}
