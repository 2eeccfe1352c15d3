package authhttp_test

import (
	"net/http"
	"testing"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
)

func TestConformance(t *testing.T) { authtest.Run(t, factory) }

// factory builds the app that both TestConformance and BenchmarkMiddleware
// run against.
func factory(t testing.TB, opts []guard.Option, routes []authtest.Route) authtest.App {
	mux := http.NewServeMux()
	for _, rt := range routes {
		if rt.Serve != nil {
			mux.Handle(rt.Method+" "+rt.Path, authhttp.Require(rt.Rules...)(authhttp.Serve(rt.Serve)))
			continue
		}
		var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reply := rt.Handle(r.Context())
			if reply.Flush { // implies 200
				_ = http.NewResponseController(w).Flush()
			} else {
				w.WriteHeader(reply.Status)
			}
			_, _ = w.Write([]byte(reply.Body))
		})
		mux.Handle(rt.Method+" "+rt.Path, authhttp.Require(rt.Rules...)(h))
	}
	return authtest.Recorder(authhttp.Middleware(opts...)(mux))
}
