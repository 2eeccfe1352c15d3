package guard

// varyStep adds Vary to every answer whose content a credential decides:
// Cookie when a cookie can authenticate (sessions, a token cookie),
// Authorization when bearer tokens do. A cache that stored one user's
// answer then never serves it for another's request (RFC 9110 §12.5.5; scs
// and the OWASP session cheat sheet do the same). It runs on every request,
// with or without the cookie: the answer to the request without one must
// say so too. A handler whose answer does not depend on them may remove
// the field.
type varyStep struct {
	value []string // one element; shared by every answer, never written to
}

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
	return varyStep{value: []string{v}}, nil
}

func (s varyStep) before(x Exchange, st state) (state, *Denial) {
	addField(x, "Vary", s.value)
	return st, nil
}

// addField adds the one-element value to the response header field name
// (in canonical form), after what an outer middleware may have set. Over
// net/http's header map a field not set yet gets value itself, without an
// allocation: value has no room to grow (len = cap), so a later Add copies
// it rather than writing into it, as gin does with its content types.
func addField(x Exchange, name string, value []string) {
	if hx, ok := x.(headerMap); ok {
		h := hx.ResponseHeader()
		if len(h[name]) == 0 {
			h[name] = value[:1:1]
		} else {
			h[name] = append(h[name], value[0])
		}
		return
	}
	if old := x.ResponseHeaderValue(name); old != "" {
		x.SetHeader(name, old+", "+value[0])
		return
	}
	x.SetHeader(name, value[0])
}

// setField sets the response header field name (in canonical form) to the
// one-element value, replacing what it held; without an allocation over
// net/http's header map, as addField.
func setField(x Exchange, name string, value []string) {
	if hx, ok := x.(headerMap); ok {
		hx.ResponseHeader()[name] = value[:1:1]
		return
	}
	x.SetHeader(name, value[0])
}
