// Command echo serves authkit's reference API with echo v4.
package main

import (
	"errors"
	"log/slog"
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
		e.HTTPErrorHandler = func(err error, c echo.Context) {
			if c.Response().Committed {
				return
			}
			var he *echo.HTTPError
			resp := app.Internal()
			switch {
			case errors.As(err, &he) && he.Code == http.StatusNotFound,
				errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed:
				resp = a.Fallback(c.Request().URL.Path)
			case errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge:
				resp = app.TooLarge()
			default:
				slog.ErrorContext(c.Request().Context(), "handler failed", "error", err)
			}
			_ = write(c, resp)
		}
		// Route on the decoded path, as net/http and gin do: echo prefers
		// the raw path, so "/%68ealthz" would miss "/healthz".
		e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error { c.Request().URL.RawPath = ""; return next(c) }
		})
		e.Use(middleware.Recover(), authecho.FromGuard(a.Guard()))
		for _, rt := range a.Routes() {
			h := handle(a, rt.Handle)
			if rt.Serve != nil { // a port handler: the OAuth sign-in
				h = authecho.Serve(rt.Serve)
			}
			e.Add(rt.Method, rt.Path, h, authecho.Require(rt.Rules...))
		}
		// echo answers OPTIONS on a known path itself (204); the others
		// answer 405 with Allow, so route OPTIONS to the same fallback.
		for _, p := range a.Paths() {
			e.OPTIONS(p, func(c echo.Context) error { return write(c, a.Fallback(c.Request().URL.Path)) })
		}
		return app.ServeHTTP(e, ln)
	}))
}

func handle(a *app.App, h app.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		return write(c, h(app.Request{
			Ctx:      r.Context(),
			Body:     app.ReadBody(r.Body),
			Header:   app.HeaderOf(r.Header),
			ClientIP: authecho.ClientIP(a.Guard(), c),
		}))
	}
}

func write(c echo.Context, resp app.Response) error {
	status, body := app.EncodeTo(resp, c.Response().Header().Set)
	c.Response().WriteHeader(status)
	if len(body) > 0 {
		_, err := c.Response().Write(body)
		return err
	}
	return nil
}
