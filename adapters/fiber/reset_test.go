package authfiber_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
)

// fasthttp's NotModified (as used by SendFile for a 304) and Error reset the
// whole response, headers included; the adapter must put them back.
func TestHeadersSurviveAResetResponse(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []guard.Option
	}{
		{"defaults", nil},
		{"nonce", []guard.Option{guard.WithHeaders(headers.WithNonce())}},
	} {
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
				for name, want := range authtest.DefaultHeaders {
					got := resp.Header.Get(name)
					if name == headers.ContentSecurityPolicy && len(tc.opts) > 0 {
						if got == "" || got == want {
							t.Errorf("%s: CSP with nonce = %q", path, got)
						}
						continue
					}
					if got != want {
						t.Errorf("%s (%d): %s = %q, want %q", path, resp.StatusCode, name, got, want)
					}
				}
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
