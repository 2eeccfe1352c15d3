package guard

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/authkit-go/authkit/core/port"
)

// ForwardedHeader names the one request header from which the guard reads
// what a trusted proxy reports about the client (see WithForwardedHeader).
type ForwardedHeader int

// The forwarding headers a Guard can believe.
const (
	// XForwardedFor reads the client address from the X-Forwarded-For list
	// and the scheme from X-Forwarded-Proto (its last entry: what the
	// nearest proxy saw).
	XForwardedFor ForwardedHeader = iota
	// Forwarded reads RFC 7239's Forwarded header: the for= and proto= of
	// the element that names the client.
	Forwarded
	// XRealIP reads the single address of X-Real-IP (nginx's convention)
	// and the scheme from X-Forwarded-Proto, which the proxy must then set
	// as well (it only decides whether HSTS limited to TLS is sent).
	XRealIP
)

// String returns the header's name.
func (h ForwardedHeader) String() string {
	switch h {
	case XForwardedFor:
		return "X-Forwarded-For"
	case Forwarded:
		return "Forwarded"
	case XRealIP:
		return "X-Real-IP"
	}
	return fmt.Sprintf("ForwardedHeader(%d)", int(h))
}

// WithForwardedHeader chooses the header that trusted proxies (see
// WithTrustedProxies) report the client in. Exactly one is believed, never
// several: a proxy overwrites or appends to the header it sets and passes
// the others through as the client sent them.
//
// SECURITY WARNING: choose the header your proxy sets. Any other one
// reaches the application as the client wrote it, so believing it would let
// every client pick its own IP address and scheme. Has no effect without
// WithTrustedProxies. Default: XForwardedFor.
func WithForwardedHeader(h ForwardedHeader) Option {
	return func(c *config) error {
		switch h {
		case XForwardedFor, Forwarded, XRealIP:
			c.forwardedHeader = h
			return nil
		}
		return invalidConfig("unknown forwarded header %d", int(h))
	}
}

// WithTrustedProxies names the proxies (as CIDR prefixes or single
// addresses) whose forwarding headers are believed: X-Forwarded-For and
// X-Forwarded-Proto unless WithForwardedHeader chooses another. SECURITY
// WARNING: list only proxies you run; a client that can reach the
// application directly from a listed address can forge its IP and scheme.
// Default: none — forwarding headers are ignored.
func WithTrustedProxies(cidrs ...string) Option {
	return func(c *config) error {
		for _, s := range cidrs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					return invalidConfig("trusted proxy %q is neither a CIDR prefix nor an address", s)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			c.trustedProxies = append(c.trustedProxies, p.Masked())
		}
		return nil
	}
}

// ClientIP returns the client's address: the connection's peer, or, when
// the peer is a trusted proxy, the address the forwarding header reports.
// With X-Forwarded-For and Forwarded that is the right-most entry that is
// not itself a trusted proxy, reading every field line of the header as one
// list (RFC 9110 §5.3); an entry that names no address (malformed,
// "unknown", an obfuscated "_name") ends what can be believed, and the last
// trusted address is returned. X-Real-IP must be one address on one line.
// It returns "" when the peer address cannot be parsed.
func (g *Guard) ClientIP(x Exchange) string {
	a := g.clientAddr(x)
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// clientAddr is ClientIP as an address, invalid when the peer address
// cannot be parsed.
func (g *Guard) clientAddr(x Exchange) netip.Addr {
	peer, ok := peerAddr(x)
	if !ok || !g.trusted(peer) {
		return peer
	}
	return g.forwarded(x, peer).addr
}

// Secure reports whether the request arrived over TLS, directly or through
// a trusted proxy that says so: in X-Forwarded-Proto (its last entry), or
// with Forwarded in the proto= of the element ClientIP takes the client
// from.
func (g *Guard) Secure(x Exchange) bool {
	if x.TLS() {
		return true
	}
	if !g.fromTrustedProxy(x) {
		return false
	}
	if g.forwardedHeader == Forwarded {
		peer, _ := peerAddr(x)
		return strings.EqualFold(g.forwarded(x, peer).proto, "https")
	}
	return strings.EqualFold(lastListValue(x.HeaderValues("X-Forwarded-Proto")), "https")
}

// hop is one entry of a forwarding header: the address a proxy reports
// (invalid when the entry names none) and, in Forwarded, the protocol.
type hop struct {
	addr  netip.Addr
	proto string
}

// forwarded returns the hop the configured header names as the client of
// a request whose peer is the trusted proxy peer: its address is always
// valid (peer when nothing further can be believed).
func (g *Guard) forwarded(x Exchange, peer netip.Addr) hop {
	if g.forwardedHeader == XRealIP {
		lines := x.HeaderValues("X-Real-IP")
		if len(lines) == 1 {
			if a, ok := parseHopAddr(trimOWS(lines[0])); ok {
				return hop{addr: a}
			}
		}
		return hop{addr: peer}
	}
	w := hopWalk{g: g}
	if g.forwardedHeader == Forwarded {
		for _, line := range x.HeaderValues("Forwarded") {
			if !parseForwarded(line, w.add) {
				w.add(hop{}) // nothing in or left of a broken line is believed
			}
		}
	} else {
		for _, line := range x.HeaderValues("X-Forwarded-For") {
			parseXFF(line, w.add)
		}
	}
	return w.result(peer)
}

// hopWalk finds, reading entries left to right, what a walk from the right
// finds: the right-most entry that is not a trusted proxy (the client, or,
// when it names no address, the point where belief ends), and the
// left-most trusted entry to its right (the last address believed).
type hopWalk struct {
	g          *Guard
	cand       hop
	hasCand    bool
	trusted    hop // the first trusted hop after cand
	hasTrusted bool
}

func (w *hopWalk) add(h hop) {
	if h.addr.IsValid() && w.g.trusted(h.addr) {
		if !w.hasTrusted {
			w.trusted, w.hasTrusted = h, true
		}
		return
	}
	w.cand, w.hasCand, w.hasTrusted = h, true, false
}

func (w *hopWalk) result(peer netip.Addr) hop {
	switch {
	case w.hasCand && w.cand.addr.IsValid():
		return w.cand
	case w.hasCand && w.hasTrusted:
		return hop{addr: w.trusted.addr, proto: w.cand.proto}
	case w.hasCand:
		return hop{addr: peer, proto: w.cand.proto}
	case w.hasTrusted:
		return w.trusted // every entry is a trusted proxy: the left-most
	}
	return hop{addr: peer}
}

// parseXFF calls yield for each entry of one X-Forwarded-For field line,
// left to right, skipping empty list elements (RFC 9110 §5.6.1).
func parseXFF(line string, yield func(hop)) {
	for len(line) > 0 {
		elem, rest, _ := strings.Cut(line, ",")
		line = rest
		if elem = trimOWS(elem); elem == "" {
			continue
		}
		a, _ := parseHopAddr(elem)
		yield(hop{addr: a})
	}
}

// parseHopAddr reads an X-Forwarded-For or X-Real-IP entry: an address,
// optionally with a port ("192.0.2.1:80", "[2001:db8::1]:80"), or an
// IPv6 address in brackets. Zoned addresses are refused.
func parseHopAddr(s string) (netip.Addr, bool) {
	var a netip.Addr
	if v, err := netip.ParseAddr(s); err == nil {
		a = v
	} else if ap, err := netip.ParseAddrPort(s); err == nil {
		a = ap.Addr()
	} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		v, err := netip.ParseAddr(s[1 : len(s)-1])
		if err != nil || !v.Is6() {
			return netip.Addr{}, false
		}
		a = v
	} else {
		return netip.Addr{}, false
	}
	if a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseForwarded calls yield for each element of one Forwarded field line
// (RFC 7239 §4), left to right. It returns false at the first syntax error;
// the elements before it have been yielded. Parameter names are
// case-insensitive; a parameter given twice in one element is an error;
// parameters other than for= and proto= are checked for syntax only.
func parseForwarded(line string, yield func(hop)) bool {
	p := fwdParser{s: line}
	for {
		p.skipOWS()
		if p.done() {
			return true
		}
		if p.peek() == ',' { // an empty list element
			p.i++
			continue
		}
		h, ok := p.element()
		if !ok {
			return false
		}
		yield(h)
		p.skipOWS()
		if p.done() {
			return true
		}
		if p.peek() != ',' {
			return false
		}
		p.i++
	}
}

type fwdParser struct {
	s string
	i int
}

func (p *fwdParser) done() bool { return p.i >= len(p.s) }
func (p *fwdParser) peek() byte { return p.s[p.i] }

func (p *fwdParser) skipOWS() {
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t') {
		p.i++
	}
}

// element reads forwarded-element = [ pair ] *( ";" [ pair ] ), stopping
// before the "," that ends it. Whitespace around ";" is tolerated.
func (p *fwdParser) element() (hop, bool) {
	var h hop
	var seen uint8 // bit per known parameter
	for {
		p.skipOWS()
		if p.done() || p.peek() == ',' {
			return h, true
		}
		if p.peek() == ';' {
			p.i++
			continue
		}
		name := p.token()
		if name == "" || p.done() || p.peek() != '=' {
			return hop{}, false
		}
		p.i++
		value, ok := p.value()
		if !ok {
			return hop{}, false
		}
		var bit uint8
		switch {
		case strings.EqualFold(name, "for"):
			bit = 1
			h.addr = parseNode(value)
		case strings.EqualFold(name, "proto"):
			bit = 2
			h.proto = value
		case strings.EqualFold(name, "by"):
			bit = 4
		case strings.EqualFold(name, "host"):
			bit = 8
		}
		if seen&bit != 0 {
			return hop{}, false
		}
		seen |= bit
		p.skipOWS()
		if !p.done() && p.peek() != ';' && p.peek() != ',' {
			return hop{}, false
		}
	}
}

// token reads 1*tchar (RFC 9110 §5.6.2), or returns "".
func (p *fwdParser) token() string {
	start := p.i
	for !p.done() && isTChar(p.peek()) {
		p.i++
	}
	return p.s[start:p.i]
}

// value reads token / quoted-string and returns it unquoted.
func (p *fwdParser) value() (string, bool) {
	if p.done() || p.peek() != '"' {
		v := p.token()
		return v, v != ""
	}
	p.i++
	start := p.i
	escaped := false
	for !p.done() {
		c := p.peek()
		switch {
		case c == '"':
			v := p.s[start:p.i]
			p.i++
			if escaped {
				v = unescapeQuoted(v)
			}
			return v, true
		case c == '\\':
			p.i++
			if p.done() || !isQuotedPairChar(p.peek()) {
				return "", false
			}
			escaped = true
		case c != '\t' && (c < 0x20 || c == 0x7f):
			return "", false
		}
		p.i++
	}
	return "", false // unterminated
}

func unescapeQuoted(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// isQuotedPairChar: HTAB / SP / VCHAR / obs-text.
func isQuotedPairChar(c byte) bool { return c == '\t' || c >= 0x20 && c != 0x7f }

func isTChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// parseNode reads RFC 7239's node = nodename [ ":" node-port ]: an IPv4
// address, or an IPv6 address in brackets, optionally with a port. It
// returns an invalid address for "unknown", an obfuscated identifier
// ("_hidden") and anything malformed: all of them end the walk.
func parseNode(v string) netip.Addr {
	host, port := v, ""
	if strings.HasPrefix(v, "[") {
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return netip.Addr{}
		}
		host, port = v[1:end], v[end+1:]
		if port != "" {
			if port[0] != ':' {
				return netip.Addr{}
			}
			port = port[1:]
			if !validNodePort(port) {
				return netip.Addr{}
			}
		}
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return netip.Addr{}
		}
		return a.Unmap()
	}
	if h, p, found := strings.Cut(v, ":"); found {
		if !validNodePort(p) {
			return netip.Addr{}
		}
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() {
		return netip.Addr{}
	}
	return a
}

// validNodePort: port = 1*5DIGIT, or obfport = "_" 1*( ALPHA / DIGIT /
// "." / "_" / "-" ).
func validNodePort(p string) bool {
	if p == "" || len(p) > 5 && p[0] != '_' {
		return false
	}
	if p[0] == '_' {
		if len(p) == 1 {
			return false
		}
		for i := 1; i < len(p); i++ {
			c := p[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

func (g *Guard) fromTrustedProxy(x Exchange) bool {
	if len(g.trustedProxies) == 0 {
		return false
	}
	a, ok := peerAddr(x)
	return ok && g.trusted(a)
}

func (g *Guard) trusted(a netip.Addr) bool {
	for _, p := range g.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr returns the connection's peer address, as parseHost reads
// x.RemoteAddr(); from RemoteAddrPort, without the string, when x has it.
func peerAddr(x Exchange) (netip.Addr, bool) {
	if ax, ok := x.(port.AddrPortExchange); ok {
		if ap, ok := ax.RemoteAddrPort(); ok {
			return hostOf(ap)
		}
	}
	return parseHost(x.RemoteAddr())
}

// hostOf is parseHost for an address already parsed: unmapped, and
// invalid (false) when ap holds none.
func hostOf(ap netip.AddrPort) (netip.Addr, bool) {
	a := ap.Addr()
	if !a.IsValid() {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func parseHost(remote string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// lastListValue returns the last non-empty element of a list field given as
// its field lines.
func lastListValue(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		v := lines[i]
		for v != "" {
			j := strings.LastIndexByte(v, ',')
			if e := trimOWS(v[j+1:]); e != "" {
				return e
			}
			v = v[:max(j, 0)]
		}
	}
	return ""
}

// trimOWS trims RFC 9110 optional whitespace (SP, HTAB).
func trimOWS(s string) string { return strings.Trim(s, " \t") }
