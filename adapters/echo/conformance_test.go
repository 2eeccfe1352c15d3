package authecho_test

import (
	"testing"

	"github.com/labstack/echo/v4"

	authecho "github.com/authkit-go/authkit/adapters/echo"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
)

func TestConformance(t *testing.T) { authtest.Run(t, factory) }

// factory builds the app that both TestConformance and BenchmarkMiddleware
// run against.
func factory(t testing.TB, opts []guard.Option, routes []authtest.Route) authtest.App {
	e := echo.New()
	e.Use(authecho.Middleware(opts...))
	for _, rt := range routes {
		if rt.Serve != nil {
			e.Add(rt.Method, rt.Path, authecho.Serve(rt.Serve), authecho.Require(rt.Rules...))
			continue
		}
		e.Add(rt.Method, rt.Path, func(c echo.Context) error {
			reply := rt.Handle(c.Request().Context())
			if reply.Flush { // implies 200
				c.Response().Flush()
				_, err := c.Response().Write([]byte(reply.Body))
				return err
			}
			return c.String(reply.Status, reply.Body)
		}, authecho.Require(rt.Rules...))
	}
	return authtest.Recorder(e)
}
