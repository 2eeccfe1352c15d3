package guard

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/session"
)

// addrPortExchange is an exchange over a *net.TCPAddr, as fiber's: its
// RemoteAddr formats the address, RemoteAddrPort hands it over unformatted
// when it can (port.TCPAddrPort), as the fiber adapter does.
type addrPortExchange struct {
	HTTPExchange
	a *net.TCPAddr
}

func (x addrPortExchange) RemoteAddr() string { return x.a.String() }

func (x addrPortExchange) RemoteAddrPort() (netip.AddrPort, bool) { return port.TCPAddrPort(x.a) }

var _ port.AddrPortExchange = addrPortExchange{}

// stringOnly hides RemoteAddrPort: the guard reads RemoteAddr alone.
type stringOnly struct{ HTTPExchange }

// TestRemoteAddrPortAsRemoteAddr checks that a peer read through
// RemoteAddrPort gives the guard the same client address and scheme as the
// same peer formatted by RemoteAddr and parsed back, for the peer as a
// trusted proxy or not, malformed and odd addresses included.
func TestRemoteAddrPortAsRemoteAddr(t *testing.T) {
	peers := []*net.TCPAddr{
		{IP: net.ParseIP("203.0.113.7"), Port: 4711},
		{IP: net.IPv4(10, 0, 0, 1).To4(), Port: 80},
		{IP: net.IPv4(10, 0, 0, 1), Port: 80}, // 16-byte form
		{IP: net.ParseIP("2001:db8::1"), Port: 443},
		{IP: net.ParseIP("::ffff:10.0.0.1"), Port: 1},
		{IP: net.ParseIP("fe80::1"), Port: 8080, Zone: "eth0"},
		{IP: net.ParseIP("10.0.0.1"), Port: 8080, Zone: "eth0"}, // mapped with a zone: its text does not parse
		{IP: net.ParseIP("10.0.0.1").To4(), Port: 8080, Zone: "eth0"},
		{IP: net.ParseIP("::1"), Port: 0},
		{IP: nil, Port: 80},
		{IP: net.IP{1, 2, 3}, Port: 80},
		{IP: net.ParseIP("10.0.0.1"), Port: 70000},
		{IP: net.ParseIP("10.0.0.1"), Port: -1},
	}
	guards := map[string][]Option{
		"no proxies": nil,
		"trusted":    {WithTrustedProxies("10.0.0.0/8", "fe80::/10", "::1")},
		"forwarded":  {WithTrustedProxies("10.0.0.0/8", "fe80::/10", "::1"), WithForwardedHeader(Forwarded)},
		"x-real-ip":  {WithTrustedProxies("10.0.0.0/8", "fe80::/10", "::1"), WithForwardedHeader(XRealIP)},
	}
	lines := map[string][]string{
		"X-Forwarded-For":   {"198.51.100.1, 10.0.0.9"},
		"X-Forwarded-Proto": {"https"},
		"Forwarded":         {`for=198.51.100.2;proto=https`},
		"X-Real-IP":         {"198.51.100.3"},
	}
	for name, opts := range guards {
		g := Must(New(append(opts, WithoutHeaders())...))
		for _, a := range peers {
			base := proxied("", lines)
			fast, slow := addrPortExchange{base, a}, stringOnly{base}
			slow.R.RemoteAddr = a.String()
			if got, want := g.ClientIP(fast), g.ClientIP(slow); got != want {
				t.Errorf("%s, peer %s: ClientIP %q through RemoteAddrPort, %q through RemoteAddr", name, a, got, want)
			}
			if got, want := g.Secure(fast), g.Secure(slow); got != want {
				t.Errorf("%s, peer %s: Secure %v through RemoteAddrPort, %v through RemoteAddr", name, a, got, want)
			}
		}
	}
}

// setterOnly is an Exchange with no optional method: every header goes
// through SetHeader.
type setterOnly struct{ Exchange }

// bytesSetter takes header fields as bytes (port.HeaderBytesExchange),
// as the fiber adapter does, and counts them.
type bytesSetter struct {
	Exchange
	n *int
}

func (x bytesSetter) SetHeaderBytes(name, value []byte) {
	*x.n++
	x.SetHeader(string(name), string(value))
}

// TestHeaderBytesAsSetHeader checks that an exchange taking header fields
// as bytes gets the same security headers, Vary and no-store (set, and
// restored after a reset) as one taking strings.
func TestHeaderBytesAsSetHeader(t *testing.T) {
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	g := Must(New(WithSessions(mgr), WithAudit(audit.Discard)))
	run := func(wrap func(Exchange) Exchange) http.Header {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		w := httptest.NewRecorder()
		x := wrap(HTTPExchange{W: w, R: r})
		ctx, d := g.Before(x)
		if d != nil {
			t.Fatalf("denied: %d", d.Status)
		}
		g.noStoreCookie(x)
		before := w.Header().Clone()
		clear(w.Header())
		g.RestoreHeaders(WithPrincipal(ctx, Principal{Subject: "alice"}), x)
		if !reflect.DeepEqual(w.Header(), before) {
			t.Errorf("restored %v, set %v", w.Header(), before)
		}
		return before
	}
	n := 0
	fast := run(func(x Exchange) Exchange { return bytesSetter{x, &n} })
	slow := run(func(x Exchange) Exchange { return setterOnly{x} })
	if !reflect.DeepEqual(fast, slow) {
		t.Errorf("as bytes: %v\nas strings: %v", fast, slow)
	}
	if n == 0 || fast.Get("Vary") != "Cookie" || fast.Get("Cache-Control") != "no-store" || fast.Get("X-Frame-Options") != "DENY" {
		t.Errorf("SetHeaderBytes called %d times; headers %v", n, fast)
	}
}
