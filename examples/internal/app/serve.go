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
	"syscall"
	"time"
)

// Main runs an example server: parse flags, build the App, let wire turn it
// into an http.Handler or a server of its own, and serve until SIGINT or
// SIGTERM. It returns the process exit code.
func Main(name string, args []string, stderr io.Writer, serve func(a *App, ln net.Listener) error) int {
	cfg, err := ParseFlags(name, args, stderr, nil)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
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
	fmt.Fprint(stderr, WalkThrough("http://"+ln.Addr().String(), a.sessions.CookieName()))
	if err := serve(a, ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// ServeHTTP serves h on ln with sane timeouts until SIGINT or SIGTERM, then
// shuts down gracefully.
func ServeHTTP(h http.Handler, ln net.Listener) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}

// OnSignal calls stop once SIGINT or SIGTERM arrives; for servers (fiber)
// that run their own listener loop.
func OnSignal(stop func() error) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		cancel()
		_ = stop()
	}()
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
