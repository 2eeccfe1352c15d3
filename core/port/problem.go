package port

import (
	"encoding/json"
	"net/http"
	"strings"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object. Extra members (for example
// "errors" for a rejected password) go in Extensions and are written at the
// top level of the JSON object; extra response header fields (a
// WWW-Authenticate challenge, Retry-After, RateLimit) go in Header.
type Problem struct {
	// Type is a URI naming the kind of problem.
	Type string
	// Title is a short, human-readable summary of the kind of problem.
	Title string
	// Status is the HTTP status code.
	Status int
	// Detail explains this occurrence. It never carries err.Error() of a
	// security failure.
	Detail string
	// Extensions are extra members written beside the standard ones.
	Extensions map[string]any
	// Header holds the response header fields the answer carries besides
	// Content-Type and Cache-Control. It is not part of the JSON body.
	// Deny writes the values of one name as one comma-separated line
	// (RFC 9110 §5.3), so it must not hold Set-Cookie.
	Header http.Header
}

// Problem type URIs authkit uses.
const (
	TypeUnauthorized       = "urn:authkit:problem:unauthorized"
	TypeInvalidToken       = "urn:authkit:problem:invalid-token"
	TypeInvalidCredentials = "urn:authkit:problem:invalid-credentials"
	TypeInvalidRequest     = "urn:authkit:problem:invalid-request"
	TypeConflict           = "urn:authkit:problem:conflict"
	TypeForbidden          = "urn:authkit:problem:forbidden"
	TypeInsufficientScope  = "urn:authkit:problem:insufficient-scope"
	TypeMFARequired        = "urn:authkit:problem:mfa-required"
	TypeStepUpRequired     = "urn:authkit:problem:step-up-required"
	TypeCrossOrigin        = "urn:authkit:problem:cross-origin-request"
	TypeTooManyRequests    = "urn:authkit:problem:too-many-requests"
	TypeUnavailable        = "urn:authkit:problem:unavailable"
	TypeInternal           = "urn:authkit:problem:internal"
)

// InternalDetail is the detail of every 500 problem: it says that the
// fault is the server's and nothing of what went wrong.
const InternalDetail = "the server could not complete the request"

// NewProblem returns a Problem with the given status, type and detail; the
// title is the status text.
func NewProblem(status int, typ, detail string) *Problem {
	return &Problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail}
}

// With returns p with the extension member name set to v.
func (p *Problem) With(name string, v any) *Problem {
	if p.Extensions == nil {
		p.Extensions = make(map[string]any, 1)
	}
	p.Extensions[name] = v
	return p
}

// WithHeader returns p with value added to its response header field name.
func (p *Problem) WithHeader(name, value string) *Problem {
	if p.Header == nil {
		p.Header = make(http.Header, 1)
	}
	p.Header.Add(name, value)
	return p
}

// MarshalJSON writes the standard members and the extensions at one level.
// Extensions never replace a standard member.
func (p *Problem) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 4+len(p.Extensions))
	for k, v := range p.Extensions {
		m[k] = v
	}
	m["type"] = p.Type
	m["title"] = p.Title
	m["status"] = p.Status
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	return json.Marshal(m)
}

// Denial is the answer to a request that must not reach the handler. Deny
// has already set its header fields on the Exchange (Content-Type,
// Cache-Control and the problem's Header, beside the security headers the
// Guard set before); the adapter writes Status and Body and stops the
// chain.
type Denial struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the problem's own header fields (WWW-Authenticate,
	// Retry-After, ...), already set on the Exchange; for an adapter's
	// error hook that writes its own answer. Nil when there are none.
	Header http.Header
	// Body is the problem+json body.
	Body []byte
}

// Deny sets p's header fields on x, with Content-Type problem+json and
// Cache-Control no-store, and returns the Denial to write.
func Deny(x Exchange, p *Problem) *Denial {
	for name, vs := range p.Header {
		switch len(vs) {
		case 0:
		case 1:
			x.SetHeader(name, vs[0])
		default:
			x.SetHeader(name, strings.Join(vs, ", "))
		}
	}
	x.SetHeader("Content-Type", ProblemContentType)
	x.SetHeader("Cache-Control", "no-store")
	body, err := json.Marshal(p)
	if err != nil { // only an unencodable extension value can get here
		body = []byte(`{"type":"` + TypeInternal + `","title":"Internal Server Error","status":500,"detail":"` + InternalDetail + `"}`)
		return &Denial{Status: http.StatusInternalServerError, Body: body}
	}
	return &Denial{Status: p.Status, Header: p.Header, Body: body}
}
