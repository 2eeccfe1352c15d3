package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	ginjwt "github.com/appleboy/gin-jwt/v2"
	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/gin-gonic/gin"
	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	jwtv4 "github.com/golang-jwt/jwt/v4"
	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"

	authecho "github.com/authkit-go/authkit/adapters/echo"
	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	authgin "github.com/authkit-go/authkit/adapters/gin"
	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/token"
)

// Middleware variants of one framework: none, authkit, the framework's
// usual JWT middleware.
const (
	mwBare    = "bare"
	mwAuthkit = "authkit"
	mwPeer    = "peer"
	// mwHeaders is authkit with its defaults and nothing else configured:
	// the security headers only.
	mwHeaders = "headers"
	// mwFields is a hand-written middleware that sets the very fields
	// mwHeaders sets, from values prepared once (shared one-element slices;
	// bytes on fiber): the floor any middleware sending them pays.
	mwFields = "fields"
)

// framework builds GET /me behind one middleware variant, serving req.
type framework struct {
	name  string // the fw= key
	peer  string // the peer library, for the README
	build func(b testing.TB, mw string, k *kit, req *http.Request) server
}

var frameworks = []framework{
	{"nethttp", "auth0/go-jwt-middleware/v2", buildNetHTTP},
	{"gin", "appleboy/gin-jwt/v2", buildGin},
	{"echo", "labstack/echo-jwt/v4", buildEcho},
	{"fiber", "gofiber/contrib/jwt", buildFiber},
}

func init() { gin.SetMode(gin.ReleaseMode) }

func buildNetHTTP(b testing.TB, mw string, k *kit, req *http.Request) server {
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, sub string) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(meBody(sub))
	}
	switch mw {
	case mwBare:
		mux.HandleFunc("GET /me", func(w http.ResponseWriter, _ *http.Request) { write(w, benchSubject) })
		return newHTTPServer(mux, req)
	case mwAuthkit:
		mux.Handle("GET /me", authhttp.Require(guard.Authenticated())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := authhttp.Principal(r)
			write(w, p.Subject)
		})))
		return newHTTPServer(authhttp.FromGuard(k.guard)(mux), req)
	case mwHeaders:
		mux.HandleFunc("GET /me", func(w http.ResponseWriter, _ *http.Request) { write(w, benchSubject) })
		return newHTTPServer(authhttp.FromGuard(k.headersOnly)(mux), req)
	case mwFields:
		mux.HandleFunc("GET /me", func(w http.ResponseWriter, _ *http.Request) { write(w, benchSubject) })
		return newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			k.fields.set(w.Header())
			mux.ServeHTTP(w, r)
		}), req)
	default:
		v, err := validator.New(func(context.Context) (any, error) { return k.verifyKey, nil },
			validator.SignatureAlgorithm(k.alg), benchIssuer, []string{benchAudience})
		if err != nil {
			b.Fatal(err)
		}
		check := jwtmiddleware.New(v.ValidateToken).CheckJWT
		mux.Handle("GET /me", check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
			write(w, c.RegisteredClaims.Subject)
		})))
		return newHTTPServer(mux, req)
	}
}

func buildGin(b testing.TB, mw string, k *kit, req *http.Request) server {
	r := gin.New()
	write := func(c *gin.Context, sub string) { c.Data(http.StatusOK, "application/json", meBody(sub)) }
	switch mw {
	case mwBare:
		r.GET("/me", func(c *gin.Context) { write(c, benchSubject) })
	case mwAuthkit:
		r.Use(authgin.FromGuard(k.guard))
		r.GET("/me", authgin.Require(guard.Authenticated()), func(c *gin.Context) {
			p, _ := authgin.Principal(c)
			write(c, p.Subject)
		})
	case mwHeaders:
		r.Use(authgin.FromGuard(k.headersOnly))
		r.GET("/me", func(c *gin.Context) { write(c, benchSubject) })
	case mwFields:
		r.Use(func(c *gin.Context) { k.fields.set(c.Writer.Header()) })
		r.GET("/me", func(c *gin.Context) { write(c, benchSubject) })
	default:
		cfg := &ginjwt.GinJWTMiddleware{Realm: "bench", IdentityKey: "sub"}
		switch key := k.verifyKey.(type) {
		case []byte:
			cfg.Key, cfg.SigningAlgorithm = key, string(token.HS256)
		default: // gin-jwt reads only RSA key files; other keys come through KeyFunc
			cfg.KeyFunc = func(t *jwtv4.Token) (any, error) {
				if t.Method.Alg() != string(k.alg) {
					return nil, errors.New("unexpected algorithm")
				}
				return key, nil
			}
		}
		m, err := ginjwt.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		r.GET("/me", m.MiddlewareFunc(), func(c *gin.Context) {
			sub, _ := c.Get("sub")
			s, _ := sub.(string)
			write(c, s)
		})
	}
	return newHTTPServer(r, req)
}

func buildEcho(_ testing.TB, mw string, k *kit, req *http.Request) server {
	e := echo.New()
	write := func(c echo.Context, sub string) error { return c.Blob(http.StatusOK, "application/json", meBody(sub)) }
	switch mw {
	case mwBare:
		e.GET("/me", func(c echo.Context) error { return write(c, benchSubject) })
	case mwAuthkit:
		e.Use(authecho.FromGuard(k.guard))
		e.GET("/me", func(c echo.Context) error {
			p, _ := authecho.Principal(c)
			return write(c, p.Subject)
		}, authecho.Require(guard.Authenticated()))
	case mwHeaders:
		e.Use(authecho.FromGuard(k.headersOnly))
		e.GET("/me", func(c echo.Context) error { return write(c, benchSubject) })
	case mwFields:
		e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				k.fields.set(c.Response().Header())
				return next(c)
			}
		})
		e.GET("/me", func(c echo.Context) error { return write(c, benchSubject) })
	default:
		e.GET("/me", func(c echo.Context) error {
			sub, _ := c.Get("user").(*jwt.Token).Claims.GetSubject()
			return write(c, sub)
		}, echojwt.WithConfig(echojwt.Config{SigningKey: k.verifyKey, SigningMethod: string(k.alg)}))
	}
	return newHTTPServer(e, req)
}

func buildFiber(_ testing.TB, mw string, k *kit, req *http.Request) server {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	write := func(c *fiber.Ctx, sub string) error {
		c.Set(fiber.HeaderContentType, "application/json")
		return c.Send(meBody(sub))
	}
	switch mw {
	case mwBare:
		app.Get("/me", func(c *fiber.Ctx) error { return write(c, benchSubject) })
	case mwAuthkit:
		app.Use(authfiber.FromGuard(k.guard))
		app.Get("/me", authfiber.Require(guard.Authenticated()), func(c *fiber.Ctx) error {
			p, _ := authfiber.Principal(c)
			return write(c, p.Subject)
		})
	case mwHeaders:
		app.Use(authfiber.FromGuard(k.headersOnly))
		app.Get("/me", func(c *fiber.Ctx) error { return write(c, benchSubject) })
	case mwFields:
		app.Use(func(c *fiber.Ctx) error {
			for _, f := range k.fields {
				c.Response().Header.SetCanonical(f.nameBytes, f.valueBytes)
			}
			return c.Next()
		})
		app.Get("/me", func(c *fiber.Ctx) error { return write(c, benchSubject) })
	default:
		app.Get("/me", jwtware.New(jwtware.Config{SigningKey: jwtware.SigningKey{JWTAlg: string(k.alg), Key: k.verifyKey}}),
			func(c *fiber.Ctx) error {
				sub, _ := c.Locals("user").(*jwt.Token).Claims.GetSubject()
				return write(c, sub)
			})
	}
	return newFiberServer(app, req)
}

// tokenRequest is GET /me with k's token as a bearer token.
func tokenRequest(k *kit) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	req.Header.Set("Authorization", k.bearer())
	return req
}

// checkToken asserts that srv lets k's token in (200, the subject in the
// body) and refuses a forged one (401), then puts the good token back.
func checkToken(b testing.TB, srv server, k *kit) {
	b.Helper()
	mustAnswer(b, "valid token", srv, http.StatusOK, `"sub":"`+benchSubject+`"`)
	srv.setHeader("Authorization", k.forged())
	mustAnswer(b, "forged token", srv, http.StatusUnauthorized, "")
	srv.setHeader("Authorization", k.bearer())
}

// BenchmarkToken sends GET /me with a bearer token through each framework
// with authkit and with the framework's usual JWT middleware (fw= names
// the framework; see frameworks for its peer). The tokens are authkit's
// access tokens, which every peer verifies with the same key:
//
//	tok=repeated  the same token on every request (one client)
//	tok=unique    a token never seen before on every request (many
//	              clients): minted in batches with the timer stopped, and
//	              the minting's garbage collected before the timer starts
func BenchmarkToken(b *testing.B) {
	for _, fw := range frameworks {
		for _, alg := range []token.Algorithm{token.HS256, token.ES256} {
			for _, mw := range []string{mwPeer, mwAuthkit} {
				prefix := "fw=" + fw.name + "/alg=" + string(alg)
				b.Run(prefix+"/tok=repeated/mw="+mw, func(b *testing.B) {
					k := newKit(b, alg, nil)
					srv := fw.build(b, mw, k, tokenRequest(k))
					checkToken(b, srv, k)
					measure(b, srv)
				})
				b.Run(prefix+"/tok=unique/mw="+mw, func(b *testing.B) {
					k := newKit(b, alg, nil)
					srv := fw.build(b, mw, k, tokenRequest(k))
					checkToken(b, srv, k)
					measureUnique(b, srv, k)
				})
			}
		}
	}
}

// BenchmarkHeaders is GET /me (with a bearer token nobody checks) through
// each framework with no middleware at all (mw=bare: the floor under
// BenchmarkToken), with a hand-written middleware setting the same fields
// from prepared values (mw=fields: what the framework spends on them) and
// with authkit's security headers only (mw=headers: guard.New() with no
// options).
func BenchmarkHeaders(b *testing.B) {
	for _, fw := range frameworks {
		for _, mw := range []string{mwBare, mwFields, mwHeaders} {
			b.Run("fw="+fw.name+"/mw="+mw, func(b *testing.B) {
				k := newKit(b, token.HS256, nil)
				srv := fw.build(b, mw, k, tokenRequest(k))
				checkHeaders(b, srv, mw)
				measure(b, srv)
			})
		}
	}
}

// checkHeaders asserts that srv answers 200 with the security headers
// exactly when mw is mwHeaders or mwFields.
func checkHeaders(b testing.TB, srv server, mw string) {
	b.Helper()
	mustAnswer(b, mw, srv, http.StatusOK, benchSubject)
	if got, want := srv.responseHeader("X-Content-Type-Options") == "nosniff", mw != mwBare; got != want {
		b.Fatalf("%s: X-Content-Type-Options nosniff is %v, want %v", mw, got, want)
	}
}

// uniqueBatch is how many fresh tokens are minted at a time, with the
// timer stopped.
const uniqueBatch = 512

// measureUnique times srv with a token never sent before on every request.
func measureUnique(b *testing.B, srv server, k *kit) {
	b.Helper()
	b.ReportAllocs()
	var cpu int64
	for i := 0; i < b.N; {
		b.StopTimer()
		batch := k.mint(b, min(uniqueBatch, b.N-i))
		runtime.GC() // the minting's garbage is not the middleware's to collect
		b.StartTimer()
		start := cpuTime(b)
		for _, v := range batch {
			srv.setHeader("Authorization", v)
			if status, _ := srv.do(); status != http.StatusOK {
				b.Fatalf("status %d, want 200", status)
			}
		}
		cpu += int64(cpuTime(b) - start)
		i += len(batch)
	}
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}
