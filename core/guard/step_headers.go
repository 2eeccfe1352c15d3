package guard

import (
	"net/http"

	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/core/port"
)

// WithHeaders adjusts the security headers (see package headers for the
// options). Default: every header of package headers with its default value.
func WithHeaders(opts ...headers.Option) Option {
	return func(c *config) error {
		c.headerOpts = append(c.headerOpts, opts...)
		return nil
	}
}

// WithoutHeaders turns the security headers off entirely. Use it only when a
// proxy in front of the application sets them. Default: headers on.
func WithoutHeaders() Option {
	return func(c *config) error { c.noHeaders = true; return nil }
}

// headersStep sets the security headers first, so they are on every
// answer: denials, the framework's own 404 and 405, and whatever the
// handler writes. It puts the CSP nonce, if any, into the context.
type headersStep struct{ g *Guard }

func newHeadersStep(g *Guard, c *config) (step, error) {
	if c.noHeaders {
		return nil, nil
	}
	p, err := headers.New(c.headerOpts...)
	if err != nil {
		return nil, invalidConfig("%w", err)
	}
	g.headers = p
	return headersStep{g}, nil
}

func (s headersStep) before(x Exchange, st state) (state, *Denial) {
	var err error
	if hx, ok := x.(headerMap); ok {
		st.ctx, err = s.g.headers.ApplyHeader(st.ctx, hx.ResponseHeader(), s.g.Secure(x))
	} else if bx, ok := x.(port.HeaderBytesExchange); ok {
		st.ctx, err = s.g.headers.ApplyBytes(st.ctx, bx.SetHeaderBytes, s.g.Secure(x))
	} else {
		st.ctx, err = s.g.headers.Apply(st.ctx, x.SetHeader, s.g.Secure(x))
	}
	if err != nil { // crypto/rand failed: no nonce, no page
		return st, port.Deny(x, ProblemFor(err))
	}
	return st, nil
}

// headerMap is implemented by exchanges over net/http's response writer
// (port.HTTPExchange): the guard sets headers in the map directly, without
// an allocation per header.
type headerMap interface{ ResponseHeader() http.Header }
