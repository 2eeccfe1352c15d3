// Command echo serves authkit's reference API with echo v4.
package main

import (
	"io"
	"net"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	authecho "github.com/authkit-go/authkit/adapters/echo"
	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	os.Exit(app.Main("echo", os.Args[1:], os.Stderr, func(a *app.App, ln net.Listener) error {
		e := echo.New()
		e.HideBanner, e.HidePort = true, true
		e.Use(middleware.Recover(), authecho.FromGuard(a.Guard()))
		for _, rt := range a.Routes() {
			e.Add(rt.Method, rt.Path, handle(rt.Handle), authecho.Require(rt.Rules...))
		}
		return app.ServeHTTP(e, ln)
	}))
}

func handle(h app.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		body, _ := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, app.MaxBodyBytes))
		resp := h(app.Request{Ctx: r.Context(), Body: body, Header: r.Header.Get})
		status, contentType, out := app.Encode(resp)
		for k, v := range resp.Header {
			c.Response().Header().Set(k, v)
		}
		if out == nil {
			return c.NoContent(status)
		}
		return c.Blob(status, contentType, out)
	}
}
