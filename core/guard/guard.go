package guard

import (
	"context"
	"net/netip"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/core/session"
)

// Guard runs authkit's protections for one request, in a fixed order, each
// only when configured:
//
//  1. security headers (package headers; on by default)
//  2. Vary: Cookie when a cookie can authenticate, Vary: Authorization
//     when bearer tokens do
//  3. rate limits (WithRateLimit): limits by the client's address, before
//     anything reads a cookie, a token or the body
//  4. origin check against CSRF, for unsafe methods on every request a
//     bearer token does not authenticate (on whenever a cookie can
//     authenticate: sessions, a token cookie or the refresh cookie)
//  5. session load from the session cookie (WithSessions)
//  6. bearer token authentication (WithTokens); a token's principal
//     replaces a session's
//  7. Cache-Control: no-store when the request is authenticated (unless
//     WithoutNoStore)
//
// Route rules (Authenticated, Role, Scope, MFA, MFAWithin, RateLimit) run
// afterwards, on the route, through Authorize. After the handler, Commit saves the
// session.
//
// A Guard is immutable after New and safe for concurrent use.
type Guard struct {
	steps           []step
	headers         *headers.Policy // nil when WithoutHeaders
	trustedProxies  []netip.Prefix
	forwardedHeader ForwardedHeader
	sessions        *session.Manager                      // nil without WithSessions
	principals      *session.ValueCache[sessionPrincipal] // decoded session principals, with sessions
	tokens          TokenAuthenticator
	tokenCookie     string
	refresh         *refreshCookie // nil without WithRefreshCookie
	vary            string         // the Vary value every answer gets, "" for none
	noStore         bool           // Cache-Control: no-store on authenticated answers and session cookies
	audit           audit.Sink
	headersOnly     bool // the steps are the headers step alone, or none (BeforeHTTP)
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
	refreshPath     string
	refreshInsecure bool
	noNoStore       bool
	audit           audit.Sink
	limiters        []RequestLimiter
}

// Option configures a Guard.
type Option func(*config) error

// WithAudit sends the guard's events (cross-origin rejections) to sink.
// Default: audit.Default(), a log/slog sink.
func WithAudit(sink audit.Sink) Option {
	return func(c *config) error {
		if sink == nil {
			return invalidConfig("nil audit sink")
		}
		c.audit = sink
		return nil
	}
}

// New builds a Guard from opts. With no options it applies the secure
// headers and nothing else. An option that cannot be applied is an
// ErrInvalidConfig.
func New(opts ...Option) (*Guard, error) {
	var c config
	for _, opt := range opts {
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	if c.tokenCookie != "" && c.tokens == nil {
		return nil, invalidConfig("WithTokenCookie needs WithTokens")
	}
	g := &Guard{
		trustedProxies:  c.trustedProxies,
		forwardedHeader: c.forwardedHeader,
		sessions:        c.sessions,
		tokens:          c.tokens,
		tokenCookie:     c.tokenCookie,
		noStore:         !c.noNoStore,
		audit:           c.audit,
	}
	if g.audit == nil {
		g.audit = audit.Default()
	}
	var err error
	if g.refresh, err = newRefreshCookie(&c); err != nil {
		return nil, err
	}
	if c.sessions != nil {
		g.principals = newPrincipalCache()
	}
	if c.sessions != nil && c.tokens != nil {
		linkTokensAndSessions(c.tokens, c.sessions)
	}
	for _, build := range steps {
		s, err := build(g, &c)
		if err != nil {
			return nil, err
		}
		if s != nil {
			g.steps = append(g.steps, s)
		}
	}
	g.headersOnly = headersOnly(g.steps)
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
	st := state{ctx: x.Context(), bearer: g.bearerPresented(x)}
	for _, s := range g.steps {
		var d *Denial
		if st, d = s.before(x, st); d != nil {
			st.batch.Close()
			return st.ctx, d
		}
	}
	st.batch.Close()
	if st.auth != nil {
		st.rc.hasAuth.Store(true) // st.authenticate made st.rc
	}
	return st.ctx, nil
}

// RestoreHeaders puts the security headers back on a response that the
// framework reset after the handler ran (fasthttp's NotModified and Error
// wipe every header), and Vary and an authenticated answer's
// Cache-Control: no-store when they are missing. The fiber adapter calls
// it after the handler chain; frameworks that write headers before the body
// never need it.
func (g *Guard) RestoreHeaders(ctx context.Context, x Exchange) {
	if g.headers != nil {
		g.headers.Restore(ctx, x.ResponseHeaderValue, x.SetHeader, g.Secure(x))
	}
	g.restoreCacheFields(ctx, x)
}

// Stateful reports whether the adapter must call Commit: true when the
// guard keeps per-request state (sessions).
func (g *Guard) Stateful() bool { return g.sessions != nil }

// cookieAuth reports whether any cookie can authenticate a request: the
// session cookie, a token cookie, or the refresh cookie at its endpoint.
func (g *Guard) cookieAuth() bool {
	return g.sessions != nil || g.tokenCookie != "" || g.refresh != nil
}
