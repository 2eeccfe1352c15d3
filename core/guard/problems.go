package guard

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/port"
)

// WWW-Authenticate challenges (RFC 6750 §3).
const (
	// BearerChallenge is sent when no credentials were presented (RFC 6750
	// §3.1: no error code in that case).
	BearerChallenge = `Bearer`
	// InvalidTokenChallenge is sent for a bearer token that failed.
	InvalidTokenChallenge = `Bearer error="invalid_token"`
	// InvalidRequestChallenge is sent for a malformed bearer presentation.
	InvalidRequestChallenge = `Bearer error="invalid_request"`
)

// ProblemFor returns the answer to err: the one mapping from authkit's
// errors to HTTP, used by every step of the Guard and by flows that answer
// for themselves. It reads only the root errors of core/authkit, which
// every package's sentinels wrap, so it needs no feature's import:
//
//	authkit.ErrUnavailable         503 unavailable
//	authkit.ErrRateLimited         429 too-many-requests, Retry-After from an
//	                               authkit.RetryError, fields from an
//	                               authkit.FieldsError
//	authkit.ErrInvalidToken        401 invalid-token, WWW-Authenticate: Bearer error="invalid_token"
//	authkit.ErrInvalidCredentials  401 invalid-credentials, WWW-Authenticate: Bearer
//	authkit.ErrUnauthenticated     401 unauthorized, WWW-Authenticate: Bearer
//	authkit.ErrInvalidRequest      400 invalid-request
//	authkit.ErrConflict            409 conflict
//	anything else                  500 internal
//
// in that order (a store that failed while checking a token is a 503, not
// a 401). An error that is also an authkit.CodeError adds its word as
// the member "code" (the OAuth callback's state_mismatch, ...). The detail
// never repeats err.Error(): log err if it matters. The
// problem's Header holds the fields the answer needs; a nil err has no
// answer (nil).
func ProblemFor(err error) *Problem {
	if err == nil {
		return nil
	}
	return problemFor(err, internalProblem)
}

// ProblemForToken is ProblemFor for the error of a presented token that was
// not accepted (an access token, a refresh token at a refresh endpoint):
// an error of no known kind is an invalid token too, a 401 with an
// invalid_token challenge, never a 500 that would invite retries. The
// bearer token step of the Guard answers with it.
func ProblemForToken(err error) *Problem {
	if err == nil {
		return nil
	}
	return problemFor(err, invalidTokenProblem)
}

// problemFor is ProblemFor with the answer for an error of no known kind.
// An answer for a known kind carries the error's authkit.CodeError word as
// its "code" member.
func problemFor(err error, other func() *Problem) *Problem {
	p := rootProblem(err)
	if p == nil {
		return other()
	}
	if ce := authkit.CodeError(nil); errors.As(err, &ce) {
		if code := ce.ErrorCode(); codeWord(code) {
			p.With("code", code)
		}
	}
	return p
}

// codeWord reports whether s may go into a problem's "code" member: 1 to
// 64 of a-z 0-9 "_" "." "-".
func codeWord(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; !('a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '_' || b == '.' || b == '-') {
			return false
		}
	}
	return true
}

// rootProblem is the answer for the first root err wraps, nil for none.
func rootProblem(err error) *Problem {
	switch {
	case errors.Is(err, authkit.ErrUnavailable):
		return port.NewProblem(http.StatusServiceUnavailable, port.TypeUnavailable, "a backing store is unavailable; try again later")
	case errors.Is(err, authkit.ErrRateLimited):
		return rateLimited(err)
	case errors.Is(err, authkit.ErrInvalidToken):
		return invalidTokenProblem()
	case errors.Is(err, authkit.ErrInvalidCredentials):
		return port.NewProblem(http.StatusUnauthorized, port.TypeInvalidCredentials, "the credentials are incorrect").WithHeader("WWW-Authenticate", BearerChallenge)
	case errors.Is(err, authkit.ErrUnauthenticated):
		return unauthenticatedProblem()
	case errors.Is(err, authkit.ErrInvalidRequest):
		return port.NewProblem(http.StatusBadRequest, port.TypeInvalidRequest, "the request is invalid")
	case errors.Is(err, authkit.ErrConflict):
		return port.NewProblem(http.StatusConflict, port.TypeConflict, "the request conflicts with the current state")
	}
	return nil
}

func internalProblem() *Problem {
	return port.NewProblem(http.StatusInternalServerError, port.TypeInternal, port.InternalDetail)
}

func invalidTokenProblem() *Problem {
	return port.NewProblem(http.StatusUnauthorized, port.TypeInvalidToken, "the token is invalid").WithHeader("WWW-Authenticate", InvalidTokenChallenge)
}

func unauthenticatedProblem() *Problem {
	return port.NewProblem(http.StatusUnauthorized, port.TypeUnauthorized, "authentication required").WithHeader("WWW-Authenticate", BearerChallenge)
}

// invalidBearerRequest is the 400 for a bearer token presented wrongly.
func invalidBearerRequest(detail string) *Problem {
	return port.NewProblem(http.StatusBadRequest, port.TypeInvalidRequest, detail).WithHeader("WWW-Authenticate", InvalidRequestChallenge)
}

func rateLimited(err error) *Problem {
	p := port.NewProblem(http.StatusTooManyRequests, port.TypeTooManyRequests, "too many requests; try again later")
	if re := authkit.RetryError(nil); errors.As(err, &re) {
		if d := re.RetryDelay(); d > 0 {
			p.WithHeader("Retry-After", retryAfter(d))
		}
	}
	if fe := authkit.FieldsError(nil); errors.As(err, &fe) {
		fe.HeaderFields(func(name, value string) {
			if value != "" {
				if p.Header == nil {
					p.Header = make(http.Header, 2)
				}
				p.Header.Set(name, value)
			}
		})
	}
	return p
}

// retryAfter is d in whole seconds, rounded up (RFC 9110 §10.2.3).
func retryAfter(d time.Duration) string {
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return strconv.FormatInt(s, 10)
}
