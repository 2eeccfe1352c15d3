package guard

import (
	"encoding/json"
	"net/http"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object. Extra members (for example
// "errors" for a rejected password) go in Extensions and are written at the
// top level of the JSON object.
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
}

// Problem type URIs authkit uses.
const (
	TypeUnauthorized      = "urn:authkit:problem:unauthorized"
	TypeInvalidToken      = "urn:authkit:problem:invalid-token"
	TypeInvalidRequest    = "urn:authkit:problem:invalid-request"
	TypeForbidden         = "urn:authkit:problem:forbidden"
	TypeInsufficientScope = "urn:authkit:problem:insufficient-scope"
	TypeMFARequired       = "urn:authkit:problem:mfa-required"
	TypeCrossOrigin       = "urn:authkit:problem:cross-origin-request"
	TypeUnavailable       = "urn:authkit:problem:unavailable"
	TypeInternal          = "urn:authkit:problem:internal"
)

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

// Denial is the Guard's answer when a request must not reach the handler. The
// Guard has already set its headers (security headers, Content-Type,
// WWW-Authenticate) on the Exchange; the adapter writes Status and Body and
// stops the chain.
type Denial struct {
	Status int
	Body   []byte
}

// deny sets the problem's headers on x and returns the Denial to write.
func deny(x Exchange, p *Problem, challenge string) *Denial {
	if challenge != "" {
		x.SetHeader("WWW-Authenticate", challenge)
	}
	x.SetHeader("Content-Type", ProblemContentType)
	x.SetHeader("Cache-Control", "no-store")
	body, err := json.Marshal(p)
	if err != nil { // only an unencodable extension value can get here
		body = []byte(`{"type":"` + TypeInternal + `","title":"Internal Server Error","status":500}`)
		return &Denial{Status: http.StatusInternalServerError, Body: body}
	}
	return &Denial{Status: p.Status, Body: body}
}
