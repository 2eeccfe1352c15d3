// Command nethttp serves authkit's reference API with net/http.
package main

import (
	"net"
	"os"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/examples/internal/apihttp"
	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	os.Exit(app.Main("nethttp", os.Args[1:], os.Stderr, func(a *app.App, ln net.Listener) error {
		return app.ServeHTTP(authhttp.FromGuard(a.Guard())(apihttp.Mux(a)), ln)
	}))
}
