package oauth

import (
	"fmt"
	"net/http"

	"github.com/authkit-go/authkit/core/authkit"
)

// Root-wrapping sentinels, as every authkit package has them.
var (
	// ErrInvalidConfig reports a Provider, key or option that cannot be
	// used. It is returned by constructors and Discover, never per request.
	ErrInvalidConfig = fmt.Errorf("oauth: invalid configuration: %w", authkit.ErrInvalidConfig)

	// ErrUnavailable reports a provider (discovery, token, JWKS or userinfo
	// endpoint) that could not be reached or answered with a server error.
	// Every *Error with Code CodeProviderUnavailable wraps it.
	ErrUnavailable = fmt.Errorf("oauth: provider unavailable: %w", authkit.ErrUnavailable)
)

// Stable reason words of an *Error. They are part of the API: a problem
// body's "code" member and an audit event's Reason carry them unchanged.
const (
	// CodeCallbackMalformed: the callback query does not parse, is too long
	// or repeats a parameter.
	CodeCallbackMalformed = "callback_malformed"
	// CodeStateMissing: the callback carries no state.
	CodeStateMissing = "state_missing"
	// CodeStateMismatch: no attempt cookie of this browser matches the
	// state — a forged or replayed callback, another browser's callback
	// (login CSRF), or a cookie that does not open.
	CodeStateMismatch = "state_mismatch"
	// CodeStateExpired: the attempt is older than the attempt TTL.
	CodeStateExpired = "state_expired"
	// CodeIssMissing: the provider announces RFC 9207 but the callback
	// carries no iss.
	CodeIssMissing = "iss_missing"
	// CodeIssMismatch: the callback's iss is not the provider's issuer
	// (a mix-up attack).
	CodeIssMismatch = "iss_mismatch"
	// CodeProviderError: the provider answered with error=... (the user
	// declined, access_denied, login_required, ...). ProviderCode holds it.
	CodeProviderError = "provider_error"
	// CodeCodeMissing: the callback carries neither code nor error.
	CodeCodeMissing = "code_missing"
	// CodeInvalidGrant: the token endpoint refused the code (a wrong PKCE
	// verifier, a code used twice, expired, or issued to another client).
	CodeInvalidGrant = "invalid_grant"
	// CodeTokenError: the token endpoint refused the request otherwise
	// (ProviderCode says how, e.g. invalid_client) or answered with an
	// unusable token response.
	CodeTokenError = "token_error"
	// CodeIDTokenMissing: an OpenID provider answered without an ID token.
	CodeIDTokenMissing = "id_token_missing"
	// CodeIDTokenInvalid: the ID token failed verification (signature, iss,
	// aud, azp, exp, iat, nonce, at_hash, sub).
	CodeIDTokenInvalid = "id_token_invalid"
	// CodeUserinfoInvalid: the userinfo response is unusable or names
	// another subject.
	CodeUserinfoInvalid = "userinfo_invalid"
	// CodeProviderUnavailable: a provider endpoint could not be reached or
	// failed with a server error; the error also wraps ErrUnavailable.
	CodeProviderUnavailable = "provider_unavailable"
)

// Error is a refused callback or refresh. Code is one of the Code*
// constants; errors.Is(err, ErrStateMismatch) and the like compare codes,
// and errors.Is(err, authkit.ErrInvalidRequest) (or ErrUnavailable) holds
// as Status says.
// Error() never contains a token, code, state, verifier or secret.
type Error struct {
	// Code is the stable reason word.
	Code string
	// ProviderCode is the provider's OAuth error code (RFC 6749 §4.1.2.1,
	// §5.2) for CodeProviderError, CodeInvalidGrant and CodeTokenError: at
	// most 64 of A-Z a-z 0-9 _ . - (a callback with any other error is
	// refused as malformed). Empty otherwise.
	ProviderCode string
	// Description is the provider's error_description, reduced to
	// printable ASCII and at most 200 characters. It comes from outside:
	// log it, never show it as HTML.
	Description string
	// Err is the underlying cause, when there is one.
	Err error
}

// Sentinels for errors.Is: an *Error matches one of these when their Codes
// are equal.
var (
	ErrCallbackMalformed   = &Error{Code: CodeCallbackMalformed}
	ErrStateMissing        = &Error{Code: CodeStateMissing}
	ErrStateMismatch       = &Error{Code: CodeStateMismatch}
	ErrStateExpired        = &Error{Code: CodeStateExpired}
	ErrIssMissing          = &Error{Code: CodeIssMissing}
	ErrIssMismatch         = &Error{Code: CodeIssMismatch}
	ErrProviderError       = &Error{Code: CodeProviderError}
	ErrCodeMissing         = &Error{Code: CodeCodeMissing}
	ErrInvalidGrant        = &Error{Code: CodeInvalidGrant}
	ErrTokenError          = &Error{Code: CodeTokenError}
	ErrIDTokenMissing      = &Error{Code: CodeIDTokenMissing}
	ErrIDTokenInvalid      = &Error{Code: CodeIDTokenInvalid}
	ErrUserinfoInvalid     = &Error{Code: CodeUserinfoInvalid}
	ErrProviderUnavailable = &Error{Code: CodeProviderUnavailable}
)

func (e *Error) Error() string {
	s := "oauth: " + e.Code
	if e.ProviderCode != "" {
		s += " (" + e.ProviderCode + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the root of the error's kind: ErrUnavailable (and so
// authkit.ErrUnavailable) for CodeProviderUnavailable, authkit's
// ErrInvalidRequest for every other code — so guard.ProblemFor answers 503
// or 400, with Code as the problem's "code" member (ErrorCode). The cause
// in Err is not unwrapped: it is for logs, and an ID token's expiry (a
// core/token error, which wraps authkit.ErrInvalidToken) must not be
// answered as a presented bearer token's.
func (e *Error) Unwrap() error {
	if e.Code == CodeProviderUnavailable {
		return ErrUnavailable
	}
	return authkit.ErrInvalidRequest
}

// ErrorCode returns Code: it implements authkit.CodeError.
func (e *Error) ErrorCode() string { return e.Code }

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Status is the HTTP status a flow answers with: 503 for
// CodeProviderUnavailable, 400 for every other code.
func (e *Error) Status() int {
	if e.Code == CodeProviderUnavailable {
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

func fail(code string, cause error) *Error { return &Error{Code: code, Err: cause} }

// errorCodeOK reports whether s is an OAuth error code authkit passes on:
// 1 to 64 of A-Z a-z 0-9 "_" "." "-". RFC 6749 allows more (any NQSCHAR),
// but every registered code fits, and such a code is safe in any log line
// or problem body.
func errorCodeOK(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '.' || b == '-') {
			return false
		}
	}
	return true
}

// nqchars reports whether s is 1 to max of RFC 6749's NQCHAR
// (%x21 / %x23-5B / %x5D-7E): the characters of a scope token.
func nqchars(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b <= 0x20 || b == '"' || b == '\\' || b >= 0x7f {
			return false
		}
	}
	return true
}

// cleanDescription keeps printable ASCII of an outside error description,
// at most 200 bytes.
func cleanDescription(s string) string {
	out := make([]byte, 0, min(len(s), 200))
	for i := 0; i < len(s) && len(out) < 200; i++ {
		if b := s[i]; b >= 0x20 && b < 0x7f {
			out = append(out, b)
		}
	}
	return string(out)
}
