// Command demo serves authkit's browser demo: server-rendered pages for
// sign-up, sign-in with a second factor, devices, password change and
// reset, over the net/http adapter, beside the reference API's JSON
// endpoints on the same server. The pages' form handlers call the same
// flows as the JSON API (examples/internal/app); nothing of a flow is
// written here.
//
//	go run ./examples/demo            # then open http://127.0.0.1:8080/
//
// It takes the reference API's flags (examples/README.md). Mail goes to a
// demo mailbox the server shows at /demo/mail, to loopback clients only,
// unless -mail-dir or -smtp-addr send it elsewhere.
package main

import (
	"net"
	"os"

	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	box := newMailbox()
	var cfg app.Config
	os.Exit(app.Server{
		Name: "demo",
		Configure: func(c *app.Config) error {
			configure(c, box)
			cfg = *c
			return nil
		},
		Banner: banner,
		Serve: func(a *app.App, ln net.Listener) error {
			d, err := newDemo(a, cfg, box)
			if err != nil {
				return err
			}
			return app.ServeHTTP(d.Handler(), ln)
		},
	}.Main(os.Args[1:], os.Stderr))
}

// banner leads the start-up message with the browser.
func banner(base string) string {
	return "\nauthkit demo: open " + base + "/ in a browser (sign-up, sign-in with a second factor, devices).\n" +
		"Mail (password reset, notices) is readable at " + base + "/demo/mail — a demo mailbox, shown to this machine only.\n"
}
