package guard

import (
	"strings"

	"github.com/authkit-go/authkit/core/session"
)

// WithSessions loads the request's session from its cookie before the
// handler and saves it after (see SessionFrom, StartSession, SignIn,
// SignOut). A session bound to a user authenticates the request. Turning
// sessions on also turns on the origin check for unsafe requests that no
// bearer token authenticates. Given together with WithTokens(issuer), the
// issuer and m are linked (token.Issuer.LinkSessions,
// session.Manager.LinkTokens): a session signed in with a Principal.Family
// and that refresh family end together. Default: no sessions.
func WithSessions(m *session.Manager) Option {
	return func(c *config) error {
		if m == nil {
			return invalidConfig("nil session manager")
		}
		c.sessions = m
		return nil
	}
}

// sessionStep reads the request's session from its cookie. A missing,
// malformed, unknown or expired id yields no session (never the id the
// client sent); a new one is created only when a flow starts one, so a
// flood of forged cookies costs no store writes.
//
// When the request also presents a bearer token, the token decides who the
// request is, so the session is loaded only if a flow asks for it
// (SessionFrom, StartSession, SignIn, SignOut): such a request costs one
// store round trip, not two.
type sessionStep struct{ g *Guard }

func newSessionStep(g *Guard, _ *config) (step, error) {
	if g.sessions == nil {
		return nil, nil
	}
	return sessionStep{g}, nil
}

func (s sessionStep) before(x Exchange, st state) (state, *Denial) {
	rs := st.startRequestState(s.g, x)
	raw, ok := st.sessionCookie(s.g, x)
	if !ok {
		return st, nil
	}
	if st.bearer {
		rs.pending = strings.Clone(raw) // fiber reuses the buffer after the handler
		return st, nil
	}
	if p, ok := rs.load(st.ctx, raw); ok {
		st.authenticate(authn{p: p})
	}
	return st, nil
}
