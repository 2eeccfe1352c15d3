package guard

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
)

// Guard runs authkit's protections for one request, in a fixed order, each
// only when configured:
//
//  1. security headers (package headers; on by default)
//  2. origin check against CSRF, for unsafe methods on every request a
//     bearer token does not authenticate (on whenever a cookie can
//     authenticate: sessions or a token cookie)
//  3. session load from the session cookie (WithSessions)
//  4. bearer token authentication (WithTokens); a token's principal
//     replaces a session's
//
// Route rules (Authenticated, Role, Scope, MFA) run afterwards, on the
// route, through Authorize. After the handler, Commit saves the session.
//
// A Guard is immutable after New and safe for concurrent use.
type Guard struct {
	headers         *headers.Policy // nil when WithoutHeaders
	trustedProxies  []netip.Prefix
	forwardedHeader ForwardedHeader
	origin          *originCheck     // nil when no cookie authenticates or WithoutCSRFProtection
	sessions        *session.Manager // nil without WithSessions
	tokens          TokenAuthenticator
	tokenCookie     string
	audit           audit.Sink
}

type config struct {
	headerOpts      []headers.Option
	noHeaders       bool
	trustedProxies  []netip.Prefix
	forwardedHeader ForwardedHeader
	sessions        *session.Manager
	trustedOrigins  []string
	csrfExempt      []string
	noCSRF          bool
	tokens          TokenAuthenticator
	tokenCookie     string
	audit           audit.Sink
}

// WithSessions loads the request's session from its cookie before the
// handler and saves it after (see SessionFrom, StartSession, SignIn,
// SignOut). A session bound to a user authenticates the request. Turning
// sessions on also turns on the origin check for unsafe requests that no
// bearer token authenticates. Given together with WithTokens(issuer), the
// issuer and m are linked (token.Issuer.LinkSessions,
// session.Manager.LinkTokens): a session signed in with a Principal.Family
// and that refresh family end together. Default: no sessions.
func WithSessions(m *session.Manager) Option {
	return func(c *config) error {
		if m == nil {
			return fmt.Errorf("%w: nil session manager", ErrInvalidOption)
		}
		c.sessions = m
		return nil
	}
}

// WithTrustedOrigins lets unsafe cookie-authenticated requests from these
// origins ("https://app.example.com", scheme://host[:port]) through the
// origin check. Default: none; only same-origin requests pass.
func WithTrustedOrigins(origins ...string) Option {
	return func(c *config) error { c.trustedOrigins = append(c.trustedOrigins, origins...); return nil }
}

// WithCSRFExemptPaths exempts requests matching these net/http ServeMux
// patterns ("POST /webhooks/", "/api/callback") from the origin check.
// SECURITY WARNING: an exempt path can be driven cross-site with the user's
// cookies; exempt only endpoints that authenticate otherwise (signatures).
// Build with Go 1.25.1 or later: in Go 1.25.0 a bypass pattern could
// exempt more than it names (CVE-2025-47910). Default: none.
func WithCSRFExemptPaths(patterns ...string) Option {
	return func(c *config) error { c.csrfExempt = append(c.csrfExempt, patterns...); return nil }
}

// WithoutCSRFProtection turns the origin check off. SECURITY WARNING: with
// cookie authentication and no other CSRF defence, any site can make the
// user's browser send state-changing requests. Default: on whenever a cookie
// authenticates requests.
func WithoutCSRFProtection() Option {
	return func(c *config) error { c.noCSRF = true; return nil }
}

// WithAudit sends the guard's events (cross-origin rejections) to sink.
// Default: audit.Default(), a log/slog sink.
func WithAudit(sink audit.Sink) Option {
	return func(c *config) error {
		if sink == nil {
			return fmt.Errorf("%w: nil audit sink", ErrInvalidOption)
		}
		c.audit = sink
		return nil
	}
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
	if c.tokenCookie != "" && c.tokens == nil {
		return nil, fmt.Errorf("%w: WithTokenCookie needs WithTokens", ErrInvalidOption)
	}
	g := &Guard{trustedProxies: c.trustedProxies, forwardedHeader: c.forwardedHeader, sessions: c.sessions, tokens: c.tokens, tokenCookie: c.tokenCookie, audit: c.audit}
	if g.audit == nil {
		g.audit = audit.Default()
	}
	if c.sessions != nil && c.tokens != nil {
		linkTokensAndSessions(c.tokens, c.sessions)
	}
	if g.cookieAuth() && !c.noCSRF {
		o, err := newOriginCheck(c.trustedOrigins, c.csrfExempt)
		if err != nil {
			return nil, fmt.Errorf("%w: origin check: %w", ErrInvalidOption, err)
		}
		g.origin = o
	}
	if !c.noHeaders {
		p, err := headers.New(c.headerOpts...)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
		}
		g.headers = p
	}
	return g, nil
}

// linkTokensAndSessions links an issuer (token.Issuer) and the session
// manager both ways, so that a login's session and refresh family end
// together: revoking the family destroys the sessions linked to it, and
// destroying a linked session revokes its family. Authenticators that
// cannot revoke (a bare Verifier) are left alone.
func linkTokensAndSessions(a TokenAuthenticator, m *session.Manager) {
	if l, ok := a.(interface{ LinkSessions(token.SessionLink) }); ok {
		l.LinkSessions(m)
	}
	if t, ok := a.(session.TokenLink); ok {
		m.LinkTokens(t)
	}
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
		if hx, ok := x.(headerMap); ok {
			ctx, err = g.headers.ApplyHeader(ctx, hx.ResponseHeader(), g.Secure(x))
		} else {
			ctx, err = g.headers.Apply(ctx, x.SetHeader, g.Secure(x))
		}
		if err != nil {
			return ctx, deny(x, NewProblem(http.StatusInternalServerError, TypeInternal, ""), "")
		}
	}
	if g.origin != nil && g.needsOriginCheck(x) && !g.origin.allowed(x) {
		g.audit.Emit(ctx, audit.Event{Kind: audit.CrossOriginRejected, IP: g.ClientIP(x), UserAgent: clip(x.Header("User-Agent"), 256), Reason: "cross_origin"})
		return ctx, deny(x, NewProblem(http.StatusForbidden, TypeCrossOrigin, "cross-origin request rejected"), "")
	}
	if g.sessions != nil {
		st := &requestState{g: g, x: x}
		ctx = context.WithValue(ctx, stateKey{}, st)
		ctx = g.loadSession(ctx, x, st)
	}
	if g.tokens != nil {
		return g.authenticateToken(ctx, x)
	}
	return ctx, nil
}

// RestoreHeaders puts the security headers back on a response that the
// framework reset after the handler ran (fasthttp's NotModified and Error
// wipe every header). The fiber adapter calls it after the handler chain;
// frameworks that write headers before the body never need it.
func (g *Guard) RestoreHeaders(ctx context.Context, x Exchange) {
	if g.headers != nil {
		g.headers.Restore(ctx, x.ResponseHeaderValue, x.SetHeader, g.Secure(x))
	}
}

// Stateful reports whether the adapter must call Commit: true when the
// guard keeps per-request state (sessions).
func (g *Guard) Stateful() bool { return g.sessions != nil }

// cookieAuth reports whether any cookie can authenticate a request.
func (g *Guard) cookieAuth() bool { return g.sessions != nil || g.tokenCookie != "" }

// needsOriginCheck reports whether x must pass the origin check: every
// request that a bearer token does not authenticate. That includes
// requests without a cookie yet, such as a sign-in: a cross-site form that
// logs the victim's browser into the attacker's account (login CSRF) carries
// no cookie, since SameSite=Lax keeps it off cross-site POSTs. Another
// Authorization scheme (a staging proxy's Basic, say) does not exempt a
// request, since the guard does not judge it.
func (g *Guard) needsOriginCheck(x Exchange) bool { return !g.bearerPresented(x) }

// Authorize checks the route rules against the request's principal, in
// order, and returns the first denial, or nil when every rule passes.
func Authorize(x Exchange, rules ...Rule) *Denial {
	ctx := x.Context()
	p, ok := PrincipalFrom(ctx)
	if !ok && len(rules) > 0 && sessionUnavailable(ctx) {
		// The request may well be authenticated; we cannot tell.
		return deny(x, unavailableProblem(), "")
	}
	for _, r := range rules {
		if prob, challenge := r.check(p, ok); prob != nil {
			return deny(x, prob, challenge)
		}
	}
	return nil
}
