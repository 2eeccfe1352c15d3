package guard

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/port"
)

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

// originStep is the origin-based CSRF protection for unsafe methods on
// every request that no bearer token authenticates. That includes requests
// without a cookie yet, such as a sign-in: a cross-site form that logs the
// victim's browser into the attacker's account (login CSRF) carries no
// cookie, since SameSite=Lax keeps it off cross-site POSTs. Another
// Authorization scheme (a staging proxy's Basic, say) does not exempt a
// request, since the guard does not judge it.
//
// It is net/http's CrossOriginProtection (Go 1.25): Sec-Fetch-Site when the
// browser sends it, else Origin against Host; requests with neither come
// from non-browser clients and pass. It is on whenever a cookie can
// authenticate (sessions or a token cookie), unless WithoutCSRFProtection.
type originStep struct {
	g   *Guard
	cop *http.CrossOriginProtection
}

func newOriginStep(g *Guard, c *config) (step, error) {
	if !g.cookieAuth() || c.noCSRF {
		return nil, nil
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range c.trustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, invalidConfig("origin check: %w", err)
		}
	}
	for _, p := range c.csrfExempt {
		if err := addBypass(cop, p); err != nil {
			return nil, invalidConfig("origin check: %w", err)
		}
	}
	return originStep{g: g, cop: cop}, nil
}

func (s originStep) before(x Exchange, st state) (state, *Denial) {
	if st.bearer || s.allowed(x) {
		return st, nil
	}
	s.g.audit.Emit(st.ctx, audit.Event{Kind: audit.CrossOriginRejected, IP: s.g.ClientIP(x), UserAgent: audit.Clip(x.Header("User-Agent"), 256), Reason: "cross_origin"})
	return st, port.Deny(x, port.NewProblem(http.StatusForbidden, port.TypeCrossOrigin, "cross-origin request rejected"))
}

// addBypass turns AddInsecureBypassPattern's panic on a bad pattern into an
// error at construction.
func addBypass(cop *http.CrossOriginProtection, pattern string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bad exempt pattern %q", pattern)
		}
	}()
	cop.AddInsecureBypassPattern(pattern)
	return nil
}

// allowed reports whether x may proceed. Only the headers the check reads are
// copied into a minimal request, and only for unsafe methods.
func (s originStep) allowed(x Exchange) bool {
	switch x.Method() {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	h := make(http.Header, 2)
	if v := x.Header("Sec-Fetch-Site"); v != "" {
		h.Set("Sec-Fetch-Site", v)
	}
	if v := x.Header("Origin"); v != "" {
		h.Set("Origin", v)
	}
	r := &http.Request{Method: x.Method(), Host: x.Host(), Header: h, URL: &url.URL{Path: x.Path()}}
	return s.cop.Check(r) == nil
}
