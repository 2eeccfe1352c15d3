package guard

import "github.com/authkit-go/authkit/core/port"

// varyStep adds Vary to every answer whose content a credential decides:
// Cookie when a cookie can authenticate (sessions, a token cookie),
// Authorization when bearer tokens do. A cache that stored one user's
// answer then never serves it for another's request (RFC 9110 §12.5.5; scs
// and the OWASP session cheat sheet do the same). It runs on every request,
// with or without the cookie: the answer to the request without one must
// say so too. A handler whose answer does not depend on them may remove
// the field.
type varyStep struct{ field field }

func newVaryStep(g *Guard, _ *config) (step, error) {
	var v string
	switch {
	case g.cookieAuth() && g.tokens != nil:
		v = "Cookie, Authorization"
	case g.cookieAuth():
		v = "Cookie"
	case g.tokens != nil:
		v = "Authorization"
	default:
		return nil, nil
	}
	g.vary = v
	return varyStep{newField("Vary", v)}, nil
}

func (s varyStep) before(x Exchange, st state) (state, *Denial) {
	addField(x, s.field)
	return st, nil
}

// field is a response header field that the guard sets on many answers,
// prepared once in every form an exchange takes: for net/http's header
// map a one-element value with no room to grow (len = cap), so that a
// later Add copies it rather than writing into it, as gin does with its
// content types; and bytes for a port.HeaderBytesExchange. Shared by every
// answer, never written to.
type field struct {
	name  string // canonical
	value []string
	bytes struct{ name, value []byte }
}

func newField(name, value string) field {
	f := field{name: name, value: []string{value}[:1:1]}
	f.bytes.name, f.bytes.value = []byte(name), []byte(value)
	return f
}

// addField adds f to the response, after what an outer middleware may
// have set in the field; a field not set yet gets f's value without an
// allocation (over net/http's header map, or as bytes).
func addField(x Exchange, f field) {
	if hx, ok := x.(headerMap); ok {
		h := hx.ResponseHeader()
		if len(h[f.name]) == 0 {
			h[f.name] = f.value
		} else {
			h[f.name] = append(h[f.name], f.value[0])
		}
		return
	}
	if old := x.ResponseHeaderValue(f.name); old != "" {
		x.SetHeader(f.name, old+", "+f.value[0])
		return
	}
	setField(x, f)
}

// setField sets f on the response, replacing what the field held; without
// an allocation over net/http's header map or as bytes, as addField.
func setField(x Exchange, f field) {
	if hx, ok := x.(headerMap); ok {
		hx.ResponseHeader()[f.name] = f.value
		return
	}
	if bx, ok := x.(port.HeaderBytesExchange); ok {
		bx.SetHeaderBytes(f.bytes.name, f.bytes.value)
		return
	}
	x.SetHeader(f.name, f.value[0])
}
