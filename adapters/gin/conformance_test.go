package authgin_test

import (
	"testing"

	"github.com/gin-gonic/gin"

	authgin "github.com/authkit-go/authkit/adapters/gin"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
)

func init() { gin.SetMode(gin.ReleaseMode) }

func TestConformance(t *testing.T) { authtest.Run(t, factory) }

// factory builds the app that both TestConformance and BenchmarkMiddleware
// run against.
func factory(t testing.TB, opts []guard.Option, routes []authtest.Route) authtest.App {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(authgin.Middleware(opts...))
	for _, rt := range routes {
		if rt.Serve != nil {
			r.Handle(rt.Method, rt.Path, authgin.Require(rt.Rules...), authgin.Serve(rt.Serve))
			continue
		}
		r.Handle(rt.Method, rt.Path, authgin.Require(rt.Rules...), func(c *gin.Context) {
			reply := rt.Handle(c.Request.Context())
			if reply.Flush { // implies 200
				c.Writer.Flush()
			}
			c.String(reply.Status, "%s", reply.Body)
		})
	}
	return authtest.Recorder(r)
}
