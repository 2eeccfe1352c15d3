package guard

import "github.com/authkit-go/authkit/core/port"

// The port's types under their guard names, so an application needs to
// import only guard. Each is the core/port type itself (an alias), not a
// copy: a feature package that returns a port.Principal or implements a
// port.Rule works with the guard without importing it.

// Exchange is port.Exchange: the neutral view of one request and its
// response that an adapter gives the Guard.
type Exchange = port.Exchange

// HTTPExchange is port.HTTPExchange, the Exchange over net/http.
type HTTPExchange = port.HTTPExchange

// Principal is port.Principal: who a request acts for.
type Principal = port.Principal

// Problem is port.Problem: an RFC 9457 problem details object and the
// header fields of its answer.
type Problem = port.Problem

// Denial is port.Denial: the answer to a refused request.
type Denial = port.Denial

// Rule is port.Rule: a route-level authorization requirement.
type Rule = port.Rule

// RuleFunc is port.RuleFunc, a function that is a Rule.
type RuleFunc = port.RuleFunc

// TokenAuthenticator is port.Authenticator: what WithTokens verifies
// bearer tokens with (*token.Issuer, *token.Verifier).
type TokenAuthenticator = port.Authenticator

// AuthenticatorFunc is port.AuthenticatorFunc, a function that is a
// TokenAuthenticator.
type AuthenticatorFunc = port.AuthenticatorFunc

// How a principal was authenticated (port.ViaToken, port.ViaSession).
const (
	ViaToken   = port.ViaToken
	ViaSession = port.ViaSession
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = port.ProblemContentType

// Problem type URIs authkit uses (see core/port).
const (
	TypeUnauthorized       = port.TypeUnauthorized
	TypeInvalidToken       = port.TypeInvalidToken
	TypeInvalidCredentials = port.TypeInvalidCredentials
	TypeInvalidRequest     = port.TypeInvalidRequest
	TypeConflict           = port.TypeConflict
	TypeForbidden          = port.TypeForbidden
	TypeInsufficientScope  = port.TypeInsufficientScope
	TypeMFARequired        = port.TypeMFARequired
	TypeStepUpRequired     = port.TypeStepUpRequired
	TypeCrossOrigin        = port.TypeCrossOrigin
	TypeTooManyRequests    = port.TypeTooManyRequests
	TypeUnavailable        = port.TypeUnavailable
	TypeInternal           = port.TypeInternal
)

// NewProblem returns a Problem with the given status, type and detail; the
// title is the status text (port.NewProblem).
func NewProblem(status int, typ, detail string) *Problem { return port.NewProblem(status, typ, detail) }

// Handler is port.Handler: a handler every adapter serves (Serve), which
// answers through the Exchange alone.
type Handler = port.Handler

// HandlerFunc is port.HandlerFunc, a function that is a Handler.
type HandlerFunc = port.HandlerFunc

// Reply is port.Reply: a Handler's status and body.
type Reply = port.Reply
