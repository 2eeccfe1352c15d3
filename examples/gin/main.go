// Command gin serves authkit's reference API with gin.
package main

import (
	"net"
	"os"

	"github.com/gin-gonic/gin"

	authgin "github.com/authkit-go/authkit/adapters/gin"
	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(app.Main("gin", os.Args[1:], os.Stderr, func(a *app.App, ln net.Listener) error {
		r := gin.New()
		r.HandleMethodNotAllowed = true
		r.RedirectTrailingSlash = false // "/me/" is not "/me" on any of the four
		r.RedirectFixedPath = false
		r.Use(gin.CustomRecovery(func(c *gin.Context, _ any) { write(c, app.Internal()) }), authgin.FromGuard(a.Guard()))
		fallback := func(c *gin.Context) { write(c, a.Fallback(c.Request.URL.Path)) }
		r.NoRoute(fallback)
		r.NoMethod(fallback)
		for _, rt := range a.Routes() {
			h := handle(a, rt.Handle)
			if rt.Serve != nil { // a port handler: the OAuth sign-in
				h = authgin.Serve(rt.Serve)
			}
			r.Handle(rt.Method, rt.Path, authgin.Require(rt.Rules...), h)
		}
		return app.ServeHTTP(r, ln)
	}))
}

func handle(a *app.App, h app.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		write(c, h(app.Request{
			Ctx:      c.Request.Context(),
			Body:     app.ReadBody(c.Request.Body),
			Header:   app.HeaderOf(c.Request.Header),
			ClientIP: authgin.ClientIP(a.Guard(), c),
		}))
	}
}

func write(c *gin.Context, resp app.Response) {
	status, body := app.EncodeTo(resp, c.Header)
	c.Status(status)
	if len(body) > 0 {
		_, _ = c.Writer.Write(body)
	} else {
		c.Writer.WriteHeaderNow()
	}
	c.Abort()
}
