package authfiber_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
)

// headerOptions are the two shapes of header policy the tests below run
// with: static headers, and a CSP with a per-request nonce.
var headerOptions = []struct {
	name  string
	opts  []guard.Option
	nonce bool
}{
	{"defaults", nil, false},
	{"nonce", []guard.Option{guard.WithHeaders(headers.WithNonce())}, true},
}

// checkDefaultHeaders checks that an answer (its header values by name)
// carries every default security header exactly once; with nonce the CSP
// must hold one.
func checkDefaultHeaders(t *testing.T, what string, nonce bool, values func(string) []string) {
	t.Helper()
	for name, want := range authtest.DefaultHeaders {
		got := values(name)
		if name == headers.ContentSecurityPolicy && nonce {
			if len(got) != 1 || !strings.Contains(got[0], "'nonce-") {
				t.Errorf("%s: CSP = %q, want one with a nonce", what, got)
			}
			continue
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s = %q, want exactly %q", what, name, got, want)
		}
	}
}

// fasthttp's NotModified (as used by SendFile for a 304) and Error reset the
// whole response, headers included; the adapter must put them back.
func TestHeadersSurviveAResetResponse(t *testing.T) {
	for _, tc := range headerOptions {
		t.Run(tc.name, func(t *testing.T) {
			app := fiber.New(fiber.Config{DisableStartupMessage: true})
			app.Use(authfiber.Middleware(tc.opts...))
			app.Get("/not-modified", func(c *fiber.Ctx) error { c.Context().NotModified(); return nil })
			app.Get("/error", func(c *fiber.Ctx) error { c.Context().Error("nope", http.StatusTeapot); return nil })
			app.Get("/own-frame-policy", func(c *fiber.Ctx) error {
				c.Response().Header.Del(headers.FrameOptions)
				return c.SendString("framed")
			})
			for _, path := range []string{"/not-modified", "/error"} {
				resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
				if err != nil {
					t.Fatal(err)
				}
				checkDefaultHeaders(t, path, tc.nonce, resp.Header.Values)
			}
			resp, err := app.Test(httptest.NewRequest("GET", "/own-frame-policy", nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Header.Get(headers.FrameOptions); got != "" {
				t.Errorf("a header the handler removed came back: %q", got)
			}
		})
	}
}

// fasthttp refuses an oversized header or body, and a request not read in
// time, before any handler runs and hands the error to the server's error
// handler (fiber's, which calls the app's), past the middleware: wrapped in
// ErrorHandler, that answer carries the security headers too. app.Test
// cannot show these answers (it returns fasthttp's error instead), so the
// test calls the server's error handler as fasthttp's serveConn does.
func TestErrorHandlerAddsHeadersToServerErrors(t *testing.T) {
	for _, tc := range headerOptions {
		t.Run(tc.name, func(t *testing.T) {
			g := guard.Must(guard.New(tc.opts...))
			app := fiber.New(fiber.Config{
				DisableStartupMessage: true,
				ErrorHandler: authfiber.ErrorHandler(g, func(c *fiber.Ctx, err error) error {
					code := fiber.StatusInternalServerError
					if fe, ok := err.(*fiber.Error); ok {
						code = fe.Code
					}
					return c.Status(code).SendString("refused")
				}),
			})
			app.Use(authfiber.FromGuard(g))
			app.Get("/fail", func(*fiber.Ctx) error { return fiber.NewError(http.StatusTeapot, "no") })

			for _, c := range []struct {
				name string
				err  error
				want int
			}{
				{"header over the read buffer", &fasthttp.ErrSmallBuffer{}, http.StatusRequestHeaderFieldsTooLarge},
				{"body over the limit", fasthttp.ErrBodyTooLarge, http.StatusRequestEntityTooLarge},
				{"read timeout", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, http.StatusRequestTimeout},
			} {
				var fctx fasthttp.RequestCtx
				fctx.Init(&fasthttp.Request{}, nil, nil)
				app.Server().ErrorHandler(&fctx, c.err)
				if got := fctx.Response.StatusCode(); got != c.want {
					t.Errorf("%s: status %d, want %d", c.name, got, c.want)
				}
				checkDefaultHeaders(t, c.name, tc.nonce, func(name string) []string {
					var vs []string
					for _, v := range fctx.Response.Header.PeekAll(name) {
						vs = append(vs, string(v))
					}
					return vs
				})
			}
			resp, err := app.Test(httptest.NewRequest("GET", "/fail", nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusTeapot {
				t.Errorf("handler error: status %d, want 418", resp.StatusCode)
			}
			checkDefaultHeaders(t, "handler error", tc.nonce, resp.Header.Values)
		})
	}
}

// Vary is part of the answer a cache keys on: a 304 must carry it too
// (RFC 9110 §15.4.5), so it survives fasthttp's reset.
func TestVarySurvivesAResetResponse(t *testing.T) {
	iss := authtest.NewIssuer(t, "ES256", time.Now)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(authfiber.Middleware(guard.WithTokens(iss)))
	app.Get("/not-modified", func(c *fiber.Ctx) error { c.Context().NotModified(); return nil })
	resp, err := app.Test(httptest.NewRequest("GET", "/not-modified", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNotModified || resp.Header.Get("Vary") != "Authorization" {
		t.Errorf("304: %d, Vary %q, want Authorization", resp.StatusCode, resp.Header.Get("Vary"))
	}
}
