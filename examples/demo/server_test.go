package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/examples/internal/app"
)

// testDemo is the demo served on a loopback port, as `make run` serves it,
// on memory stores with cheap hashing and the rate limits lifted.
type testDemo struct {
	base string
	d    *demo
	box  *mailbox

	mu      sync.Mutex
	reports []cspReport
}

// startDemo starts the demo; extra guard options go after the demo's own
// (the browser test turns the origin check off with one).
func startDemo(t *testing.T, opts ...guard.Option) *testDemo {
	t.Helper()
	return startDemoWith(t, func(cfg *app.Config) { cfg.GuardOptions = append(cfg.GuardOptions, opts...) })
}

// startDemoWith starts the demo after mod has edited its configuration
// (the demo's own settings made, cfg.Addr the server's address).
func startDemoWith(t *testing.T, mod func(cfg *app.Config)) *testDemo {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box := newMailbox()
	cfg := app.Config{Addr: ln.Addr().String(), DevFastHash: true, Audit: audit.Discard, RateIP: 1_000_000, RateLogin: 1_000_000}
	configure(&cfg, box)
	mod(&cfg)
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDemo(a, cfg, box)
	if err != nil {
		t.Fatal(err)
	}
	td := &testDemo{base: "http://" + ln.Addr().String(), d: d, box: box}
	d.onCSPReport = func(r cspReport) {
		td.mu.Lock()
		defer td.mu.Unlock()
		td.reports = append(td.reports, r)
	}
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: app.ReadHeaderTimeout}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serving the demo: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = a.Close()
	})
	return td
}

// cspReports returns the CSP reports received so far and forgets them.
func (td *testDemo) cspReports() []cspReport {
	td.mu.Lock()
	defer td.mu.Unlock()
	r := td.reports
	td.reports = nil
	return r
}
