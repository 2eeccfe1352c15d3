package guard

import (
	"strings"

	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/session"
)

// WithTokens authenticates requests that present a bearer access token in
// the Authorization header (or the cookie named by WithTokenCookie) with a:
// a *token.Issuer (signature, claims and revocation) or a *token.Verifier
// (a service that only verifies). A token that fails verification is
// answered 401 with an invalid_token challenge, even on open routes: a
// client sending a bad token should learn so. Tokens are never read from
// the query string. Default: no token authentication.
func WithTokens(a TokenAuthenticator) Option {
	return func(c *config) error {
		if a == nil {
			return invalidConfig("nil token authenticator")
		}
		c.tokens = a
		return nil
	}
}

// WithTokenCookie also accepts the access token from the cookie name, for
// browser apps that keep it in an HttpOnly cookie. Such requests are
// cookie-authenticated and pass the origin check. A request carrying both
// the header and the cookie is refused (RFC 6750 §2: one method per request).
// Default: header only.
func WithTokenCookie(name string) Option {
	return func(c *config) error {
		if name == "" || strings.ContainsAny(name, " ;=,\t\r\n") {
			return invalidConfig("bad token cookie name %q", name)
		}
		c.tokenCookie = name
		return nil
	}
}

// tokenStep authenticates the request by its bearer token, from the
// Authorization header or the token cookie. A token's principal replaces a
// session's; a token that fails is a 401 even on open routes.
type tokenStep struct{ g *Guard }

func newTokenStep(g *Guard, _ *config) (step, error) {
	if g.tokens == nil {
		return nil, nil
	}
	return tokenStep{g}, nil
}

func (s tokenStep) before(x Exchange, st state) (state, *Denial) {
	raw, ok, bad := st.presentedToken(s.g, x)
	if bad != nil {
		return st, port.Deny(x, bad)
	}
	if !ok {
		return st, nil
	}
	p, err := s.g.tokens.AuthenticatePrincipal(st.ctx, raw)
	if err != nil {
		return st, port.Deny(x, ProblemForToken(err))
	}
	p.Via = ViaToken
	st.authenticate(authn{p: p, token: raw})
	return st, nil
}

// sessionLinker is implemented by authenticators that can end the sessions
// of a family they revoke (*token.Issuer).
type sessionLinker interface{ LinkSessions(port.SessionLink) }

// linkTokensAndSessions links an issuer (token.Issuer) and the session
// manager both ways, so that a login's session and refresh family end
// together: revoking the family destroys the sessions linked to it, and
// destroying a linked session revokes its family. Authenticators that
// cannot revoke (a bare Verifier) are left alone.
func linkTokensAndSessions(a TokenAuthenticator, m *session.Manager) {
	if l, ok := a.(sessionLinker); ok {
		l.LinkSessions(m)
	}
	if t, ok := a.(session.TokenLink); ok {
		m.LinkTokens(t)
	}
}

// bearerPresented reports whether the guard authenticates tokens and x has
// an Authorization header with the Bearer scheme (well-formed or not).
func (g *Guard) bearerPresented(x Exchange) bool {
	if g.tokens == nil {
		return false
	}
	bearer, _, _ := splitBearer(x.Header("Authorization"))
	return bearer
}

// splitBearer reads an Authorization value: bearer says its scheme is
// Bearer (case-insensitive), and then ok says it is followed by SP, the only
// separator RFC 7235 §2.1 allows ("Bearer<TAB>token" is malformed, not
// another scheme), and token is what follows the spaces.
func splitBearer(v string) (bearer bool, token string, ok bool) {
	const scheme = "Bearer"
	n := 0
	for n < len(v) && isTChar(v[n]) {
		n++
	}
	if !strings.EqualFold(v[:n], scheme) {
		return false, "", false
	}
	if n == len(v) || v[n] != ' ' {
		return true, "", false
	}
	return true, strings.TrimLeft(v[n:], " "), true
}

// presentedToken finds the bearer token a request presents. ok is false when
// there is none; denial is set for a malformed presentation.
func (g *Guard) presentedToken(x Exchange) (raw string, ok bool, bad *Problem) {
	var fromCookie string
	hasCookie := false
	if g.tokenCookie != "" {
		fromCookie, hasCookie = x.Cookie(g.tokenCookie)
	}
	var auth string
	switch lines := x.HeaderValues("Authorization"); len(lines) {
	case 0:
	case 1:
		auth = lines[0]
	default: // a singleton field (RFC 9110 §11.6.2): which one would count?
		return "", false, invalidBearerRequest("the Authorization header must appear once")
	}
	bearer, rest, wellFormed := splitBearer(auth)
	if !bearer {
		// No header, or another scheme that is not ours to judge: the
		// token cookie, if any, speaks.
		if hasCookie && fromCookie != "" {
			return fromCookie, true, nil
		}
		return "", false, nil
	}
	if hasCookie {
		return "", false, invalidBearerRequest("present the access token once: in the Authorization header or the cookie, not both")
	}
	if !wellFormed || !isB64Token(rest) {
		return "", false, invalidBearerRequest("the Authorization header must hold exactly one bearer token")
	}
	return rest, true, nil
}

// isB64Token reports whether s matches RFC 6750's b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
// It runs on every bearer request, over the whole token: the characters
// go eight at a time through one AND of their table entries and one
// branch, rather than a branch each.
func isB64Token(s string) bool {
	t := &b64TokenChar
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		w := s[i : i+8]
		if t[w[0]]&t[w[1]]&t[w[2]]&t[w[3]]&t[w[4]]&t[w[5]]&t[w[6]]&t[w[7]] == 0 {
			break
		}
	}
	for i < len(s) && t[s[i]] != 0 {
		i++
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// b64TokenChar holds the characters of a b64token before its padding.
// 1 for such a character, 0 for any other (a byte, so that entries AND).
var b64TokenChar = func() (t [256]byte) {
	for c := range 256 {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", byte(c)) >= 0 {
			t[c] = 1
		}
	}
	return t
}()
