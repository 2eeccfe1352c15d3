package guard

import "context"

// requestContext is the context a guarded request's handler runs with: the
// request's own context plus the guard's values for it — the session state
// flows use (stateKey) and who the request is (principalKey) — held in one
// allocation instead of one context.WithValue, one requestState and one
// authn each. Steps create it on first need (state.requestContext), so a
// request that needs neither, a headers-only guard's, allocates nothing
// here.
//
// It is filled while Before runs, on one goroutine, and only read after:
// the values appear in lookups once set (hasState, hasAuth), never
// change afterwards, and the principal only once every step has passed.
type requestContext struct {
	context.Context

	rs       requestState
	hasState bool

	auth    authn
	hasAuth bool
}

// Value answers the guard's keys from the request context and every other
// key from the context it wraps.
func (c *requestContext) Value(key any) any {
	switch key.(type) {
	case stateKey:
		if c.hasState {
			return &c.rs
		}
	case principalKey:
		if c.hasAuth {
			return &c.auth
		}
	}
	return c.Context.Value(key)
}

// requestContext returns the request's requestContext, wrapping st.ctx in
// a new one the first time a step asks.
func (st *state) requestContext() *requestContext {
	if st.rc == nil {
		st.rc = &requestContext{Context: st.ctx}
		st.ctx = st.rc
	}
	return st.rc
}

// startRequestState puts the request's session state into its context and
// returns it.
func (st *state) startRequestState(g *Guard, x Exchange) *requestState {
	rc := st.requestContext()
	rc.rs.g, rc.rs.x = g, x
	rc.hasState = true
	return &rc.rs
}

// authenticate records who the request is; Before publishes it in the
// context once every step has let the request through.
func (st *state) authenticate(a authn) {
	rc := st.requestContext()
	rc.auth = a
	st.auth = &rc.auth
}
