package port

import (
	"context"
	"net/http"
)

// HTTPExchange is the Exchange over net/http's request and response writer.
// The net/http, gin and echo adapters all use it, since those frameworks
// hand their handlers the standard types.
type HTTPExchange struct {
	W http.ResponseWriter
	R *http.Request
}

// Method implements Exchange.
func (x HTTPExchange) Method() string { return x.R.Method }

// Path implements Exchange.
func (x HTTPExchange) Path() string { return x.R.URL.Path }

// RawQuery implements Exchange.
func (x HTTPExchange) RawQuery() string { return x.R.URL.RawQuery }

// Host implements Exchange.
func (x HTTPExchange) Host() string { return x.R.Host }

// Header implements Exchange.
func (x HTTPExchange) Header(name string) string { return x.R.Header.Get(name) }

// HeaderValues implements Exchange.
func (x HTTPExchange) HeaderValues(name string) []string { return x.R.Header.Values(name) }

// Cookie implements Exchange: the value Request.Cookie gives, read without
// building a Cookie for every pair of the header (see cookieValue).
func (x HTTPExchange) Cookie(name string) (string, bool) { return requestCookie(x.R, name) }

// RemoteAddr implements Exchange.
func (x HTTPExchange) RemoteAddr() string { return x.R.RemoteAddr }

// TLS implements Exchange.
func (x HTTPExchange) TLS() bool { return x.R.TLS != nil }

// Context implements Exchange.
func (x HTTPExchange) Context() context.Context { return x.R.Context() }

// ResponseHeaderValue implements Exchange.
func (x HTTPExchange) ResponseHeaderValue(name string) string { return x.W.Header().Get(name) }

// SetHeader implements Exchange.
func (x HTTPExchange) SetHeader(name, value string) { x.W.Header().Set(name, value) }

// ResponseHeader returns the response header map, so the guard can set the
// security headers without an allocation per header. An Exchange over
// another server's response has no such map and need not have the method.
func (x HTTPExchange) ResponseHeader() http.Header { return x.W.Header() }

// SetCookie implements Exchange.
func (x HTTPExchange) SetCookie(c *http.Cookie) { http.SetCookie(x.W, c) }
