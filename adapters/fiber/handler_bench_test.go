package authfiber_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/token"
)

// ctxServer sends one request to a fiber app's fasthttp handler again and
// again, without app.Test's net/http conversion and pipe: one RequestCtx
// from a TCP peer, its response and user values reset between requests as
// fasthttp's server resets them, so that what is measured is the app.
type ctxServer struct {
	h   fasthttp.RequestHandler
	ctx fasthttp.RequestCtx
}

func newCtxServer(app *fiber.App, path string, header map[string]string) *ctxServer {
	s := &ctxServer{h: app.Handler()}
	var req fasthttp.Request
	req.Header.SetMethod(http.MethodGet)
	req.SetRequestURI(path)
	req.Header.SetHost("example.test")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	s.ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(203, 0, 113, 7), Port: 4711}, nil)
	return s
}

func (s *ctxServer) do() int {
	s.ctx.ResetUserValues()
	s.ctx.Response.Reset()
	s.h(&s.ctx)
	return s.ctx.Response.StatusCode()
}

// handlerCase is an app to measure: bare fiber, the headers alone, the
// headers and a handler that reads the client's address, and a bearer
// token as the example's /me takes it (the handler reads the
// client's address, as the example's handlers do).
type handlerCase struct {
	name string
	srv  func(testing.TB) *ctxServer
}

func handlerCases() []handlerCase {
	ok := func(c *fiber.Ctx) error { return c.SendString("ok") }
	return []handlerCase{
		{"bare", func(testing.TB) *ctxServer {
			app := fiber.New(fiber.Config{DisableStartupMessage: true})
			app.Get("/", ok)
			return newCtxServer(app, "/", nil)
		}},
		{"headers", func(testing.TB) *ctxServer {
			app := fiber.New(fiber.Config{DisableStartupMessage: true})
			app.Use(authfiber.Middleware())
			app.Get("/", ok)
			return newCtxServer(app, "/", nil)
		}},
		{"clientip", func(testing.TB) *ctxServer {
			g := guard.Must(guard.New())
			app := fiber.New(fiber.Config{DisableStartupMessage: true})
			app.Use(authfiber.FromGuard(g))
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(authfiber.ClientIP(g, c)) })
			return newCtxServer(app, "/", nil)
		}},
		{"token", func(tb testing.TB) *ctxServer {
			iss := authtest.NewIssuer(tb, token.HS256, time.Now)
			pair, err := iss.IssuePair(context.Background(), token.Subject{ID: "alice", Roles: []string{"user"}})
			if err != nil {
				tb.Fatal(err)
			}
			g := guard.Must(guard.New(guard.WithTokens(iss), guard.WithAudit(audit.Discard)))
			app := fiber.New(fiber.Config{DisableStartupMessage: true})
			app.Use(authfiber.FromGuard(g))
			app.Get("/me", authfiber.Require(guard.Authenticated()), func(c *fiber.Ctx) error {
				return c.SendString(authfiber.ClientIP(g, c))
			})
			return newCtxServer(app, "/me", map[string]string{"Authorization": "Bearer " + pair.AccessToken})
		}},
	}
}

// BenchmarkHandler measures the middleware on fasthttp's handler directly
// (BenchmarkMiddleware goes through app.Test, whose conversion and pipe
// cost more than the guard).
func BenchmarkHandler(b *testing.B) {
	for _, hc := range handlerCases() {
		b.Run(hc.name, func(b *testing.B) {
			srv := hc.srv(b)
			b.ReportAllocs()
			for b.Loop() {
				if status := srv.do(); status != http.StatusOK {
					b.Fatalf("status %d", status)
				}
			}
		})
	}
}

// TestAllocationBudgets pins what the headers-only middleware adds to a
// request on fiber: nothing (the guard hands fasthttp the security headers
// as bytes prepared once, which SetCanonical copies, and the exchange is
// one pointer, which an interface holds without allocating); and what
// ClientIP adds: the string it returns, and no string of the peer's
// address to parse (RemoteAddrPort).
func TestAllocationBudgets(t *testing.T) {
	cases := handlerCases()
	bare, headers, clientIP := cases[0].srv(t), cases[1].srv(t), cases[2].srv(t)
	if headers.do(); string(headers.ctx.Response.Header.Peek("X-Frame-Options")) != "DENY" {
		t.Fatal("the middleware set no security headers")
	}
	if clientIP.do(); string(clientIP.ctx.Response.Body()) != "203.0.113.7" {
		t.Fatalf("ClientIP answered %q", clientIP.ctx.Response.Body())
	}
	base := testing.AllocsPerRun(100, func() { bare.do() })
	authtest.AllocBudget(t, "headers-only middleware", base, func() { headers.do() })
	authtest.AllocBudget(t, "ClientIP", base+1, func() { clientIP.do() })
}
