package guard

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/authkit-go/authkit/core/headers"
)

// Guard runs authkit's protections for one request, in a fixed order:
//
//  1. security headers (package headers)
//
// Later protections (rate limit, origin check, session load, token
// authentication) take their places after it as they are configured; route
// rules (Authenticated, Role, Scope, MFA) run afterwards through Authorize.
//
// A Guard is immutable after New and safe for concurrent use.
type Guard struct {
	headers        *headers.Policy // nil when WithoutHeaders
	trustedProxies []netip.Prefix
}

type config struct {
	headerOpts     []headers.Option
	noHeaders      bool
	trustedProxies []netip.Prefix
}

// Option configures a Guard.
type Option func(*config) error

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

// WithTrustedProxies names the proxies (as CIDR prefixes or single
// addresses) whose X-Forwarded-For and X-Forwarded-Proto headers are
// believed. SECURITY WARNING: list only proxies you run; a client that can
// reach the application directly from a listed address can forge its IP and
// scheme. Default: none — forwarding headers are ignored.
func WithTrustedProxies(cidrs ...string) Option {
	return func(c *config) error {
		for _, s := range cidrs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					return fmt.Errorf("%w: trusted proxy %q is neither a CIDR prefix nor an address", ErrInvalidOption, s)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			c.trustedProxies = append(c.trustedProxies, p.Masked())
		}
		return nil
	}
}

// New builds a Guard from opts. With no options it applies the secure
// headers and nothing else.
func New(opts ...Option) (*Guard, error) {
	var c config
	for _, opt := range opts {
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	g := &Guard{trustedProxies: c.trustedProxies}
	if !c.noHeaders {
		p, err := headers.New(c.headerOpts...)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
		}
		g.headers = p
	}
	return g, nil
}

// Must returns g, or panics with err. Adapters' Middleware functions use it so
// that a misconfiguration stops the program at start-up, never per request.
func Must(g *Guard, err error) *Guard {
	if err != nil {
		panic("authkit: " + err.Error())
	}
	return g
}

// Before runs the protections in order. It returns the context the handler
// must run with (carrying the principal, session and CSP nonce), or a Denial
// that the adapter writes instead of calling the handler.
func (g *Guard) Before(x Exchange) (context.Context, *Denial) {
	ctx := x.Context()
	if g.headers != nil {
		var err error
		if ctx, err = g.headers.Apply(ctx, x.SetHeader, g.Secure(x)); err != nil {
			return ctx, deny(x, NewProblem(http.StatusInternalServerError, TypeInternal, ""), "")
		}
	}
	return ctx, nil
}

// Authorize checks the route rules against the request's principal, in
// order, and returns the first denial, or nil when every rule passes.
func Authorize(x Exchange, rules ...Rule) *Denial {
	p, ok := PrincipalFrom(x.Context())
	for _, r := range rules {
		if prob, challenge := r.check(p, ok); prob != nil {
			return deny(x, prob, challenge)
		}
	}
	return nil
}

// Secure reports whether the request arrived over TLS, directly or through a
// trusted proxy that says so in X-Forwarded-Proto.
func (g *Guard) Secure(x Exchange) bool {
	if x.TLS() {
		return true
	}
	return g.fromTrustedProxy(x) && strings.EqualFold(lastListValue(x.Header("X-Forwarded-Proto")), "https")
}

// ClientIP returns the client's address: the connection's peer, or, when the
// peer is a trusted proxy, the right-most X-Forwarded-For entry that is not
// itself a trusted proxy.
func (g *Guard) ClientIP(x Exchange) string {
	peer, ok := parseHost(x.RemoteAddr())
	if !ok {
		return ""
	}
	if !g.trusted(peer) {
		return peer.String()
	}
	xff := x.Header("X-Forwarded-For")
	for xff != "" {
		i := strings.LastIndexByte(xff, ',')
		hop := strings.TrimSpace(xff[i+1:])
		xff = xff[:max(i, 0)]
		a, err := netip.ParseAddr(hop)
		if err != nil {
			break // a malformed hop ends what we can believe
		}
		if !g.trusted(a.Unmap()) {
			return a.Unmap().String()
		}
		peer = a.Unmap()
	}
	return peer.String()
}

func (g *Guard) fromTrustedProxy(x Exchange) bool {
	if len(g.trustedProxies) == 0 {
		return false
	}
	a, ok := parseHost(x.RemoteAddr())
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

func parseHost(remote string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

func lastListValue(v string) string {
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}
