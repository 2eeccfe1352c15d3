// Package apihttp serves the reference API (package app) with net/http
// and the net/http adapter: the routes of examples/nethttp, which the
// browser demo (examples/demo) serves too, beside its pages.
package apihttp

import (
	"net/http"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/examples/internal/app"
)

// Mux returns a's routes on an app.Mux, each behind its Require rules.
// Run it behind authhttp.FromGuard(a.Guard()).
func Mux(a *app.App) *app.Mux {
	mux := app.NewMux(a)
	for _, rt := range a.Routes() {
		h := Handle(a, rt.Handle)
		if rt.Serve != nil { // a port handler: the OAuth sign-in
			h = authhttp.Serve(rt.Serve)
		}
		mux.Handle(rt.Method, rt.Path, authhttp.Require(rt.Rules...)(h))
	}
	return mux
}

// Handle serves one flow: the request turned into an app.Request, the
// Response written back.
func Handle(a *app.App, h app.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.WriteHTTP(w, h(app.Request{
			Ctx:      r.Context(),
			Body:     app.ReadBody(r.Body),
			Header:   app.HeaderOf(r.Header),
			ClientIP: authhttp.ClientIP(a.Guard(), r),
		}))
	})
}
