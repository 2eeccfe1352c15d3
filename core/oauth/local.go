package oauth

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/authkit-go/authkit/core/port"
)

// LocalSubjectPrefix starts every LocalSubject.
const LocalSubjectPrefix = "oidc:"

// LocalSubject returns the local user id for the provider account of r:
// "oidc:", 16 hex digits of SHA-256 of the issuer, ":" and the provider's
// sub, e.g. "oidc:9f86d081884c7d65:248289761001". It is derived from both
// issuer and sub (OpenID Connect Core §5.7: only the pair is unique), so
// equal subs at two providers are two users; it shows the provider's sub
// as it is; and it holds ":", which no local username may hold — KEEP ":"
// OUT OF YOUR USERNAMES, and a LocalSubject can never name a local
// account. Empty for a plain OAuth 2.0 provider, which names no subject.
func (r *Result) LocalSubject() string {
	if r.Subject == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(r.Issuer))
	return LocalSubjectPrefix + hex.EncodeToString(sum[:8]) + ":" + r.Subject
}

// Principal returns whom to sign the user in as (guard.SignIn): Subject
// LocalSubject, AMR what the provider reported (its amr claim, RFC 8176),
// AuthTime the provider's auth_time, or the time of the callback when it
// gave none. MFAAt is the auth_time when the AMR holds a second factor;
// without an auth_time it is zero — unknown — whatever the AMR says, so a
// provider's "mfa" of unknown age meets guard.MFA but not
// guard.MFAWithin, which then wants a fresh step-up (the weakest reading,
// ASVS 6.8.4). Roles, scopes and a token family are the application's to
// add.
func (r *Result) Principal() port.Principal {
	p := port.Principal{Subject: r.LocalSubject(), AMR: slices.Clone(r.AMR), AuthTime: r.AuthTime}
	switch {
	case !p.AuthTime.IsZero():
		if p.HasMFA() {
			p.MFAAt = p.AuthTime
		}
	case !r.completed.IsZero():
		p.AuthTime = r.completed
	default: // a Result made by hand
		p.AuthTime = time.Now()
	}
	return p
}
