package port

import (
	"slices"
	"time"
)

// Principal is who a request acts for, as established by a token or a
// session. Its slices must be treated as read-only.
type Principal struct {
	// Subject is the user (or client) identifier.
	Subject string
	// Roles are the application roles granted to the subject.
	Roles []string
	// Scopes are the OAuth scopes the credential carries.
	Scopes []string
	// AMR lists the authentication methods used (RFC 8176), e.g. "pwd", "otp".
	AMR []string
	// Via says how the request was authenticated: ViaToken or ViaSession.
	Via string
	// Family is the sign-in (refresh-token family) the credential belongs
	// to: a token's "fam" claim, or the family the session is linked to.
	// Give SignIn the Family of the login's token.Pair to link the session
	// and the tokens, so that revoking either ends both.
	Family string
	// AuthTime is when the subject last authenticated (signed in), as
	// OpenID Connect's auth_time: a token's "auth_time" claim, or the time
	// SignIn bound the session. Zero when unknown.
	AuthTime time.Time
	// MFAAt is when the subject last passed a second factor, zero when
	// never (or unknown). Step-up rules (guard.MFAWithin) compare it with
	// the clock. For a token it is its AuthTime when its AMR holds a
	// second factor, since a token's AMR is fixed at sign-in.
	MFAAt time.Time
}

// How a principal was authenticated.
const (
	ViaToken   = "token"
	ViaSession = "session"
)

// HasRole reports whether p holds role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// HasScope reports whether p's credential carries scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

// HasMFA reports whether p authenticated with a second factor (AMR "mfa",
// "otp" or "hwk").
func (p Principal) HasMFA() bool {
	return slices.ContainsFunc(p.AMR, func(m string) bool { return m == "mfa" || m == "otp" || m == "hwk" })
}

// Clone returns p with slices of its own (one allocation for all three), so
// that changing them cannot change what p's holder — a cache — hands out
// next. Each is capped: appending to one reallocates rather than
// overwriting the next. Nil slices stay nil.
func (p Principal) Clone() Principal {
	buf := make([]string, 0, len(p.Roles)+len(p.Scopes)+len(p.AMR)) // none for 0
	buf, p.Roles = appendCapped(buf, p.Roles)
	buf, p.Scopes = appendCapped(buf, p.Scopes)
	_, p.AMR = appendCapped(buf, p.AMR)
	return p
}

// appendCapped appends ss to buf and returns buf and the appended part,
// capped at its length; nil stays nil.
func appendCapped(buf, ss []string) ([]string, []string) {
	if ss == nil {
		return buf, nil
	}
	n := len(buf)
	buf = append(buf, ss...)
	return buf, buf[n:len(buf):len(buf)]
}
