package main

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/examples/internal/apihttp"
	"github.com/authkit-go/authkit/examples/internal/app"
)

// ContentSecurityPolicy is the demo's CSP: scripts and styles only with the
// request's nonce (no inline handlers, no style attributes, nothing from
// elsewhere), images from the server and the QR code's data: URL, fetches
// to the server, forms to the server, no framing, no <base>, and every
// violation reported to /csp-report.
const ContentSecurityPolicy = "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; " +
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; " +
	"report-uri " + cspReportPath

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// configure adjusts the flags' configuration for the demo: its CSP with a
// nonce per request, its form handlers under the per-client-IP limits of
// the endpoints they call (-rate-ip), and its mailbox, unless -mail-dir or
// -smtp-addr send the mail elsewhere.
func configure(cfg *app.Config, box *mailbox) {
	cfg.GuardOptions = append(cfg.GuardOptions,
		guard.WithHeaders(headers.WithNonce(), headers.WithHeader(headers.ContentSecurityPolicy, ContentSecurityPolicy)))
	cfg.RateLimitedRoutes = append(cfg.RateLimitedRoutes, FormPaths...)
	cfg.FlowLimitedRoutes = append(cfg.FlowLimitedRoutes, FlowFormPaths...)
	if cfg.MailDir == "" && cfg.SMTPAddr == "" && cfg.Mailer == nil {
		cfg.Mailer = box
	}
	if cfg.ResetLink == "" {
		if host, port, err := net.SplitHostPort(cfg.Addr); err == nil && isLoopbackName(host) && port != "0" {
			cfg.ResetLink = "http://" + net.JoinHostPort(host, port) + "/reset"
		}
	}
}

// demo is the browser demo: pages and their form handlers over the
// reference API's flows, and the JSON API beside them.
type demo struct {
	app     *app.App
	guard   *guard.Guard
	cfg     app.Config
	mailbox *mailbox // nil when the mail goes elsewhere
	pages   map[string]*template.Template
	routes  map[string]map[string]http.Handler // path → method → page or form handler
	api     http.Handler
	static  http.Handler
	// onCSPReport, when set, is told about every CSP report (tests).
	onCSPReport func(cspReport)
}

// newDemo builds the demo over a (built from cfg): box is shown at
// /demo/mail when it is cfg's mailer.
func newDemo(a *app.App, cfg app.Config, box *mailbox) (*demo, error) {
	d := &demo{app: a, guard: a.Guard(), cfg: cfg, routes: map[string]map[string]http.Handler{}}
	if cfg.Mailer == box {
		d.mailbox = box
	}
	if err := d.parseTemplates(); err != nil {
		return nil, err
	}
	d.api = apihttp.Mux(a)
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	d.static = http.StripPrefix("/static/", staticFiles(http.FileServerFS(sub)))
	if err := d.addRoutes(d.pageRoutes()); err != nil {
		return nil, err
	}
	return d, nil
}

// addRoutes registers page routes; a path of the JSON API is refused, so
// that a page never shadows an endpoint (the API stays as documented).
func (d *demo) addRoutes(routes []pageRoute) error {
	for _, p := range routes {
		if ms := d.app.Allowed(p.path); ms != nil {
			return fmt.Errorf("demo page %s %s shadows the JSON API's %s", p.method, p.path, strings.Join(ms, ", "))
		}
		if d.routes[p.path] == nil {
			d.routes[p.path] = map[string]http.Handler{}
		}
		d.routes[p.path][p.method] = p.h
	}
	return nil
}

// staticFiles marks the embedded assets cacheable for a few minutes; they
// hold nothing of any user.
func staticFiles(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// Handler is the whole server: the guard (headers, origin check, session)
// around the pages and the JSON API, and problem answers turned into
// readable pages for browsers.
func (d *demo) Handler() http.Handler {
	return d.problemPages(authhttp.FromGuard(d.guard)(http.HandlerFunc(d.route)))
}

// route sends a request to its page or form handler, to the static
// assets, or else to the JSON API (whose 404 and 405 are problem+json).
func (d *demo) route(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/static/") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		d.static.ServeHTTP(w, r)
		return
	}
	methods, ok := d.routes[r.URL.Path]
	if !ok {
		d.api.ServeHTTP(w, r)
		return
	}
	h := methods[r.Method]
	if h == nil && r.Method == http.MethodHead {
		h = methods[http.MethodGet]
	}
	if h == nil {
		w.Header().Set("Allow", allowed(methods))
		d.fail(w, r, http.StatusMethodNotAllowed, "This page does not take that kind of request.")
		return
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// Logged without a stack; the page says nothing of it.
			slog.ErrorContext(r.Context(), "page handler panicked", "path", r.URL.Path, "panic", v)
			d.fail(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		}
	}()
	h.ServeHTTP(w, r)
}

func allowed(methods map[string]http.Handler) string {
	var ms []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		if methods[m] != nil || m == http.MethodHead && methods[http.MethodGet] != nil {
			ms = append(ms, m)
		}
	}
	return strings.Join(ms, ", ")
}

// isLoopbackName reports whether host (no port) is localhost or a loopback
// address.
func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
