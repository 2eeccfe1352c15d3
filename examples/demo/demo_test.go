package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/examples/internal/app"
)

// newTestDemo is the demo as a handler, for tests that need no browser.
func newTestDemo(t *testing.T, cfg app.Config) (*demo, http.Handler) {
	t.Helper()
	box := newMailbox()
	cfg.DevFastHash, cfg.Audit = true, audit.Discard
	if cfg.RateIP == 0 {
		cfg.RateIP = 1_000_000
	}
	if cfg.RateLogin == 0 {
		cfg.RateLogin = 1_000_000
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	configure(&cfg, box)
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	d, err := newDemo(a, cfg, box)
	if err != nil {
		t.Fatal(err)
	}
	return d, d.Handler()
}

// send serves one request; header sets request headers ("Host" and
// "RemoteAddr" set those fields).
func send(h http.Handler, method, target, body string, header map[string]string) (*http.Response, string) {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host, req.RemoteAddr = "127.0.0.1:8080", "127.0.0.1:40000"
	for k, v := range header {
		switch k {
		case "Host":
			req.Host = v
		case "RemoteAddr":
			req.RemoteAddr = v
		default:
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var (
	navigate = map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin"}
	formPost = map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded"}
)

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestReadForm: the form handlers take what the pages post and nothing
// else — a hostile table of bodies and media types.
func TestReadForm(t *testing.T) {
	for _, tt := range []struct {
		name, ctype, body string
		status            int // 0: accepted
	}{
		{"good", "application/x-www-form-urlencoded", "username=alice&password=p%26w%3D", 0},
		{"charset parameter", "application/x-www-form-urlencoded; charset=UTF-8", "username=alice", 0},
		{"a field left out", "application/x-www-form-urlencoded", "password=x", 0},
		{"JSON", "application/json", `{"username":"alice"}`, http.StatusUnsupportedMediaType},
		{"multipart", "multipart/form-data; boundary=x", "--x--", http.StatusUnsupportedMediaType},
		{"no content type", "", "username=alice", http.StatusUnsupportedMediaType},
		{"malformed content type", "application/x-www-form-urlencoded; =", "username=alice", http.StatusUnsupportedMediaType},
		{"unknown field", "application/x-www-form-urlencoded", "username=alice&admin=1", http.StatusBadRequest},
		{"duplicate field", "application/x-www-form-urlencoded", "username=alice&username=mallory", http.StatusBadRequest},
		{"duplicate, one empty", "application/x-www-form-urlencoded", "username=&username=mallory", http.StatusBadRequest},
		{"bad escape", "application/x-www-form-urlencoded", "username=%zz", http.StatusBadRequest},
		{"semicolon", "application/x-www-form-urlencoded", "username=alice;password=x", http.StatusBadRequest},
		{"invalid UTF-8", "application/x-www-form-urlencoded", "username=%ff%fe", http.StatusBadRequest},
		{"unknown field with invalid UTF-8 name", "application/x-www-form-urlencoded", "%ff%fe=1", http.StatusBadRequest},
		{"too large", "application/x-www-form-urlencoded", "password=" + strings.Repeat("a", maxFormBytes), http.StatusRequestEntityTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/signin?admin=1&username=mallory", strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			f, err := readForm(req, "username", "password")
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if f["username"] == "mallory" || len(f) != 2 {
					t.Fatalf("read %q: the query string counted, or fields are missing", f)
				}
				return
			}
			fe, ok := err.(*formError)
			if !ok || fe.status != tt.status || !utf8.ValidString(fe.detail) {
				t.Fatalf("got %v (%#v), want status %d", err, err, tt.status)
			}
		})
	}
}

// FuzzParseForm: any body is refused or read into exactly the named
// fields, each valid UTF-8.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"username=alice&password=x", "a=1&a=2", "%zz", "a=1;b=2", "username=%ff", "=&=&", "username", "%00=%00", strings.Repeat("&", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, err := parseForm(body, "username", "password")
		if err != nil {
			if fe, ok := err.(*formError); !ok || fe.status != http.StatusBadRequest || !utf8.ValidString(fe.detail) {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		if len(got) != 2 || !utf8.ValidString(got["username"]) || !utf8.ValidString(got["password"]) {
			t.Fatalf("%q read as %q", body, got)
		}
	})
}

// FuzzCSPReport: whatever a browser (or anyone) posts, the report is
// refused or read with every string clipped.
func FuzzCSPReport(f *testing.F) {
	for _, s := range []string{
		`{"csp-report":{"document-uri":"http://127.0.0.1/","effective-directive":"script-src-elem","blocked-uri":"inline","line-number":1}}`,
		`{"csp-report":null}`, `{}`, `[]`, `"x"`, `{"csp-report":{"blocked-uri":"` + strings.Repeat("\xff", 300) + `"}}`,
		`{"csp-report":{"line-number":1e400}}`, `{"csp-report":{"csp-report":{}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, ok := parseCSPReport(body)
		if !ok {
			return
		}
		for _, s := range []string{r.DocumentURI, r.ViolatedDirective, r.EffectiveDirective, r.BlockedURI, r.SourceFile} {
			if len(s) > 256 || !utf8.ValidString(s) {
				t.Fatalf("%q kept unclipped: %q", body, s)
			}
		}
	})
}

// TestCSPReportEndpoint: reports reach the hook; anything else is refused.
func TestCSPReportEndpoint(t *testing.T) {
	d, h := newTestDemo(t, app.Config{})
	var got []cspReport
	d.onCSPReport = func(r cspReport) { got = append(got, r) }
	report := `{"csp-report":{"document-uri":"http://127.0.0.1:8080/","effective-directive":"style-src-elem","blocked-uri":"inline"}}`
	hdr := map[string]string{"Content-Type": "application/csp-report", "Sec-Fetch-Site": "same-origin"}
	if resp, _ := send(h, "POST", cspReportPath, report, hdr); resp.StatusCode != http.StatusNoContent || len(got) != 1 || got[0].EffectiveDirective != "style-src-elem" {
		t.Fatalf("a report: %d, %+v", resp.StatusCode, got)
	}
	for _, tt := range []struct {
		name, body, ctype string
		status            int
	}{
		{"not a report", `{"x":1}`, "application/csp-report", http.StatusBadRequest},
		{"not JSON", `csp`, "application/csp-report", http.StatusBadRequest},
		{"a form", `a=1`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"too large", `{"csp-report":{"blocked-uri":"` + strings.Repeat("a", maxCSPReportBytes) + `"}}`, "application/csp-report", http.StatusBadRequest},
	} {
		if resp, _ := send(h, "POST", cspReportPath, tt.body, with(hdr, "Content-Type", tt.ctype)); resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
	}
	if len(got) != 1 {
		t.Fatalf("refused reports reached the hook: %+v", got)
	}
}

// TestDescribeUserAgent names common browsers and systems, tells the
// look-alikes apart, and names nothing it does not know.
func TestDescribeUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36":         "Headless Chrome on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0": "Edge on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15":    "Safari on macOS",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1":          "Safari on iOS",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36":                                  "Chrome on Android",
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0":                                                "Firefox on Linux",
		"curl/8.5.0":   "curl",
		"":             "Unknown browser",
		"<script>":     "Unknown browser",
		"\xff\xfe\x00": "Unknown browser",
	} {
		if got := describeUserAgent(ua); got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
}

// TestMailboxLocalOnly: the demo mailbox (reset tokens in it) is shown
// only to a loopback client that names the server by a loopback name; a
// foreign name resolving to 127.0.0.1 (DNS rebinding) gets nothing.
func TestMailboxLocalOnly(t *testing.T) {
	_, h := newTestDemo(t, app.Config{})
	for _, tt := range []struct {
		name, remote, host string
		shown              bool
	}{
		{"loopback", "127.0.0.1:5000", "127.0.0.1:8080", true},
		{"localhost", "127.0.0.1:5000", "localhost:8080", true},
		{"IPv6 loopback", "[::1]:5000", "[::1]:8080", true},
		{"another machine", "192.0.2.7:5000", "127.0.0.1:8080", false},
		{"a rebinding name", "127.0.0.1:5000", "evil.example:8080", false},
		{"a name without a port", "127.0.0.1:5000", "evil.example", false},
	} {
		resp, body := send(h, "GET", pathMailbox, "", with(navigate, "RemoteAddr", tt.remote, "Host", tt.host))
		shown := resp.StatusCode == http.StatusOK && strings.Contains(body, "DEMO ONLY")
		if shown != tt.shown {
			t.Errorf("%s: %d, shown %v, want %v", tt.name, resp.StatusCode, shown, tt.shown)
		}
		if !tt.shown && (strings.Contains(body, pathMailbox) || resp.StatusCode != http.StatusNotFound) {
			t.Errorf("%s: %d; the mailbox or a link to it was shown", tt.name, resp.StatusCode)
		}
	}
}

// TestMailElsewhere: with -mail-dir the mail goes to files, and the
// mailbox page says so rather than showing a mailbox.
func TestMailElsewhere(t *testing.T) {
	dir := t.TempDir()
	d, h := newTestDemo(t, app.Config{MailDir: dir})
	if d.mailbox != nil || d.cfg.Mailer != nil {
		t.Fatal("-mail-dir: the demo mailbox is still the mailer")
	}
	if _, body := send(h, "GET", pathMailbox, "", navigate); !strings.Contains(body, "files in "+dir) {
		t.Fatalf("the mailbox page does not say where mail goes: %.300s", body)
	}
}

// TestConfigure: the demo's CSP (nonce per request) and, on a loopback
// address, reset links to its own reset page.
func TestConfigure(t *testing.T) {
	for addr, link := range map[string]string{"127.0.0.1:8080": "http://127.0.0.1:8080/reset", "localhost:9000": "http://localhost:9000/reset", "0.0.0.0:8080": "", "127.0.0.1:0": ""} {
		cfg := app.Config{Addr: addr}
		configure(&cfg, newMailbox())
		if cfg.ResetLink != link {
			t.Errorf("%s: reset link %q, want %q", addr, cfg.ResetLink, link)
		}
	}
	_, h := newTestDemo(t, app.Config{})
	resp, body := send(h, "GET", pathSignIn, "", navigate)
	csp := resp.Header.Get("Content-Security-Policy")
	nonce := nonceOf(csp)
	if nonce == "" || !strings.Contains(csp, "script-src 'nonce-") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	attr := attrNonce(nonce) // '+' is written &#43;
	if !strings.Contains(body, `<script src="/static/demo.js" nonce="`+attr+`"`) || !strings.Contains(body, `<link rel="stylesheet" href="/static/demo.css" nonce="`+attr+`"`) {
		t.Fatalf("the page's script and style do not carry the nonce %s", nonce)
	}
	if _, again := send(h, "GET", pathSignIn, "", navigate); strings.Contains(again, nonce) {
		t.Fatal("the nonce is the same for two requests")
	}
}

// TestFormsOnly: the form handlers take forms only, the JSON API JSON
// only.
func TestFormsOnly(t *testing.T) {
	_, h := newTestDemo(t, app.Config{})
	resp, body := send(h, "POST", pathSignIn, `{"username":"alice","password":"x"}`, with(formPost, "Content-Type", "application/json"))
	if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "HTML forms") {
		t.Fatalf("JSON to a form handler: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, _ = send(h, "POST", "/login", "username=alice&password=x", formPost)
	if resp.StatusCode != http.StatusUnsupportedMediaType || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("a form to the JSON API: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestProblemPages: a browser's navigation gets the guard's refusals and
// unknown paths as readable pages, carrying the nonce of the answer's CSP;
// the JSON API's routes and non-browser clients keep problem+json.
func TestProblemPages(t *testing.T) {
	_, h := newTestDemo(t, app.Config{})
	crossSite := with(formPost, "Sec-Fetch-Site", "cross-site")
	resp, body := send(h, "POST", pathSignIn, "username=alice&password=x", crossSite)
	nonce := nonceOf(resp.Header.Get("Content-Security-Policy"))
	if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "cross-origin request rejected") || nonce == "" || !strings.Contains(body, `nonce="`+attrNonce(nonce)+`"`) {
		t.Fatalf("a cross-site form: %d %s %.400s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := send(h, "POST", "/login", `{"username":"alice","password":"x"}`, with(crossSite, "Content-Type", "application/json")); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("the JSON API refusing a cross-site request: %d %s, want problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, body := send(h, "GET", "/no-such-page", "", navigate); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "<h1>Not Found</h1>") {
		t.Fatalf("an unknown page: %d %.200s", resp.StatusCode, body)
	}
	if resp, _ := send(h, "GET", "/no-such-page", "", map[string]string{"Accept": "application/json"}); resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("an unknown path for an API client: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := send(h, "GET", "/me", "", navigate); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("GET /me in a browser: %d %s, want the API's problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, body := send(h, "PUT", pathSignIn, "", navigate); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD, POST" || !strings.Contains(body, "<h1>") {
		t.Fatalf("PUT on a page: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestPanicPage: a handler that panics answers a page that says nothing
// of the failure — no stack, no panic value.
func TestPanicPage(t *testing.T) {
	d, h := newTestDemo(t, app.Config{})
	if err := d.addRoutes([]pageRoute{{"GET", "/boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret detail") })}}); err != nil {
		t.Fatal(err)
	}
	resp, body := send(h, "GET", "/boom", "", navigate)
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "<h1>Internal Server Error</h1>") {
		t.Fatalf("%d %.300s", resp.StatusCode, body)
	}
	for _, leak := range []string{"secret detail", "goroutine", "panic", ".go:"} {
		if strings.Contains(body, leak) {
			t.Fatalf("the page shows %q", leak)
		}
	}
}

// TestPagesDoNotShadowTheAPI: a page on a path of the JSON API is refused.
func TestPagesDoNotShadowTheAPI(t *testing.T) {
	d, _ := newTestDemo(t, app.Config{})
	if err := d.addRoutes([]pageRoute{{"GET", "/login", http.NotFoundHandler()}}); err == nil {
		t.Fatal("a page at /login was accepted")
	}
}

// TestSignedOutPages: the pages and forms of an account send a signed-out
// browser to the sign-in page, forms included, and run no flow.
func TestSignedOutPages(t *testing.T) {
	_, h := newTestDemo(t, app.Config{})
	for _, rt := range []struct{ method, path string }{
		{"GET", pathHome}, {"GET", pathDevices}, {"GET", pathTwoFactor}, {"GET", pathPassword},
		{"POST", pathEverywhere}, {"POST", pathRevoke}, {"POST", pathTFSetup}, {"POST", pathTFConfirm}, {"POST", pathPassword},
	} {
		resp, _ := send(h, rt.method, rt.path, "", formPost)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != pathSignIn {
			t.Errorf("%s %s signed out: %d %s", rt.method, rt.path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// TestOAuthButton: "Sign in with <provider>" shows when OAuth is
// configured, and only then.
func TestOAuthButton(t *testing.T) {
	_, plain := newTestDemo(t, app.Config{})
	if _, body := send(plain, "GET", pathSignIn, "", navigate); strings.Contains(body, "/oauth/login") {
		t.Fatal("a sign-in button for a provider that is not configured")
	}
	// A provider that does not answer yet: the server starts all the same
	// and shows the button (the sign-in answers 503 until it answers).
	_, h := newTestDemo(t, app.Config{OAuth: app.OAuthConfig{Issuer: "http://127.0.0.1:1", ClientID: "demo", RedirectURL: "http://127.0.0.1:8080/oauth/callback"}})
	_, body := send(h, "GET", pathSignIn, "", navigate)
	if !strings.Contains(body, `href="/oauth/login?next=%2F"`) || !strings.Contains(body, "Sign in with 127.0.0.1:1") {
		t.Fatalf("no provider button: %.1500s", body)
	}
}

// attrNonce is nonce as html/template writes it in an attribute ('+' as
// &#43;, which the browser reads back as '+').
func attrNonce(nonce string) string { return strings.ReplaceAll(nonce, "+", "&#43;") }

// FuzzDescribeUserAgent: any User-Agent gets a short name from the fixed
// list, never a piece of itself.
func FuzzDescribeUserAgent(f *testing.F) {
	for _, s := range []string{"", "curl/8", "Mozilla/5.0 (X11; Linux x86_64) Chrome/1 Safari/1", "\xff", "Edg/Firefox/Windows"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := describeUserAgent(ua)
		browser, _, _ := strings.Cut(got, " on ")
		for _, known := range []string{"Edge", "Opera", "Firefox", "Headless Chrome", "Chromium", "Chrome", "Safari", "curl", "Unknown browser"} {
			if browser == known {
				return
			}
		}
		t.Fatalf("%q named %q", ua, got)
	})
}

// TestFormsRateLimited: the form handlers that try passwords, codes or
// names share the per-client-IP bucket of the JSON endpoints they call,
// and a refusal is a page that says when to come back.
func TestFormsRateLimited(t *testing.T) {
	_, h := newTestDemo(t, app.Config{RateIP: 3})
	var last *http.Response
	var body string
	for _, path := range []string{pathSignIn, "/login", pathForgot, pathSignInCode} {
		last, body = send(h, "POST", path, "username=alice&password=x", formPost)
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || !strings.Contains(body, "<h1>Too Many Requests</h1>") {
		t.Fatalf("the 4th attempt from one address: %d Retry-After %q %.200s", last.StatusCode, last.Header.Get("Retry-After"), body)
	}
	if resp, _ := send(h, "GET", pathSignIn, "", navigate); resp.StatusCode != http.StatusOK {
		t.Fatalf("a page is not limited: %d", resp.StatusCode)
	}

	// The reset and device sign-out forms share the second bucket, that
	// of POST /password/reset and POST /sessions/revoke, apart from the
	// sign-in bucket.
	_, h = newTestDemo(t, app.Config{RateIP: 3})
	for _, path := range []string{pathReset, "/password/reset", pathRevoke, pathReset} {
		last, body = send(h, "POST", path, "token=x&password=y", formPost)
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || !strings.Contains(body, "<h1>Too Many Requests</h1>") {
		t.Fatalf("the 4th reset or device sign-out from one address: %d Retry-After %q %.200s", last.StatusCode, last.Header.Get("Retry-After"), body)
	}
	if resp, _ := send(h, "POST", pathSignIn, "username=alice&password=x", formPost); resp.StatusCode == http.StatusTooManyRequests {
		t.Fatal("the sign-in form is limited by the reset bucket")
	}
}
