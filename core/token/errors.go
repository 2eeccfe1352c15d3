package token

import (
	"errors"
	"fmt"

	"github.com/authkit-go/authkit/core/authkit"
)

// Sentinel errors. Every verification failure wraps one of the specific
// sentinels below and also ErrInvalid, so a caller can branch on the cause
// (errors.Is(err, ErrExpired)) or just on "the token is no good"
// (errors.Is(err, ErrInvalid)). Messages never contain the token itself.
var (
	// ErrInvalid is wrapped by every error that rejects a presented token.
	// It wraps authkit.ErrInvalidToken: guard.ProblemFor answers 401 with
	// an invalid_token challenge.
	ErrInvalid error = &childError{"token: invalid", authkit.ErrInvalidToken}
	// ErrMalformed reports a token that is not a well-formed compact JWS
	// with a strict JSON header and claims set.
	ErrMalformed = errors.New("token: malformed")
	// ErrTooLarge reports a token longer than the configured maximum size.
	ErrTooLarge = errors.New("token: too large")
	// ErrAlgorithm reports a token whose alg header is not the algorithm
	// pinned for the selected key ("none" is never accepted).
	ErrAlgorithm = errors.New("token: algorithm not allowed")
	// ErrUnsupportedHeader reports a header member authkit refuses: crit,
	// jku, x5u, x5c, jwk, enc, zip, b64 or a nested JWT.
	ErrUnsupportedHeader = errors.New("token: unsupported header")
	// ErrUnknownKey reports that no configured key matches the token's kid
	// and algorithm.
	ErrUnknownKey = errors.New("token: unknown key")
	// ErrSignature reports a signature that does not verify.
	ErrSignature = errors.New("token: signature invalid")
	// ErrExpired reports a token past its exp (plus leeway).
	ErrExpired = errors.New("token: expired")
	// ErrNotYetValid reports a token whose nbf or iat lies in the future
	// (beyond the leeway).
	ErrNotYetValid = errors.New("token: not yet valid")
	// ErrLifetime reports a token whose exp − iat exceeds the maximum
	// lifetime.
	ErrLifetime = errors.New("token: lifetime too long")
	// ErrMissingClaim reports that a required claim is absent.
	ErrMissingClaim = errors.New("token: missing claim")
	// ErrIssuer reports an iss claim other than the configured issuer.
	ErrIssuer = errors.New("token: wrong issuer")
	// ErrAudience reports an aud claim that does not name the configured
	// audience.
	ErrAudience = errors.New("token: wrong audience")
	// ErrType reports a token of the wrong kind: a refresh token presented
	// as an access token, a purpose token for another purpose, a wrong typ.
	ErrType = errors.New("token: wrong type")
	// ErrRevoked reports a token that was revoked, individually, through its
	// refresh family, or by "log out everywhere" (RevokeSubject).
	ErrRevoked = errors.New("token: revoked")
	// ErrBinding reports a purpose token bound to another value than the
	// one it is checked against (BoundTo), or bound when none is given, or
	// the reverse: a reset token mailed to an address the account no
	// longer has, say.
	ErrBinding = errors.New("token: purpose token bound to another value")
	// ErrReused reports a refresh or purpose token presented a second
	// time. For a refresh token the whole family is revoked as a result.
	ErrReused = errors.New("token: already used")

	// ErrUnavailable reports that the revocation store or the remote key
	// set could not be reached; the caller should answer 503, not 401. It
	// wraps authkit.ErrUnavailable, not ErrInvalid.
	ErrUnavailable = fmt.Errorf("token: backend unavailable: %w", authkit.ErrUnavailable)

	// ErrInvalidKey reports key material that cannot be used: unparsable,
	// of the wrong type for the algorithm, or too weak (an RSA modulus under
	// 2048 bits, an HMAC secret under 32 bytes).
	ErrInvalidKey = errors.New("token: invalid key")
	// ErrUnsupportedAlgorithm reports an algorithm name authkit does not
	// implement.
	ErrUnsupportedAlgorithm = errors.New("token: unsupported algorithm")
	// ErrInvalidConfig reports a constructor argument or option that
	// cannot be applied: a bad value, a nil dependency. It wraps
	// authkit.ErrInvalidConfig. (An option given to a constructor it does
	// not apply to no longer compiles.)
	ErrInvalidConfig = fmt.Errorf("token: %w", authkit.ErrInvalidConfig)

	// ErrInvalidOption is the former name of ErrInvalidConfig.
	//
	// Deprecated: use ErrInvalidConfig.
	ErrInvalidOption = ErrInvalidConfig
	// ErrInvalidClaims reports claims that cannot be issued, such as custom
	// claims that collide with a registered claim name.
	ErrInvalidClaims = errors.New("token: invalid claims")
	// ErrKeyNotFound reports a KeySet operation naming a kid that is not in
	// the set.
	ErrKeyNotFound = errors.New("token: key not in set")
)

// rejection is a verification failure: one specific sentinel plus a short
// detail that never holds token bytes.
type rejection struct {
	kind   error
	detail string
}

func (r *rejection) Error() string {
	if r.detail == "" {
		return r.kind.Error()
	}
	return r.kind.Error() + ": " + r.detail
}

func (r *rejection) Unwrap() []error { return []error{r.kind, ErrInvalid} }

func reject(kind error, detail string) error { return &rejection{kind: kind, detail: detail} }

// childError is a sentinel that is also a kind of a broader sentinel (one
// of core/authkit's roots).
type childError struct {
	msg    string
	parent error
}

func (e *childError) Error() string { return e.msg }
func (e *childError) Unwrap() error { return e.parent }
