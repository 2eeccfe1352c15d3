package main

import (
	"bytes"
	"encoding/json"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/examples/internal/app"
)

// view is what every page template gets.
type view struct {
	// Title is the page's title and heading.
	Title string
	// Nonce is the request's CSP nonce, for the page's script and style.
	Nonce string
	// User is the signed-in username, "" when signed out.
	User string
	// Flash is a fixed message the page was redirected with (never text
	// from the request).
	Flash string
	// Problem is the refusal the page shows, if any.
	Problem *problem
	// Local is true for a client on this machine, to whom the demo
	// mailbox is shown.
	Local bool
	// Redis is true when the accounts are kept in Redis (REDIS_URL), not
	// in this process's memory.
	Redis bool
	// Data is the page's own.
	Data any
}

// problem is a flow's problem+json answer as a page shows it.
type problem struct {
	Type   string           `json:"type"`
	Title  string           `json:"title"`
	Status int              `json:"status"`
	Detail string           `json:"detail"`
	Code   string           `json:"code"`
	Errors []app.FieldError `json:"errors"`
	// MFARequired and MFAToken come with a sign-in whose password was
	// right and whose second factor is due.
	MFARequired bool   `json:"mfa_required"`
	MFAToken    string `json:"mfa_token"`
}

// outcome is a flow's answer as the API would send it: the demo reads a
// flow's result exactly as a client of the JSON API reads it.
type outcome struct {
	status int
	header map[string]string
	body   []byte
}

func outcomeOf(resp app.Response) outcome {
	status, header, body := app.Encode(resp)
	return outcome{status: status, header: header, body: body}
}

func (o outcome) ok() bool { return o.status >= 200 && o.status < 300 }

// problem reads a refusal; one that is not problem+json (it always is)
// becomes a bare problem of its status.
func (o outcome) problem() *problem {
	p := &problem{Status: o.status, Title: http.StatusText(o.status)}
	if o.header["Content-Type"] == guard.ProblemContentType {
		_ = json.Unmarshal(o.body, p)
	}
	return p
}

// into decodes a success's body.
func (o outcome) into(v any) error { return json.Unmarshal(o.body, v) }

// request is the flows' view of r: its context as the guard left it, its
// headers and the client's address as the guard sees it.
func (d *demo) request(r *http.Request) app.Request {
	return app.Request{Ctx: r.Context(), Header: r.Header.Get, ClientIP: authhttp.ClientIP(d.guard, r)}
}

// parseTemplates reads each page as the layout plus its own file.
func (d *demo) parseTemplates() error {
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		return err
	}
	funcs := template.FuncMap{"join": strings.Join}
	d.pages = map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(n.Name(), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", path.Join("templates", n.Name()))
		if err != nil {
			return err
		}
		d.pages[name] = t
	}
	return nil
}

// render writes page name with status. Pages are never stored by a cache:
// they show account data, and the forms' tokens are single-use.
func (d *demo) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	d.renderNonce(w, r, status, name, v, authhttp.Nonce(r))
}

func (d *demo) renderNonce(w http.ResponseWriter, r *http.Request, status int, name string, v view, nonce string) {
	t := d.pages[name]
	if t == nil {
		slog.ErrorContext(r.Context(), "no such page template", "page", name)
		t, status = d.pages["error"], http.StatusInternalServerError
		v = view{Title: "Something went wrong", Problem: &problem{Status: status, Title: http.StatusText(status)}}
	}
	v.Nonce = nonce
	if p, ok := authhttp.Principal(r); ok {
		v.User = p.Subject
	}
	v.Local = d.local(r)
	v.Redis = d.cfg.RedisURL != "" || d.cfg.Redis != nil
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		slog.ErrorContext(r.Context(), "rendering a page failed", "page", name, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// refused renders page name again with a flow's refusal: its status, its
// problem, and the header fields that explain it (Retry-After, the
// challenge).
func (d *demo) refused(w http.ResponseWriter, r *http.Request, o outcome, name string, v view) {
	for _, k := range []string{"Retry-After", "WWW-Authenticate", "RateLimit", "RateLimit-Policy"} {
		if val, ok := o.header[k]; ok {
			w.Header().Set(k, val)
		}
	}
	v.Problem = o.problem()
	d.render(w, r, o.status, name, v)
}

// fail renders the error page with status and a sentence for the user.
func (d *demo) fail(w http.ResponseWriter, r *http.Request, status int, detail string) {
	d.render(w, r, status, "error", view{Title: http.StatusText(status), Problem: &problem{Status: status, Title: http.StatusText(status), Detail: detail}})
}

// seeOther answers a form with a redirect to the page that shows its
// result (POST, redirect, GET: reloading does not post again).
func seeOther(w http.ResponseWriter, target string) {
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

// local reports whether r comes from this machine and names it by a
// loopback name: only then does the demo show its mailbox. Checking the
// Host too keeps a DNS-rebinding page (a foreign name resolving to
// 127.0.0.1) from reading it.
func (d *demo) local(r *http.Request) bool {
	ip, err := netip.ParseAddr(authhttp.ClientIP(d.guard, r))
	if err != nil || !ip.Unmap().IsLoopback() {
		return false
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return isLoopbackName(host)
}

// browserEndpoints are the API's routes that only a browser visits (the
// OAuth sign-in's redirects): their refusals are pages too.
var browserEndpoints = []string{"/oauth/login", "/oauth/callback"}

// oauthWords say to the user what a refused OAuth sign-in's code means
// (core/oauth's codes); the others are attacks or faults, whose detail
// stays the guard's.
var oauthWords = map[string]string{
	oauth.CodeProviderError:       "The provider did not sign you in (perhaps you declined). Try again, or sign in with a password.",
	oauth.CodeStateMissing:        "This sign-in was not started in this browser, or it was finished already. Start again from the sign-in page.",
	oauth.CodeStateMismatch:       "This sign-in was not started in this browser. Start again from the sign-in page.",
	oauth.CodeStateExpired:        "The sign-in took too long. Start again from the sign-in page.",
	oauth.CodeProviderUnavailable: "The provider cannot be reached just now. Try again in a little while, or sign in with a password.",
}

// problemPages turns the problem+json answers of page requests — the
// guard's own refusals (a cross-origin form: 403; a rate limit: 429; a
// store down: 503) and unknown paths — into readable pages for a browser.
// The JSON API's routes always answer JSON, but for the browserEndpoints.
func (d *demo) problemPages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wantsPage(r) || d.app.Allowed(r.URL.Path) != nil && !slices.Contains(browserEndpoints, r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		pw := &problemWriter{ResponseWriter: w}
		next.ServeHTTP(pw, r)
		if pw.status == 0 {
			return
		}
		p := &problem{Status: pw.status, Title: http.StatusText(pw.status)}
		_ = json.Unmarshal(pw.buf.Bytes(), p)
		p.Errors, p.MFAToken = nil, ""
		if words, ok := oauthWords[p.Code]; ok && slices.Contains(browserEndpoints, r.URL.Path) {
			p.Detail = words
		}
		w.Header().Del("Content-Length")
		d.renderNonce(w, r, pw.status, "error", view{Title: p.Title, Problem: p}, nonceOf(w.Header().Get("Content-Security-Policy")))
	})
}

// wantsPage reports whether r is a browser's navigation (a link, a form),
// which gets pages rather than problem+json.
func wantsPage(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" || strings.Contains(r.Header.Get("Accept"), "text/html")
}

var nonceRE = regexp.MustCompile(`'nonce-([A-Za-z0-9+/=]+)'`)

// nonceOf reads the nonce the guard put into the answer's CSP: the page
// written in place of a refusal needs it for its style, and the refusal
// was answered before any handler could read the context.
func nonceOf(csp string) string {
	if m := nonceRE.FindStringSubmatch(csp); m != nil {
		return m[1]
	}
	return ""
}

// problemWriter holds back a problem+json answer of status >= 400 (status
// records it) and passes everything else through.
type problemWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (p *problemWriter) WriteHeader(code int) {
	if code >= 400 && p.Header().Get("Content-Type") == guard.ProblemContentType {
		p.status = code
		return
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *problemWriter) Write(b []byte) (int, error) {
	if p.status != 0 {
		return p.buf.Write(b)
	}
	return p.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer underneath.
func (p *problemWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }
