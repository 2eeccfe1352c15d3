// Package oauthflow signs in through each of the four adapters — gin,
// echo, fiber and net/http, each serving core/oauth's handlers with its
// Serve — at a real OpenID provider (oauthtest: zitadel/oidc's op) running
// in the test process: the whole authorization code flow with PKCE over
// HTTPS, and callback attacks. It lives in the examples module because
// that is the module that requires all four adapters and oauthtest.
package oauthflow

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"

	authecho "github.com/authkit-go/authkit/adapters/echo"
	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	authgin "github.com/authkit-go/authkit/adapters/gin"
	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/oauthtest"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// routes is what each framework serves: the sign-in through Serve,
// GET /me behind Require(Authenticated) answering "sub amr via", and
// GET /recent, the same behind Require(recent): a second factor in the
// last hour.
type routes struct {
	g              *guard.Guard
	login, callbck guard.Handler
}

var recent = guard.MFAWithin(time.Hour)

func whoami(ctx context.Context) string {
	p, _ := guard.PrincipalFrom(ctx)
	return p.Subject + " " + strings.Join(p.AMR, ",") + " " + p.Via
}

// frameworks start a TLS server of their framework on ln.
var frameworks = map[string]func(t *testing.T, ln net.Listener, r routes){
	"nethttp": func(t *testing.T, ln net.Listener, r routes) {
		mux := http.NewServeMux()
		mux.Handle("GET /oauth/login", authhttp.Serve(r.login))
		mux.Handle("GET /oauth/callback", authhttp.Serve(r.callbck))
		me := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { w.Write([]byte(whoami(req.Context()))) })
		mux.Handle("GET /me", authhttp.Require(guard.Authenticated())(me))
		mux.Handle("GET /recent", authhttp.Require(recent)(me))
		serveHTTP(t, ln, authhttp.FromGuard(r.g)(mux))
	},
	"gin": func(t *testing.T, ln net.Listener, r routes) {
		e := gin.New()
		e.Use(authgin.FromGuard(r.g))
		e.GET("/oauth/login", authgin.Serve(r.login))
		e.GET("/oauth/callback", authgin.Serve(r.callbck))
		me := func(c *gin.Context) { c.String(200, "%s", whoami(c.Request.Context())) }
		e.GET("/me", authgin.Require(guard.Authenticated()), me)
		e.GET("/recent", authgin.Require(recent), me)
		serveHTTP(t, ln, e)
	},
	"echo": func(t *testing.T, ln net.Listener, r routes) {
		e := echo.New()
		e.Use(authecho.FromGuard(r.g))
		e.GET("/oauth/login", authecho.Serve(r.login))
		e.GET("/oauth/callback", authecho.Serve(r.callbck))
		me := func(c echo.Context) error { return c.String(200, whoami(c.Request().Context())) }
		e.GET("/me", me, authecho.Require(guard.Authenticated()))
		e.GET("/recent", me, authecho.Require(recent))
		serveHTTP(t, ln, e)
	},
	"fiber": func(t *testing.T, ln net.Listener, r routes) {
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		app.Use(authfiber.FromGuard(r.g))
		app.Get("/oauth/login", authfiber.Serve(r.login))
		app.Get("/oauth/callback", authfiber.Serve(r.callbck))
		me := func(c *fiber.Ctx) error { return c.SendString(whoami(c.UserContext())) }
		app.Get("/me", authfiber.Require(guard.Authenticated()), me)
		app.Get("/recent", authfiber.Require(recent), me)
		go app.Listener(ln)
		t.Cleanup(func() { app.Shutdown() })
	},
}

func serveHTTP(t *testing.T, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// testTLS is httptest's certificate, which the provider's HTTPClient (and
// so the test browser) trusts.
func testTLS() *tls.Config {
	s := httptest.NewUnstartedServer(nil)
	s.StartTLS()
	defer s.Close()
	return s.TLS.Clone()
}

// site is one framework's relying party.
type site struct {
	URL      string
	sessions *session.Manager
}

func start(t *testing.T, fw string, p *oauthtest.Provider) *site {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", testTLS())
	if err != nil {
		t.Fatal(err)
	}
	s := &site{URL: "https://" + ln.Addr().String()}
	redirect := s.URL + "/oauth/callback"
	p.AddClient(oauthtest.Client{ID: "app-" + fw, Secret: "secret-" + fw, RedirectURIs: []string{redirect}})
	if s.sessions, err = session.New(session.WithAudit(audit.Discard)); err != nil {
		t.Fatal(err)
	}
	g, err := guard.New(guard.WithSessions(s.sessions), guard.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	prov, err := oauth.Discover(context.Background(), p.Issuer, oauth.WithHTTPClient(p.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	client, err := oauth.NewClient(prov, "app-"+fw, []string{redirect}, key, oauth.WithClientSecret("secret-"+fw), oauth.WithHTTPClient(p.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	h, err := oauth.NewHandlers(client, func(ctx context.Context, res *oauth.Result) (string, error) {
		_, err := guard.SignIn(ctx, res.Principal())
		return res.LocalSubject(), err
	}, oauth.WithAudit(audit.Discard), oauth.WithClientIP(g.ClientIP))
	if err != nil {
		t.Fatal(err)
	}
	frameworks[fw](t, ln, routes{g: g, login: h.Login(), callbck: h.Callback()})
	return s
}

func (s *site) isCallback(u *url.URL) bool {
	return u.Scheme+"://"+u.Host+u.Path == s.URL+"/oauth/callback"
}

// untilCallback runs the flow in b up to the provider's redirect back.
func (s *site) untilCallback(t *testing.T, b *oauthtest.Browser) *url.URL {
	t.Helper()
	return b.Until(t, s.URL+"/oauth/login?next=%2Fme", s.isCallback, nil)
}

func (s *site) cookies(t *testing.T, b *oauthtest.Browser) (sess string, attempts int) {
	for _, c := range b.Cookies(t, s.URL) {
		switch {
		case c.Name == s.sessions.CookieName():
			sess = c.Value
		case strings.HasPrefix(c.Name, oauth.CookiePrefix):
			attempts++
		}
	}
	return sess, attempts
}

func TestSignInThroughEveryAdapter(t *testing.T) {
	p := oauthtest.Start(t)
	p.AddUser(oauthtest.User{Subject: "u-42", AMR: []string{"pwd", "otp"}})
	p.SignInAs("u-42")
	for _, fw := range []string{"gin", "echo", "fiber", "nethttp"} {
		t.Run(fw, func(t *testing.T) {
			s := start(t, fw, p)
			b := oauthtest.NewBrowser(p.HTTPClient())
			resp := b.Follow(t, s.URL+"/oauth/login?next=%2Fme", nil)
			if resp.StatusCode != 200 || !strings.HasPrefix(string(resp.Body), oauth.LocalSubjectPrefix) ||
				!strings.HasSuffix(string(resp.Body), ":u-42 pwd,otp session") {
				t.Fatalf("landed with %s %q", resp.Status, resp.Body)
			}
			// login → authorize → provider login → callback → /me.
			if len(b.Hops) < 4 || !s.isCallback(b.Hops[len(b.Hops)-2]) || b.Hops[len(b.Hops)-1].String() != s.URL+"/me" {
				t.Fatalf("hops %v", b.Hops)
			}
			authz := b.Hops[1].Query()
			if authz.Get("code_challenge_method") != "S256" || len(authz.Get("code_challenge")) != 43 || authz.Get("code_verifier") != "" {
				t.Errorf("authorization request %v", authz)
			}
			if sess, attempts := s.cookies(t, b); sess == "" || attempts != 0 {
				t.Errorf("session %q, %d attempt cookies left", sess, attempts)
			}
		})
	}
}

// A provider's "mfa" meets a step-up rule (MFAWithin) only with the
// provider's auth_time: without it the factor's age is unknown, and the
// session has to pass a fresh second factor first (ASVS 6.8.4). Signing in
// works either way.
func TestStepUpNeedsAuthTime(t *testing.T) {
	p := oauthtest.Start(t)
	p.AddUser(oauthtest.User{Subject: "with-time", AMR: []string{"pwd", "mfa"}})
	p.AddUser(oauthtest.User{Subject: "without-time", AMR: []string{"pwd", "mfa"}, OmitAuthTime: true})
	for _, fw := range []string{"gin", "echo", "fiber", "nethttp"} {
		t.Run(fw, func(t *testing.T) {
			s := start(t, fw, p)
			for _, tc := range []struct {
				user string
				want int
			}{{"with-time", http.StatusOK}, {"without-time", http.StatusForbidden}} {
				p.SignInAs(tc.user)
				b := oauthtest.NewBrowser(p.HTTPClient())
				if resp := b.Follow(t, s.URL+"/oauth/login?next=%2Fme", nil); resp.StatusCode != 200 || !strings.HasSuffix(string(resp.Body), ":"+tc.user+" pwd,mfa session") {
					t.Fatalf("%s: landed with %s %q", tc.user, resp.Status, resp.Body)
				}
				resp := b.Follow(t, s.URL+"/recent", nil)
				var problem struct {
					Type string `json:"type"`
				}
				json.Unmarshal(resp.Body, &problem)
				if resp.StatusCode != tc.want || tc.want == http.StatusForbidden && problem.Type != guard.TypeStepUpRequired {
					t.Errorf("%s: /recent answered %s %s, want %d", tc.user, resp.Status, resp.Body, tc.want)
				}
			}
		})
	}
}

func TestCallbackAttacksThroughEveryAdapter(t *testing.T) {
	p := oauthtest.Start(t)
	edit := func(u *url.URL, k, v string) string {
		w := *u
		q := w.Query()
		q.Set(k, v)
		w.RawQuery = q.Encode()
		return w.String()
	}
	for _, fw := range []string{"gin", "echo", "fiber", "nethttp"} {
		t.Run(fw, func(t *testing.T) {
			s := start(t, fw, p)
			for _, tc := range []struct {
				name   string
				attack func(b *oauthtest.Browser, cb *url.URL) *oauthtest.Response
				code   string
			}{
				{"state changed", func(b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
					return b.Follow(t, edit(cb, "state", strings.Repeat("A", 43)), nil)
				}, oauth.CodeStateMismatch},
				{"another browser (login CSRF)", func(_ *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
					return oauthtest.NewBrowser(p.HTTPClient()).Follow(t, cb.String(), nil)
				}, oauth.CodeStateMismatch},
				{"code forged", func(b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
					return b.Follow(t, edit(cb, "code", "forged"), nil)
				}, oauth.CodeInvalidGrant},
				{"mix-up", func(b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
					return b.Follow(t, edit(cb, "iss", "https://evil.example"), nil)
				}, oauth.CodeIssMismatch},
			} {
				t.Run(tc.name, func(t *testing.T) {
					b := oauthtest.NewBrowser(p.HTTPClient())
					resp := tc.attack(b, s.untilCallback(t, b))
					var pr struct {
						Code string `json:"code"`
					}
					if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != guard.ProblemContentType || json.Unmarshal(resp.Body, &pr) != nil || pr.Code != tc.code {
						t.Fatalf("answer %s %s, want 400 with code %s", resp.Status, resp.Body, tc.code)
					}
					if sess, _ := s.cookies(t, b); sess != "" {
						t.Error("a session after a refused callback")
					}
					if me := b.Follow(t, s.URL+"/me", nil); me.StatusCode != 401 {
						t.Errorf("/me after a refused callback: %s", me.Status)
					}
				})
			}
		})
	}
}
