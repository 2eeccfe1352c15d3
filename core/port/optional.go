package port

import (
	"net"
	"net/netip"
)

// An Exchange may also implement these interfaces, when its framework can
// do what they offer more cheaply than through Exchange itself; the guard
// finds them with a type assertion and falls back on Exchange otherwise.
// They are optional so that the port stays what every adapter has to
// implement: none changes what the guard decides, only what it costs.

// AddrPortExchange is an Exchange that hands out the peer's address as a
// netip.AddrPort, for a framework that keeps it as a net.Addr (fasthttp's
// *net.TCPAddr: its AddrPort method), so the guard neither formats it as a
// string (RemoteAddr) nor parses it back.
type AddrPortExchange interface {
	Exchange
	// RemoteAddrPort returns the address RemoteAddr formats, and false
	// when the peer is not an IP address (a Unix socket, a pipe); the
	// guard then reads RemoteAddr.
	RemoteAddrPort() (netip.AddrPort, bool)
}

// TCPAddrPort returns a, a *net.TCPAddr, as RemoteAddrPort does: false
// for any other net.Addr and for the addresses whose String the guard
// would not parse back as they are (a zone, a port out of range), so that
// an adapter's RemoteAddrPort and RemoteAddr (a.String()) always agree.
func TCPAddrPort(a net.Addr) (netip.AddrPort, bool) {
	t, ok := a.(*net.TCPAddr)
	if !ok || t == nil || t.Zone != "" || t.Port < 0 || t.Port > 0xffff {
		return netip.AddrPort{}, false
	}
	return t.AddrPort(), true
}

// HeaderBytesExchange is an Exchange whose framework takes response
// header fields as bytes that it copies (fasthttp), so the guard sets its
// fields from names and values prepared once (headers.Policy.ApplyBytes)
// rather than converted and normalized on every request.
type HeaderBytesExchange interface {
	Exchange
	// SetHeaderBytes is SetHeader with name and value as bytes, checked
	// once when the guard prepared them: name is in canonical form
	// (http.CanonicalHeaderKey), which fasthttp's normalization leaves
	// unchanged too (no leading, trailing or doubled '-'; headers.WithHeader
	// refuses any other), and value holds no CR, LF or NUL. So the exchange
	// need not normalize or check them per request (a value with CR or LF
	// may still go through SetHeader, as defense in depth). The slices are
	// shared by every request: it copies them and never writes to them.
	SetHeaderBytes(name, value []byte)
}
