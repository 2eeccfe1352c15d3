package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/authkit-go/authkit/core/guard"
)

// Main runs an example server: parse flags, build the App, let wire turn it
// into an http.Handler or a server of its own, and serve until SIGINT or
// SIGTERM. It returns the process exit code.
func Main(name string, args []string, stderr io.Writer, serve func(a *App, ln net.Listener) error) int {
	return Server{Name: name, Serve: serve}.Main(args, stderr)
}

// Server is an example server for Main: its name, what it changes in the
// configuration the flags give, and how it serves.
type Server struct {
	// Name names the server in logs, usage and the Redis prefix.
	Name string
	// Configure, when set, adjusts the configuration before the App is
	// built (the demo sets its mailbox and its pages' security headers).
	Configure func(*Config) error
	// Banner, when set, is printed before the curl walk-through, with the
	// server's base URL.
	Banner func(base string) string
	// Serve serves the App on ln until the process is told to stop.
	Serve func(a *App, ln net.Listener) error
}

// Main is Main for s.
func (s Server) Main(args []string, stderr io.Writer) int {
	name, serve := s.Name, s.Serve
	cfg, err := ParseFlags(name, args, stderr, nil)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if s.Configure != nil {
		if err := s.Configure(&cfg); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 2
		}
	}
	a, err := New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	store := "memory"
	if cfg.RedisURL != "" {
		store = "redis"
	}
	slog.Info("listening", "server", name, "addr", ln.Addr().String(), "stores", store)
	if cfg.DevFastHash {
		slog.Warn("-dev-fast-hash: passwords are hashed with INSECURE parameters; never use this in production")
	}
	base := "http://" + ln.Addr().String()
	if s.Banner != nil {
		fmt.Fprint(stderr, s.Banner(base))
	}
	fmt.Fprint(stderr, WalkThrough(base, a.sessions.CookieName()))
	if err := serve(a, ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// Limits every example server applies, whatever its framework: net/http's
// http.Server takes them in ServeHTTP, fiber's fasthttp in its config.
const (
	// ReadHeaderTimeout bounds reading a request's header: a client that
	// sends half a request is cut off after it.
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout = 15 * time.Second
	// WriteTimeout bounds writing the response.
	WriteTimeout = 15 * time.Second
	// IdleTimeout bounds the wait for the next request on a kept-alive
	// connection.
	IdleTimeout = 60 * time.Second
	// MaxHeaderBytes caps the request header; beyond it the server
	// answers 431. net/http reads HeaderSlack bytes more before it
	// refuses, so MaxHeaderBytes+HeaderSlack is the header size (request
	// line included) that fits on every server.
	MaxHeaderBytes = 64 << 10
	// HeaderSlack is what net/http reads beyond MaxHeaderBytes (its bufio
	// slop); fasthttp's read buffer is sized MaxHeaderBytes+HeaderSlack to
	// match.
	HeaderSlack = 4096
	// lingerTime is how long a closing connection keeps reading what the
	// client still sends, as net/http's rstAvoidanceDelay.
	lingerTime = 500 * time.Millisecond
)

// HTTPServer returns the http.Server the net/http-based servers (nethttp,
// gin, echo, the demo) serve h with: the limits above. "OPTIONS *" goes to
// h like any request (net/http would answer it itself, 200 without the
// security headers), so it gets the 404 problem fiber gives.
func HTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:                      h,
		DisableGeneralOptionsHandler: true,
		ReadHeaderTimeout:            ReadHeaderTimeout,
		ReadTimeout:                  ReadTimeout,
		WriteTimeout:                 WriteTimeout,
		IdleTimeout:                  IdleTimeout,
		MaxHeaderBytes:               MaxHeaderBytes,
	}
}

// ServeHTTP serves h on ln with the limits above (HTTPServer) until SIGINT
// or SIGTERM, then shuts down gracefully (ServeUntilSignal). What net/http
// answers itself before any handler comes as problem+json with h's headers
// (OwnAnswers).
func ServeHTTP(h http.Handler, ln net.Listener) error {
	srv := HTTPServer(h)
	return ServeUntilSignal(func() error { return srv.Serve(OwnAnswers(ln, h)) }, srv.Shutdown)
}

// ShutdownTimeout bounds a graceful shutdown: how long the requests in
// flight at SIGINT or SIGTERM get to finish.
const ShutdownTimeout = 10 * time.Second

// ServeUntilSignal runs serve until it fails or SIGINT or SIGTERM arrives.
// Then it calls shutdown, which must stop taking connections and return
// once the requests in flight have finished (or its context has ended,
// after ShutdownTimeout), and returns only when serve has returned too,
// so that the process does not exit under a request still being answered
// (fasthttp's Serve returns as soon as its listener closes, before the
// requests in flight end). It returns shutdown's error: nil, the exit
// status 0, when every request finished in time.
func ServeUntilSignal(serve func() error, shutdown func(context.Context) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// A second signal during the drain is ignored (still caught here);
	// the drain ends by itself after ShutdownTimeout.
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := shutdown(sctx)
	if serr := <-errc; err == nil && serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	return err
}

// CloseGently returns ln with connections that, when the server closes
// them, first shut their sending side and read what the client still sends
// for a moment (lingerTime), as net/http does after answering before the
// request was read in full (a 413 before the body, a 431). Closing a
// socket with unread data makes the kernel send a reset, and a client still
// uploading then loses the answer it was sent. fasthttp closes at once, so
// the fiber server listens through CloseGently.
func CloseGently(ln net.Listener) net.Listener { return gentleListener{ln} }

type gentleListener struct{ net.Listener }

func (l gentleListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return &gentleConn{TCPConn: tc}, nil
	}
	return c, err
}

type gentleConn struct {
	*net.TCPConn
	once sync.Once
}

// Close half-closes and returns; the connection is drained and closed in
// the background, so a server closing many connections (at shutdown) does
// not wait lingerTime for each.
func (c *gentleConn) Close() error {
	c.once.Do(func() {
		if c.TCPConn.CloseWrite() != nil || c.TCPConn.SetReadDeadline(time.Now().Add(lingerTime)) != nil {
			_ = c.TCPConn.Close()
			return
		}
		go func() {
			_, _ = io.Copy(io.Discard, c.TCPConn) // until the client's EOF or the deadline
			_ = c.TCPConn.Close()
		}()
	})
	return nil
}

// WalkThrough returns the curl commands that walk the reference API's main
// flow against base (register, log in, call /me with the token and with
// the session cookie), as the servers print them at start.
func WalkThrough(base, cookie string) string {
	return `
Try it:
  curl -si -X POST ` + base + `/register -H 'Content-Type: application/json' \
       -d '{"username":"alice","password":"Correct-Horse-42"}'
  curl -s -D headers.txt -X POST ` + base + `/login -H 'Content-Type: application/json' \
       -d '{"username":"alice","password":"Correct-Horse-42"}' | tee login.json; echo
  TOKEN=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' login.json)
  curl -s ` + base + `/me -H "Authorization: Bearer $TOKEN"; echo
  curl -s ` + base + `/me -H "Cookie: $(grep -o '` + cookie + `=[^;]*' headers.txt)"; echo

`
}

// Problem type URIs of the answers a server gives before any handler runs.
const (
	TypeHeaderTooLarge = "urn:authkit:problem:header-too-large"
	TypeTimeout        = "urn:authkit:problem:request-timeout"
)

// The answers to requests a server refuses before any handler runs. net/http
// (so gin and echo too) writes its own plain-text ones, which no handler
// sees; fasthttp hands them to fiber's error handler, so the fiber server
// answers with these, security headers included.

// HeaderTooLarge is the answer to a request header over MaxHeaderBytes.
func HeaderTooLarge() Response {
	return problem(http.StatusRequestHeaderFieldsTooLarge, TypeHeaderTooLarge, fmt.Sprintf("the request header must be at most %d bytes", MaxHeaderBytes))
}

// Timeout is the answer to a request not received within the read timeouts.
func Timeout() Response {
	return problem(http.StatusRequestTimeout, TypeTimeout, "the request was not received in time")
}

// Malformed is the answer to a request that cannot be parsed. It never says
// what the parser disliked (its message may quote the request).
func Malformed() Response {
	return problem(http.StatusBadRequest, guard.TypeInvalidRequest, "the request is malformed")
}
