// Command gin serves authkit's reference API with gin.
package main

import (
	"io"
	"net"
	"net/http"
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
		r.Use(gin.Recovery(), authgin.FromGuard(a.Guard()))
		for _, rt := range a.Routes() {
			r.Handle(rt.Method, rt.Path, authgin.Require(rt.Rules...), handle(rt.Handle))
		}
		return app.ServeHTTP(r, ln)
	}))
}

func handle(h app.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		body, _ := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, app.MaxBodyBytes))
		resp := h(app.Request{Ctx: c.Request.Context(), Body: body, Header: c.GetHeader})
		status, contentType, out := app.Encode(resp)
		for k, v := range resp.Header {
			c.Header(k, v)
		}
		c.Data(status, contentType, out)
	}
}
