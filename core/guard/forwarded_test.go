package guard

import (
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// proxied returns an exchange for a request from remote carrying header
// field lines: each value of lines goes on its own line.
func proxied(remote string, lines map[string][]string) HTTPExchange {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = remote
	for name, vs := range lines {
		for _, v := range vs {
			r.Header.Add(name, v)
		}
	}
	return exchangeFor(r)
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		remote  string
		xff     []string // X-Forwarded-For field lines
		want    string
	}{
		{"no proxies: peer, XFF ignored", nil, "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"untrusted peer: XFF ignored", []string{"10.0.0.0/8"}, "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"trusted peer: right-most untrusted hop", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"203.0.113.9, 198.51.100.7, 10.0.0.5"}, "198.51.100.7"},
		{"trusted peer, forged left-most hop ignored", []string{"10.0.0.1"}, "10.0.0.1:5000", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"trusted peer, malformed hop stops the walk", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"203.0.113.9, bogus"}, "10.0.0.2"},
		{"trusted peer, malformed hop after a trusted one", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"203.0.113.9, bogus, 10.0.0.7"}, "10.0.0.7"},
		{"trusted peer, no XFF", []string{"10.0.0.0/8"}, "10.0.0.2:5000", nil, "10.0.0.2"},
		{"trusted peer, every hop trusted: the left-most", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"10.0.0.9, 10.0.0.8"}, "10.0.0.9"},
		// RFC 9110 §5.3: several field lines are one list. A proxy that
		// appends its own line (HAProxy's option forwardfor) leaves the
		// client's forged line first.
		{"two lines: the proxy's line counts", []string{"127.0.0.1"}, "127.0.0.1:5000", []string{"1.2.3.4", "9.9.9.9"}, "9.9.9.9"},
		{"two lines, lists in both", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"1.2.3.4, 5.6.7.8", "198.51.100.7, 10.0.0.3"}, "198.51.100.7"},
		{"two lines, the second all trusted", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"1.2.3.4, 5.6.7.8", "10.0.0.3"}, "5.6.7.8"},
		{"empty elements and lines are skipped", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"203.0.113.9,,", " , ", ""}, "203.0.113.9"},
		{"hop with a port", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"IPv6 hop, bracketed with a port", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"[2001:db8::7]:4711"}, "2001:db8::7"},
		{"IPv6 hop, bracketed", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"[2001:db8::7]"}, "2001:db8::7"},
		{"IPv4-mapped hop is unmapped and can be trusted", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"203.0.113.9, ::ffff:10.0.0.4"}, "203.0.113.9"},
		{"zoned hop is malformed", []string{"10.0.0.0/8"}, "10.0.0.2:5000", []string{"203.0.113.9, fe80::1%eth0"}, "10.0.0.2"},
		{"IPv6 peer", nil, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"IPv4-mapped peer is unmapped", nil, "[::ffff:192.0.2.1]:443", nil, "192.0.2.1"},
		{"unparseable peer", nil, "pipe", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(WithTrustedProxies(tt.proxies...))
			if err != nil {
				t.Fatal(err)
			}
			if got := g.ClientIP(proxied(tt.remote, map[string][]string{"X-Forwarded-For": tt.xff})); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecure(t *testing.T) {
	g, _ := New(WithTrustedProxies("10.0.0.0/8"))
	tests := []struct {
		name   string
		url    string
		remote string
		xfp    []string // X-Forwarded-Proto field lines
		want   bool
	}{
		{"TLS connection", "https://example.com/", "198.51.100.1:1", nil, true},
		{"plain, no header", "/", "198.51.100.1:1", nil, false},
		{"plain, XFP from untrusted peer", "/", "198.51.100.1:1", []string{"https"}, false},
		{"plain, XFP https from trusted proxy", "/", "10.1.2.3:1", []string{"https"}, true},
		{"plain, XFP http from trusted proxy", "/", "10.1.2.3:1", []string{"http"}, false},
		{"chained XFP: last hop counts", "/", "10.1.2.3:1", []string{"https, http"}, false},
		{"two XFP lines: the last line counts", "/", "10.1.2.3:1", []string{"https", "http"}, false},
		{"two XFP lines, https last", "/", "10.1.2.3:1", []string{"http", "HTTPS"}, true},
		{"trailing empty element is skipped", "/", "10.1.2.3:1", []string{"https", "http,"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.url, nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xfp {
				r.Header.Add("X-Forwarded-Proto", v)
			}
			if got := g.Secure(exchangeFor(r)); got != tt.want {
				t.Errorf("Secure = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForwardedHeaderChoice(t *testing.T) {
	const peer = "10.0.0.2:5000"
	tests := []struct {
		name       string
		header     ForwardedHeader
		lines      map[string][]string
		want       string
		wantSecure bool
	}{
		{"Forwarded: right-most untrusted for=", Forwarded, map[string][]string{"Forwarded": {"for=192.0.2.43, for=198.51.100.17;proto=https"}}, "198.51.100.17", true},
		{"Forwarded: every line counts", Forwarded, map[string][]string{"Forwarded": {"for=1.2.3.4;proto=https", "for=9.9.9.9;proto=http"}}, "9.9.9.9", false},
		{"Forwarded: proto of the client's element, not the nearest proxy's", Forwarded, map[string][]string{"Forwarded": {`for=198.51.100.17;proto=https, for=10.0.0.9;proto=http`}}, "198.51.100.17", true},
		{"Forwarded: quoted IPv6 with port", Forwarded, map[string][]string{"Forwarded": {`For="[2001:db8:cafe::17]:4711"`}}, "2001:db8:cafe::17", false},
		{"Forwarded: quoted IPv4 with port", Forwarded, map[string][]string{"Forwarded": {`for="192.0.2.60:8080";proto=HTTPS;by=203.0.113.43`}}, "192.0.2.60", true},
		{"Forwarded: parameters in any order and case", Forwarded, map[string][]string{"Forwarded": {`PROTO=https;host=example.com;FOR=192.0.2.60`}}, "192.0.2.60", true},
		{"Forwarded: unknown ends the walk at the last trusted hop", Forwarded, map[string][]string{"Forwarded": {"for=1.2.3.4, for=unknown;proto=https, for=10.0.0.7"}}, "10.0.0.7", true},
		{"Forwarded: obfuscated ends the walk", Forwarded, map[string][]string{"Forwarded": {`for=1.2.3.4, for="_hidden:_port"`}}, "10.0.0.2", false},
		{"Forwarded: an element without for= ends the walk", Forwarded, map[string][]string{"Forwarded": {"for=1.2.3.4, proto=https"}}, "10.0.0.2", true},
		{"Forwarded: a broken line ends the walk", Forwarded, map[string][]string{"Forwarded": {`for=1.2.3.4;proto="https`, "for=10.0.0.8"}}, "10.0.0.8", false},
		{"Forwarded: a broken line swallows what follows it", Forwarded, map[string][]string{"Forwarded": {`for="1.2.3.4, for=9.9.9.9;proto=https`}}, "10.0.0.2", false},
		{"Forwarded: a broken line left of the client does not matter", Forwarded, map[string][]string{"Forwarded": {`for="1.2.3.4`, "for=9.9.9.9;proto=https"}}, "9.9.9.9", true},
		{"Forwarded: X-Forwarded-* ignored", Forwarded, map[string][]string{"X-Forwarded-For": {"9.9.9.9"}, "X-Forwarded-Proto": {"https"}}, "10.0.0.2", false},
		{"X-Forwarded-For: Forwarded ignored", XForwardedFor, map[string][]string{"Forwarded": {"for=9.9.9.9;proto=https"}}, "10.0.0.2", false},
		{"X-Real-IP: the address", XRealIP, map[string][]string{"X-Real-IP": {" 198.51.100.17 "}, "X-Forwarded-Proto": {"https"}}, "198.51.100.17", true},
		{"X-Real-IP: IPv6", XRealIP, map[string][]string{"X-Real-IP": {"2001:db8::17"}}, "2001:db8::17", false},
		{"X-Real-IP: two lines are not believed", XRealIP, map[string][]string{"X-Real-IP": {"198.51.100.17", "9.9.9.9"}}, "10.0.0.2", false},
		{"X-Real-IP: a list is not believed", XRealIP, map[string][]string{"X-Real-IP": {"198.51.100.17, 9.9.9.9"}}, "10.0.0.2", false},
		{"X-Real-IP: malformed", XRealIP, map[string][]string{"X-Real-IP": {"bogus"}}, "10.0.0.2", false},
		{"X-Real-IP: X-Forwarded-For ignored", XRealIP, map[string][]string{"X-Forwarded-For": {"9.9.9.9"}}, "10.0.0.2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(WithTrustedProxies("10.0.0.0/8"), WithForwardedHeader(tt.header))
			if err != nil {
				t.Fatal(err)
			}
			x := proxied(peer, tt.lines)
			if got := g.ClientIP(x); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
			if got := g.Secure(x); got != tt.wantSecure {
				t.Errorf("Secure = %v, want %v", got, tt.wantSecure)
			}
		})
	}
}

// TestSpoofedForwardingHeadersFromUntrustedPeer: whatever header a guard
// believes, a client that is not a trusted proxy changes neither its IP
// nor its scheme with any forwarding header.
func TestSpoofedForwardingHeadersFromUntrustedPeer(t *testing.T) {
	spoofed := map[string][]string{
		"X-Forwarded-For":   {"1.2.3.4", "9.9.9.9"},
		"X-Forwarded-Proto": {"https"},
		"Forwarded":         {"for=9.9.9.9;proto=https", `for="[2001:db8::9]";proto=https`},
		"X-Real-IP":         {"9.9.9.9"},
	}
	for _, h := range []ForwardedHeader{XForwardedFor, Forwarded, XRealIP} {
		for _, proxies := range [][]string{nil, {"10.0.0.0/8"}} {
			g, err := New(WithTrustedProxies(proxies...), WithForwardedHeader(h))
			if err != nil {
				t.Fatal(err)
			}
			x := proxied("198.51.100.1:5000", spoofed)
			if got := g.ClientIP(x); got != "198.51.100.1" {
				t.Errorf("%v, proxies %v: ClientIP = %q, want the peer", h, proxies, got)
			}
			if g.Secure(x) {
				t.Errorf("%v, proxies %v: Secure from a spoofed header", h, proxies)
			}
		}
	}
}

func TestWithForwardedHeaderRejectsUnknown(t *testing.T) {
	if _, err := New(WithForwardedHeader(ForwardedHeader(7))); err == nil {
		t.Error("an unknown forwarded header was accepted")
	}
	if s := ForwardedHeader(7).String(); s != "ForwardedHeader(7)" {
		t.Errorf("String = %q", s)
	}
}

// TestParseForwardedHostile is the hostile table for the RFC 7239 parser:
// the hops it yields (address, proto) and whether the line parsed.
// forwardedCases is the hostile table of Forwarded field lines, for
// TestParseForwardedHostile and the seeds of FuzzForwarded and
// FuzzClientIP.
var forwardedCases = []struct {
	name   string
	line   string
	want   []string // "addr proto" per element; "-" for no address
	wantOK bool
}{
	{"empty", "", nil, true},
	{"only commas and spaces", " , ,\t,", nil, true},
	{"RFC example", "for=192.0.2.43, for=198.51.100.17", []string{"192.0.2.43 ", "198.51.100.17 "}, true},
	{"RFC example with by and proto", "for=192.0.2.60;proto=http;by=203.0.113.43", []string{"192.0.2.60 http"}, true},
	{"quoted IPv6", `for="[2001:db8:cafe::17]:4711"`, []string{"2001:db8:cafe::17 "}, true},
	{"quoted IPv6, no port", `for="[2001:db8::1]"`, []string{"2001:db8::1 "}, true},
	{"IPv4-mapped IPv6 is unmapped", `for="[::ffff:192.0.2.1]"`, []string{"192.0.2.1 "}, true},
	{"unquoted IPv6 is a syntax error", "for=[2001:db8::1]", nil, false},
	{"unquoted port is a syntax error", "for=192.0.2.1:80", nil, false},
	{"bare IPv6 in quotes is no node", `for="2001:db8::1"`, []string{"- "}, true},
	{"IPv6 without closing bracket", `for="[2001:db8::1"`, []string{"- "}, true},
	{"IPv4 in brackets", `for="[192.0.2.1]"`, []string{"- "}, true},
	{"junk after bracket", `for="[2001:db8::1]x"`, []string{"- "}, true},
	{"zoned IPv6", `for="[fe80::1%25eth0]"`, []string{"- "}, true},
	{"port too long", `for="192.0.2.1:123456"`, []string{"- "}, true},
	{"port not digits", `for="192.0.2.1:8o"`, []string{"- "}, true},
	{"empty port", `for="192.0.2.1:"`, []string{"- "}, true},
	{"obfuscated port", `for="192.0.2.1:_p0rt"`, []string{"192.0.2.1 "}, true},
	{"bad obfuscated port", `for="192.0.2.1:_p/rt"`, []string{"- "}, true},
	{"unknown", "for=unknown", []string{"- "}, true},
	{"UNKNOWN", "for=UNKNOWN", []string{"- "}, true},
	{"obfuscated node", "for=_hidden, for=_SEVKISEK", []string{"- ", "- "}, true},
	{"leading zeros are no IPv4", "for=192.000.2.1", []string{"- "}, true},
	{"empty quoted value", `for=""`, []string{"- "}, true},
	{"escaped quote inside", `for="1.2.3.4\"";proto=https`, []string{"- https"}, true},
	{"escapes are undone", `for="\1\9\2.0.2.1";proto=https`, []string{"192.0.2.1 https"}, true},
	{"comma inside quotes", `for="1.2.3.4, for=9.9.9.9"`, []string{"- "}, true},
	{"unterminated quote", `for="1.2.3.4, for=9.9.9.9`, nil, false},
	{"backslash at the end", `for="1.2.3.4\`, nil, false},
	{"control character in quotes", "for=\"1.2.3.4\x01\"", nil, false},
	{"DEL in quotes", "for=\"1.2.3.4\x7f\"", nil, false},
	{"tab in quotes is allowed", "for=\"\t\"", []string{"- "}, true},
	{"escaped control character", "for=\"\\\x01\"", nil, false},
	{"duplicate for", "for=1.2.3.4;for=9.9.9.9", nil, false},
	{"duplicate proto in any case", "for=1.2.3.4;proto=http;PROTO=https", nil, false},
	{"duplicate by", "for=1.2.3.4;by=a;by=b", nil, false},
	{"duplicates in separate elements are fine", "for=1.2.3.4;proto=http, for=9.9.9.9;proto=https", []string{"1.2.3.4 http", "9.9.9.9 https"}, true},
	{"unknown parameters ignored", "for=1.2.3.4;secret=x;x-y=\"z\"", []string{"1.2.3.4 "}, true},
	{"empty pairs", ";;for=1.2.3.4;;proto=https;", []string{"1.2.3.4 https"}, true},
	{"spaces around semicolons tolerated", "for=1.2.3.4 ; proto=https", []string{"1.2.3.4 https"}, true},
	{"space before equals", "for =1.2.3.4", nil, false},
	{"space after equals", "for= 1.2.3.4", nil, false},
	{"missing value", "for=;proto=https", nil, false},
	{"missing equals", "for", nil, false},
	{"name with a separator", "f/r=1.2.3.4", nil, false},
	{"two values", "for=1.2.3.4 9.9.9.9", nil, false},
	{"junk after a quoted value", `for="1.2.3.4"x`, nil, false},
	{"element without for", "proto=https", []string{"- https"}, true},
	{"syntax error after good elements", "for=1.2.3.4, for=9.9.9.9;;=", []string{"1.2.3.4 "}, false},
	{"NUL", "for=1.2.3.4\x00", nil, false},
	{"non-ASCII in token", "for=1.2.3.4ä", nil, false},
	{"non-ASCII in quotes", "for=\"ä\"", []string{"- "}, true},
}

func TestParseForwardedHostile(t *testing.T) {
	for _, tt := range forwardedCases {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			ok := parseForwarded(tt.line, func(h hop) {
				a := "-"
				if h.addr.IsValid() {
					a = h.addr.String()
				}
				got = append(got, a+" "+h.proto)
			})
			if ok != tt.wantOK || !slices.Equal(got, tt.want) {
				t.Errorf("parseForwarded(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// xffCases is the hostile table of X-Forwarded-For field lines, for
// TestParseXFFHostile and the seeds of FuzzForwarded and FuzzClientIP.
var xffCases = []struct {
	line string
	want []string // one per entry; "-" for no address
}{
	{"", nil},
	{" ,\t, ", nil},
	{"192.0.2.1", []string{"192.0.2.1"}},
	{" 192.0.2.1 ,\t2001:db8::1 ", []string{"192.0.2.1", "2001:db8::1"}},
	{"192.0.2.1:80, [2001:db8::1]:443, [2001:db8::2]", []string{"192.0.2.1", "2001:db8::1", "2001:db8::2"}},
	{"::ffff:192.0.2.1", []string{"192.0.2.1"}},
	{"unknown, _hidden, bogus", []string{"-", "-", "-"}},
	{"192.0.2.1 192.0.2.2", []string{"-"}},
	{"192.000.2.1", []string{"-"}},
	{"fe80::1%eth0, [fe80::1%eth0]:80", []string{"-", "-"}},
	{"[192.0.2.1]", []string{"-"}},
	{"[2001:db8::1", []string{"-"}},
	{`"192.0.2.1"`, []string{"-"}},
	{"192.0.2.1\x00", []string{"-"}},
	{"for=192.0.2.1", []string{"-"}},
}

// TestParseXFFHostile parses each X-Forwarded-For line of the hostile table.
func TestParseXFFHostile(t *testing.T) {
	for _, tt := range xffCases {
		var got []string
		parseXFF(tt.line, func(h hop) {
			a := "-"
			if h.addr.IsValid() {
				a = h.addr.String()
			}
			got = append(got, a)
		})
		if !slices.Equal(got, tt.want) {
			t.Errorf("parseXFF(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

// FuzzClientIP feeds arbitrary peer addresses and forwarding headers to the
// client-IP and scheme logic under every header choice: it never panics,
// and what it returns is empty (an unparseable peer) or an address.
func FuzzClientIP(f *testing.F) {
	for _, seed := range [][3]string{
		{"10.0.0.2:5000", "203.0.113.9, 198.51.100.7", "https"},
		{"[2001:db8::1]:443", "::1", "http, https"},
		{"pipe", ",,,", ""},
		{"10.0.0.2", "1.2.3.4,bogus,5.6.7.8", "HTTPS"},
		{"10.0.0.2:1", `for="[::1]:80";proto=https, for=_x`, `for="1.2.3.4`},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	for _, tt := range forwardedCases {
		f.Add("10.0.0.2:5000", tt.line, "for=192.0.2.1;proto=https")
	}
	for _, tt := range xffCases {
		f.Add("10.0.0.2:5000", tt.line, "192.0.2.1")
	}
	var guards []*Guard
	for _, h := range []ForwardedHeader{XForwardedFor, Forwarded, XRealIP} {
		g, err := New(WithTrustedProxies("10.0.0.0/8", "::1"), WithForwardedHeader(h))
		if err != nil {
			f.Fatal(err)
		}
		guards = append(guards, g)
	}
	f.Fuzz(func(t *testing.T, remote, line1, line2 string) {
		lines := []string{line1, line2}
		x := proxied(remote, map[string][]string{"X-Forwarded-For": lines, "X-Forwarded-Proto": lines, "Forwarded": lines, "X-Real-IP": lines})
		x.R.RemoteAddr = remote
		for _, g := range guards {
			if ip := g.ClientIP(x); ip != "" {
				if _, err := netip.ParseAddr(ip); err != nil {
					t.Fatalf("%v: ClientIP returned %q, not an address", g.forwardedHeader, ip)
				}
			}
			_ = g.Secure(x)
		}
	})
}

// FuzzForwarded checks what makes the forwarding headers safe to believe:
// whatever a client writes into a Forwarded or X-Forwarded-For header, a
// trusted proxy that adds its own field line has the last word, and one
// that appends to the client's line gets its word or, if the client's
// text swallows it (an open quote), none: the client never names an
// address of its choosing. Seeded with the hostile table.
func FuzzForwarded(f *testing.F) {
	for _, seed := range []string{
		"", "for=192.0.2.43, for=198.51.100.17", `for="[2001:db8:cafe::17]:4711"`, `for="1.2.3.4`,
		`for="1.2.3.4\`, "for=1.2.3.4;for=9.9.9.9", "for=unknown", "for=_hidden", `for="\1.2.3.4"`,
		"for=1.2.3.4;proto", ";;", ",,", "for=1.2.3.4;x=", "1.2.3.4, bogus", "for=\"\x01\"",
	} {
		f.Add(seed)
	}
	for _, tt := range forwardedCases {
		f.Add(tt.line)
	}
	for _, tt := range xffCases {
		f.Add(tt.line)
	}
	const proxyAdds = "198.51.100.77"
	gF := Must(New(WithTrustedProxies("10.0.0.0/8"), WithForwardedHeader(Forwarded)))
	gX := Must(New(WithTrustedProxies("10.0.0.0/8")))
	f.Fuzz(func(t *testing.T, client string) {
		if strings.ContainsAny(client, "\r\n") {
			return // cannot be sent in one field line
		}
		hops := 0
		if parseForwarded(client, func(h hop) {
			hops++
			if h.addr.IsValid() && (h.addr.Zone() != "" || h.addr.Is4In6()) {
				t.Fatalf("hop %v is zoned or mapped", h.addr)
			}
		}) && hops > strings.Count(client, ",")+1 {
			t.Fatalf("%d hops from %d list elements", hops, strings.Count(client, ",")+1)
		}

		x := proxied("10.0.0.1:5000", map[string][]string{"Forwarded": {client, "for=" + proxyAdds + ";proto=https"}})
		if ip := gF.ClientIP(x); ip != proxyAdds || !gF.Secure(x) {
			t.Fatalf("Forwarded %q then the proxy's line: ClientIP %q, Secure %v", client, ip, gF.Secure(x))
		}
		x = proxied("10.0.0.1:5000", map[string][]string{"Forwarded": {client + ", for=" + proxyAdds}})
		if ip := gF.ClientIP(x); ip != proxyAdds && ip != "10.0.0.1" {
			t.Fatalf("Forwarded %q with the proxy's element appended: ClientIP %q", client, ip)
		}
		x = proxied("10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {client, proxyAdds}})
		if ip := gX.ClientIP(x); ip != proxyAdds {
			t.Fatalf("X-Forwarded-For %q then the proxy's line: ClientIP %q", client, ip)
		}
		x = proxied("10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {client + ", " + proxyAdds}})
		if ip := gX.ClientIP(x); ip != proxyAdds {
			t.Fatalf("X-Forwarded-For %q with the proxy's entry appended: ClientIP %q", client, ip)
		}
	})
}
