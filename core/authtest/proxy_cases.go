package authtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/core/session"
)

// proxyRoutes answer GET /ip with the client IP the guard recorded in a
// new session: the adapter's exchange reaches the guard's proxy logic the
// way every feature that needs the client's address does.
func proxyRoutes() []Route {
	return []Route{{Method: http.MethodGet, Path: "/ip", Handle: func(ctx context.Context) Reply {
		s, err := guard.StartSession(ctx)
		if err != nil {
			return Reply{Status: http.StatusInternalServerError, Body: err.Error()}
		}
		return Reply{Status: http.StatusOK, Body: s.IP()}
	}}}
}

type proxyCase struct {
	name string
	// header is the forwarding header to believe; nil keeps the default.
	header *guard.ForwardedHeader
	// lines are request header field lines, each sent on its own line.
	lines map[string][]string
	// wantIP is the client IP; "peer" stands for the harness's peer.
	wantIP string
	// wantSecure says whether the guard sees HTTPS (HSTS limited to TLS
	// is then sent).
	wantSecure bool
}

func fwd(h guard.ForwardedHeader) *guard.ForwardedHeader { return &h }

// runProxyCases checks what the guard believes of forwarding headers,
// through every adapter: all field lines of a list header count (RFC 9110
// §5.3), only the configured header counts, and nothing counts from a peer
// that is not a trusted proxy.
func runProxyCases(t *testing.T, f Factory) {
	// Test harnesses report different peers (httptest the request's
	// RemoteAddr, fiber's app.Test 0.0.0.0): learn it, then trust exactly it.
	peer := proxyIP(t, f, nil, nil)
	if _, err := netip.ParseAddr(peer); err != nil {
		t.Fatalf("the harness's peer %q is not an address", peer)
	}

	trustedCases := []proxyCase{
		{name: "X-Forwarded-For: every line counts, right-most untrusted wins",
			lines:  map[string][]string{"X-Forwarded-For": {"1.2.3.4", "9.9.9.9"}, "X-Forwarded-Proto": {"https", "http"}},
			wantIP: "9.9.9.9", wantSecure: false},
		{name: "X-Forwarded-For: one comma-joined line",
			lines:  map[string][]string{"X-Forwarded-For": {"1.2.3.4, 9.9.9.9"}, "X-Forwarded-Proto": {"http", "https"}},
			wantIP: "9.9.9.9", wantSecure: true},
		{name: "X-Forwarded-For: a malformed hop ends the walk",
			lines:  map[string][]string{"X-Forwarded-For": {"9.9.9.9", "bogus"}},
			wantIP: "peer"},
		{name: "Forwarded: every line counts, proto of the client's element",
			header: fwd(guard.Forwarded),
			lines:  map[string][]string{"Forwarded": {"for=1.2.3.4;proto=http", `for="[2001:db8::9]:8443";proto=https`}, "X-Forwarded-For": {"5.6.7.8"}},
			wantIP: "2001:db8::9", wantSecure: true},
		{name: "Forwarded: an unknown client ends the walk",
			header: fwd(guard.Forwarded),
			lines:  map[string][]string{"Forwarded": {"for=1.2.3.4;proto=https", "for=unknown;proto=http"}},
			wantIP: "peer"},
		{name: "Forwarded: X-Forwarded-For and X-Forwarded-Proto are ignored",
			header: fwd(guard.Forwarded),
			lines:  map[string][]string{"X-Forwarded-For": {"9.9.9.9"}, "X-Forwarded-Proto": {"https"}},
			wantIP: "peer"},
		{name: "X-Real-IP: one address",
			header: fwd(guard.XRealIP),
			lines:  map[string][]string{"X-Real-IP": {"203.0.113.7"}, "X-Forwarded-For": {"9.9.9.9"}, "X-Forwarded-Proto": {"https"}},
			wantIP: "203.0.113.7", wantSecure: true},
		{name: "X-Real-IP: two lines are not believed",
			header: fwd(guard.XRealIP),
			lines:  map[string][]string{"X-Real-IP": {"203.0.113.7", "9.9.9.9"}},
			wantIP: "peer"},
	}
	for _, tc := range trustedCases {
		t.Run("trusted peer/"+tc.name, func(t *testing.T) {
			checkProxyCase(t, f, tc, peer, []string{peer})
		})
	}

	spoofed := map[string][]string{
		"X-Forwarded-For":   {"1.2.3.4", "9.9.9.9"},
		"X-Forwarded-Proto": {"https"},
		"Forwarded":         {"for=9.9.9.9;proto=https"},
		"X-Real-IP":         {"9.9.9.9"},
	}
	for _, h := range []guard.ForwardedHeader{guard.XForwardedFor, guard.Forwarded, guard.XRealIP} {
		t.Run("untrusted peer/"+h.String()+" spoofed changes nothing", func(t *testing.T) {
			// A documentation prefix that no harness reports as the peer.
			checkProxyCase(t, f, proxyCase{header: fwd(h), lines: spoofed, wantIP: "peer"}, peer, []string{"2001:db8::dead/128"})
		})
	}
}

func checkProxyCase(t *testing.T, f Factory, tc proxyCase, peer string, trusted []string) {
	t.Helper()
	opts := []guard.Option{guard.WithTrustedProxies(trusted...)}
	if tc.header != nil {
		opts = append(opts, guard.WithForwardedHeader(*tc.header))
	}
	want := tc.wantIP
	if want == "peer" {
		want = peer
	}
	resp, ip := proxyRequest(t, f, opts, tc.lines)
	if ip != want {
		t.Errorf("client IP = %q, want %q", ip, want)
	}
	if got := resp.Header.Get(headers.HSTS) != ""; got != tc.wantSecure {
		t.Errorf("secure (HSTS only over TLS sent) = %v, want %v", got, tc.wantSecure)
	}
}

// proxyIP returns the client IP an app built with opts records for a
// request carrying lines.
func proxyIP(t *testing.T, f Factory, opts []guard.Option, lines map[string][]string) string {
	t.Helper()
	_, ip := proxyRequest(t, f, opts, lines)
	return ip
}

func proxyRequest(t *testing.T, f Factory, opts []guard.Option, lines map[string][]string) (*http.Response, string) {
	t.Helper()
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]guard.Option{guard.WithSessions(mgr), guard.WithAudit(audit.Discard), guard.WithHeaders(headers.WithHSTSOnlyOverTLS())}, opts...)
	app := f(t, opts, proxyRoutes())
	req := httptest.NewRequest(http.MethodGet, "/ip", nil)
	for name, vs := range lines {
		for _, v := range vs {
			req.Header.Add(name, v)
		}
	}
	resp, body := do(t, app, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /ip = %d %q, want 200", resp.StatusCode, body)
	}
	return resp, body
}
