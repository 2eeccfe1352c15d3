package guard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// The refresh cookie's names: with the __Secure- prefix a browser accepts
// it only with Secure from a secure origin, so a network attacker cannot
// plant one over plain HTTP.
const (
	// RefreshCookieName is the refresh cookie's name.
	RefreshCookieName = "__Secure-refresh"
	// InsecureRefreshCookieName is its name under WithInsecureRefreshCookie.
	InsecureRefreshCookieName = "refresh"
)

// ErrNoRefreshCookie is returned by SetRefreshCookie and
// ClearRefreshCookie when ctx is not the context of a request that passed
// through a Guard built WithRefreshCookie.
var ErrNoRefreshCookie = errors.New("guard: no refresh cookie in this context: pass the request's own context of a request that went through a guard built WithRefreshCookie")

// refreshCookie is the configuration of the refresh cookie.
type refreshCookie struct {
	name, path string
	insecure   bool
}

// WithRefreshCookie lets sign-in and refresh flows hand a browser its
// refresh token in a cookie (SetRefreshCookie) instead of the JSON body,
// where JavaScript would have to keep it readable by any script on the
// page: "__Secure-refresh", HttpOnly, Secure, SameSite=Strict, Max-Age the
// token's remaining lifetime, and Path path — the refresh endpoint, the
// only place the browser sends it (so it costs other requests nothing and
// cannot leak into their logs). Since a cookie now authenticates a request
// there, this also turns on the origin check against CSRF and Vary: Cookie.
// path must be an absolute path without ';', ',' or control characters.
// Default: no refresh cookie.
func WithRefreshCookie(path string) Option {
	return func(c *config) error {
		if path == "" || path[0] != '/' || strings.ContainsAny(path, ";,") || strings.ContainsFunc(path, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
			return invalidConfig("bad refresh cookie path %q", path)
		}
		c.refreshPath = path
		return nil
	}
}

// WithInsecureRefreshCookie names the refresh cookie "refresh" and drops
// Secure, for plain HTTP on an address browsers do not treat as secure (not
// localhost). SECURITY WARNING: the refresh token then crosses the network
// in clear and a network attacker can read or plant it; development only.
// Default: Secure, named "__Secure-refresh".
func WithInsecureRefreshCookie() Option {
	return func(c *config) error { c.refreshInsecure = true; return nil }
}

// newRefreshCookie builds the refresh cookie's configuration from c, nil
// when WithRefreshCookie was not given.
func newRefreshCookie(c *config) (*refreshCookie, error) {
	if c.refreshPath == "" {
		if c.refreshInsecure {
			return nil, invalidConfig("WithInsecureRefreshCookie needs WithRefreshCookie")
		}
		return nil, nil
	}
	rc := &refreshCookie{name: RefreshCookieName, path: c.refreshPath, insecure: c.refreshInsecure}
	if rc.insecure {
		rc.name = InsecureRefreshCookieName
	}
	return rc, nil
}

func (rc *refreshCookie) cookie(value string, maxAge int) *http.Cookie {
	c := &http.Cookie{
		Name:     rc.name,
		Value:    value,
		Path:     rc.path,
		MaxAge:   maxAge,
		Secure:   !rc.insecure,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	}
	if maxAge < 0 {
		c.Expires = time.Unix(0, 0)
	}
	return c
}

// RefreshCookieName returns the name of the refresh cookie, "" when the
// Guard has none (WithRefreshCookie).
func (g *Guard) RefreshCookieName() string {
	if g.refresh == nil {
		return ""
	}
	return g.refresh.name
}

// refreshState returns the request state and the refresh cookie's
// configuration, or ErrNoRefreshCookie.
func refreshState(ctx context.Context) (*requestState, *refreshCookie, error) {
	st := stateFrom(ctx)
	if st == nil || st.g.refresh == nil {
		return nil, nil, ErrNoRefreshCookie
	}
	return st, st.g.refresh, nil
}

// SetRefreshCookie puts the refresh token raw into the answer's refresh
// cookie, with Max-Age ttl (the token's remaining lifetime, rounded up to
// whole seconds; token.Pair.RefreshExpiresIn), and makes the answer
// no-store. A ttl that is not positive clears the cookie instead. Flows
// that set it leave refresh_token out of the JSON body: a token that
// JavaScript can read gains nothing from the cookie. raw is a credential:
// never log it.
func SetRefreshCookie(ctx context.Context, raw string, ttl time.Duration) error {
	st, rc, err := refreshState(ctx)
	if err != nil {
		return err
	}
	secs := int((ttl + time.Second - 1) / time.Second)
	if ttl <= 0 || raw == "" {
		secs = -1
		raw = ""
	}
	st.g.setCookie(st.x, rc.cookie(raw, secs))
	return nil
}

// ClearRefreshCookie makes the browser drop the refresh cookie (logout).
// The cookie is sent only to its path, so a logout elsewhere clears it
// without seeing it: end its family through the access token, the linked
// session or a refresh token in the body.
func ClearRefreshCookie(ctx context.Context) error {
	st, rc, err := refreshState(ctx)
	if err != nil {
		return err
	}
	st.g.setCookie(st.x, rc.cookie("", -1))
	return nil
}

// RefreshCookie returns the refresh token the request's refresh cookie
// carries, if the Guard has one and the request sent a non-empty one. It
// is a credential: never log it.
func RefreshCookie(ctx context.Context) (string, bool) {
	st, rc, err := refreshState(ctx)
	if err != nil {
		return "", false
	}
	v, ok := st.x.Cookie(rc.name)
	if !ok || v == "" {
		return "", false
	}
	return strings.Clone(v), true // fiber reuses its buffers
}

// refreshStateStep puts the request state into the context when no
// session step does (a Guard with a refresh cookie and no sessions), so
// that flows can set and read the refresh cookie.
type refreshStateStep struct{ g *Guard }

func newRefreshStateStep(g *Guard, _ *config) (step, error) {
	if g.refresh == nil || g.sessions != nil {
		return nil, nil
	}
	return refreshStateStep{g}, nil
}

func (s refreshStateStep) before(x Exchange, st state) (state, *Denial) {
	st.startRequestState(s.g, x)
	return st, nil
}
