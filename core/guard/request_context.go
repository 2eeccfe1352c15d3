package guard

import (
	"context"
	"fmt"
	"sync/atomic"
)

// requestContext is the context a guarded request's handler runs with: the
// request's own context plus the guard's values for it — the session state
// flows use (stateKey) and who the request is (principalKey) — held in one
// allocation instead of one context.WithValue, one requestState and one
// authn each. Steps create it on first need (state.requestContext), so a
// request that needs neither, a headers-only guard's, allocates nothing
// here.
//
// It is filled while Before runs, and Before passes it on before it is
// complete (to the store, the token check, audit sinks), so what a
// goroutine started there may read is guarded: the session state is in
// place before the context is passed anywhere, and the principal is
// published once, by an atomic store after every step has let the request
// through (nothing from a refused request), and never written again.
type requestContext struct {
	context.Context

	rs       requestState
	hasState bool // set before the context is passed on

	auth    authn
	hasAuth atomic.Bool // auth is complete and final
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
		if c.hasAuth.Load() {
			return &c.auth
		}
	}
	return c.Context.Value(key)
}

// String names the context without its values, as context.WithValue's
// String does: the request's token and session cookie must never reach a
// log line that prints a context.
func (c *requestContext) String() string {
	return fmt.Sprint(c.Context) + ".WithValue(authkit guard)"
}

// GoString is String, for %#v, which would otherwise print the fields.
func (c *requestContext) GoString() string { return c.String() }

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
