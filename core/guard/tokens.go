package guard

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/authkit-go/authkit/core/token"
)

// TokenAuthenticator verifies a bearer access token. *token.Issuer
// implements it (signature, claims and revocation); wrap a
// (*token.Verifier).Verify in AuthenticatorFunc for a service that only
// verifies.
type TokenAuthenticator interface {
	Authenticate(ctx context.Context, raw string) (*token.Claims, error)
}

// AuthenticatorFunc adapts a function to a TokenAuthenticator.
type AuthenticatorFunc func(ctx context.Context, raw string) (*token.Claims, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, raw string) (*token.Claims, error) {
	return f(ctx, raw)
}

// WWW-Authenticate challenges for bearer token failures (RFC 6750 §3.1).
const (
	InvalidTokenChallenge   = `Bearer error="invalid_token"`
	InvalidRequestChallenge = `Bearer error="invalid_request"`
)

// WithTokens authenticates requests that present a bearer access token in
// the Authorization header (or the cookie named by WithTokenCookie). A token
// that fails verification is answered 401 with an invalid_token challenge,
// even on open routes: a client sending a bad token should learn so. Tokens
// are never read from the query string. Default: no token authentication.
func WithTokens(a TokenAuthenticator) Option {
	return func(c *config) error {
		if a == nil {
			return errors.Join(ErrInvalidOption, errors.New("guard: nil token authenticator"))
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
			return errors.Join(ErrInvalidOption, errors.New("guard: bad token cookie name"))
		}
		c.tokenCookie = name
		return nil
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
func (g *Guard) presentedToken(x Exchange) (raw string, ok bool, denial *Problem) {
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
		return "", false, NewProblem(http.StatusBadRequest, TypeInvalidRequest, "the Authorization header must appear once")
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
		return "", false, NewProblem(http.StatusBadRequest, TypeInvalidRequest, "present the access token once: in the Authorization header or the cookie, not both")
	}
	if !wellFormed || !isB64Token(rest) {
		return "", false, NewProblem(http.StatusBadRequest, TypeInvalidRequest, "the Authorization header must hold exactly one bearer token")
	}
	return rest, true, nil
}

// isB64Token reports whether s matches RFC 6750's b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0 {
			continue
		}
		break
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

// authenticateToken runs the token step of Before.
func (g *Guard) authenticateToken(ctx context.Context, x Exchange) (context.Context, *Denial) {
	raw, ok, bad := g.presentedToken(x)
	if bad != nil {
		return ctx, deny(x, bad, InvalidRequestChallenge)
	}
	if !ok {
		return ctx, nil
	}
	claims, err := g.tokens.Authenticate(ctx, raw)
	switch {
	case err == nil:
		return withToken(ctx, Principal{
			Subject: claims.Subject,
			Roles:   claims.Roles,
			Scopes:  strings.Fields(claims.Scope),
			AMR:     claims.AMR,
			Via:     ViaToken,
			Family:  claims.Family(),
		}, raw), nil
	case errors.Is(err, token.ErrUnavailable):
		return ctx, deny(x, unavailableProblem(), "")
	default:
		return ctx, deny(x, NewProblem(http.StatusUnauthorized, TypeInvalidToken, "the access token is invalid"), InvalidTokenChallenge)
	}
}
