package bench

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// A server answers one request the way its framework's server would, minus
// the network: net/http, gin and echo get ServeHTTP with a response writer
// that is reset between requests; fiber gets its fasthttp handler with a
// RequestCtx that is reset as fasthttp's server resets it between the
// requests of one connection. Every variant of one framework (bare, authkit,
// peer) goes through the same server, so what differs is the middleware.
type server interface {
	// do sends one request and returns the status and body written.
	do() (status int, body []byte)
	// setHeader replaces the value of a request header field the request
	// already has, without allocating.
	setHeader(name, value string)
	// responseHeader returns a header field of the latest answer.
	responseHeader(name string) string
}

// recorder is a ResponseWriter with, like net/http's server, a new header
// map for every response; its body buffer is reused.
type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.h }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

func (w *recorder) WriteString(s string) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.WriteString(s)
}

func (w *recorder) reset() {
	w.h = make(http.Header)
	w.code = 0
	w.body.Reset()
}

// httpServer serves a net/http-compatible handler (net/http, gin, echo).
type httpServer struct {
	h   http.Handler
	req *http.Request
	w   recorder
}

func newHTTPServer(h http.Handler, req *http.Request) *httpServer {
	return &httpServer{h: h, req: req, w: recorder{h: make(http.Header)}}
}

func (s *httpServer) do() (int, []byte) {
	s.w.reset()
	s.h.ServeHTTP(&s.w, s.req)
	if s.w.code == 0 {
		s.w.code = http.StatusOK // what net/http sends for a handler that wrote nothing
	}
	return s.w.code, s.w.body.Bytes()
}

func (s *httpServer) setHeader(name, value string) { s.req.Header[name][0] = value }

func (s *httpServer) responseHeader(name string) string { return s.w.h.Get(name) }

// fiberServer serves a fiber app's handler. fasthttp reuses one RequestCtx
// for the requests of a connection and resets its user values and response
// between them (server.go, serveConn); fiber keeps the user context and
// Locals there, so without the reset each request would see the previous
// one's values and a context chain that grows with every iteration.
type fiberServer struct {
	h   fasthttp.RequestHandler
	ctx fasthttp.RequestCtx
}

func newFiberServer(app *fiber.App, req *http.Request) *fiberServer {
	s := &fiberServer{h: app.Handler()}
	r := &s.ctx.Request
	r.Header.SetMethod(req.Method)
	r.SetRequestURI(req.URL.RequestURI())
	r.Header.SetHost("bench.example")
	for name, vs := range req.Header {
		for _, v := range vs {
			r.Header.Add(name, v)
		}
	}
	return s
}

func (s *fiberServer) do() (int, []byte) {
	s.ctx.ResetUserValues()
	s.ctx.Response.Reset()
	s.h(&s.ctx)
	return s.ctx.Response.StatusCode(), s.ctx.Response.Body()
}

func (s *fiberServer) setHeader(name, value string) { s.ctx.Request.Header.Set(name, value) }

func (s *fiberServer) responseHeader(name string) string {
	return string(s.ctx.Response.Header.Peek(name))
}

// mustAnswer fails the benchmark unless srv answers want with a body that
// contains wantBody (when not empty).
func mustAnswer(b testing.TB, what string, srv server, want int, wantBody string) {
	b.Helper()
	status, body := srv.do()
	if status != want || !bytes.Contains(body, []byte(wantBody)) {
		b.Fatalf("%s: status %d, body %q; want %d with %q", what, status, body, want, wantBody)
	}
}

// measure times srv.do, which must answer 200 every time, with allocations
// and CPU time per request.
func measure(b *testing.B, srv server) {
	b.Helper()
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		if status, _ := srv.do(); status != http.StatusOK {
			b.Fatalf("status %d, want 200", status)
		}
	}
	reportCPU(b, start)
}
