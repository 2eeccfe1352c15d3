package port

import (
	"context"
	"net/http"
)

// Exchange is the neutral view of one HTTP request and its response that an
// adapter gives the Guard. It is the whole port: when a feature needs
// something more from the request, Exchange grows and all four adapters
// implement it.
//
// Values returned by an Exchange are valid only during the request (fiber
// reuses its buffers); the Guard copies what it keeps.
type Exchange interface {
	// Method returns the request method, e.g. "GET".
	Method() string
	// Path returns the request path, without the query string.
	Path() string
	// RawQuery returns the request's query string as sent: undecoded,
	// without the "?", "" when there is none.
	RawQuery() string
	// Host returns the Host header (or :authority).
	Host() string
	// Header returns the first value of the request header name, or "".
	Header(name string) string
	// HeaderValues returns every field line of the request header name,
	// in the order received, or nil when there is none. RFC 9110 §5.3:
	// several lines of one field are one comma-separated list, and a
	// singleton field (Authorization) must not appear twice; Header alone
	// cannot tell either.
	HeaderValues(name string) []string
	// Cookie returns the value of the request cookie name.
	Cookie(name string) (string, bool)
	// RemoteAddr returns the peer's address as "ip:port" or "ip", as seen
	// on the connection. Forwarding headers are never consulted here.
	RemoteAddr() string
	// TLS reports whether the request arrived over TLS on this connection.
	TLS() bool
	// Context returns the request's context.
	Context() context.Context

	// ResponseHeaderValue returns the first value of the response header
	// name as it stands, or "".
	ResponseHeaderValue(name string) string
	// SetHeader sets a response header, replacing any value it had.
	SetHeader(name, value string)
	// SetCookie adds a Set-Cookie header to the response.
	SetCookie(c *http.Cookie)
}
