package guard

import (
	"net/http"
	"strings"
)

// Rule is a route-level authorization requirement, checked by Authorize
// after the Guard has authenticated the request. Build rules with
// Authenticated, Role, Scope and MFA; adapters apply them with Require.
type Rule struct {
	check func(p Principal, authenticated bool) (*Problem, string)
}

// BearerChallenge is the WWW-Authenticate value sent when no credentials
// were presented (RFC 6750 §3.1: no error code in that case).
const BearerChallenge = `Bearer`

// Authenticated requires a principal: 401 with a Bearer challenge otherwise.
func Authenticated() Rule {
	return Rule{check: func(_ Principal, ok bool) (*Problem, string) {
		if !ok {
			return unauthenticated()
		}
		return nil, ""
	}}
}

// Role requires a principal holding at least one of roles: 401 when
// unauthenticated, 403 otherwise.
func Role(roles ...string) Rule {
	return Rule{check: func(p Principal, ok bool) (*Problem, string) {
		if !ok {
			return unauthenticated()
		}
		for _, r := range roles {
			if p.HasRole(r) {
				return nil, ""
			}
		}
		return NewProblem(http.StatusForbidden, TypeForbidden, "a required role is missing"), ""
	}}
}

// Scope requires a principal whose credential carries every one of scopes:
// 401 when unauthenticated, 403 with an RFC 6750 insufficient_scope
// challenge otherwise.
func Scope(scopes ...string) Rule {
	want := strings.Join(scopes, " ")
	return Rule{check: func(p Principal, ok bool) (*Problem, string) {
		if !ok {
			return unauthenticated()
		}
		for _, s := range scopes {
			if !p.HasScope(s) {
				return NewProblem(http.StatusForbidden, TypeInsufficientScope, "the access token lacks a required scope"),
					`Bearer error="insufficient_scope", scope="` + want + `"`
			}
		}
		return nil, ""
	}}
}

// MFA requires a principal that signed in with a second factor: 401 when
// unauthenticated, 403 otherwise.
func MFA() Rule {
	return Rule{check: func(p Principal, ok bool) (*Problem, string) {
		if !ok {
			return unauthenticated()
		}
		if !p.HasMFA() {
			return NewProblem(http.StatusForbidden, TypeMFARequired, "this resource requires multi-factor authentication"), ""
		}
		return nil, ""
	}}
}

func unauthenticated() (*Problem, string) {
	return NewProblem(http.StatusUnauthorized, TypeUnauthorized, "authentication required"), BearerChallenge
}
