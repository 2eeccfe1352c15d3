// Command nethttp serves authkit's reference API with net/http.
package main

import (
	"net"
	"net/http"
	"os"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	os.Exit(app.Main("nethttp", os.Args[1:], os.Stderr, func(a *app.App, ln net.Listener) error {
		mux := app.NewMux(a)
		for _, rt := range a.Routes() {
			h := handle(a, rt.Handle)
			if rt.Serve != nil { // a port handler: the OAuth sign-in
				h = authhttp.Serve(rt.Serve)
			}
			mux.Handle(rt.Method, rt.Path, authhttp.Require(rt.Rules...)(h))
		}
		return app.ServeHTTP(authhttp.FromGuard(a.Guard())(mux), ln)
	}))
}

func handle(a *app.App, h app.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.WriteHTTP(w, h(app.Request{
			Ctx:      r.Context(),
			Body:     app.ReadBody(r.Body),
			Header:   r.Header.Get,
			ClientIP: authhttp.ClientIP(a.Guard(), r),
		}))
	})
}
