// Command nethttp serves authkit's reference API with net/http.
package main

import (
	"io"
	"net"
	"net/http"
	"os"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	os.Exit(app.Main("nethttp", os.Args[1:], os.Stderr, func(a *app.App, ln net.Listener) error {
		mux := http.NewServeMux()
		for _, rt := range a.Routes() {
			mux.Handle(rt.Method+" "+rt.Path, authhttp.Require(rt.Rules...)(handle(rt.Handle)))
		}
		return app.ServeHTTP(authhttp.FromGuard(a.Guard())(mux), ln)
	}))
}

func handle(h app.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, app.MaxBodyBytes))
		resp := h(app.Request{Ctx: r.Context(), Body: body, Header: r.Header.Get})
		status, contentType, out := app.Encode(resp)
		for k, v := range resp.Header {
			w.Header().Set(k, v)
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write(out)
	})
}
