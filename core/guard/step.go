package guard

import (
	"context"
	"net/netip"

	"github.com/authkit-go/authkit/core/internal/batch"
)

// step is one protection that Before runs. New builds the Guard's steps
// from the options, in the fixed order of steps below; a step that is not
// configured is not in the list at all, so it costs nothing per request.
//
// A step gets the request and the state the steps before it left, and
// returns the state for the next one or, to refuse the request, a denial
// (built with port.Deny, usually from ProblemFor). The state travels by
// value: a pointer passed through an interface call would escape and cost
// every request an allocation.
type step interface {
	before(x Exchange, st state) (state, *Denial)
}

// state is what the steps of one Before call pass along.
type state struct {
	// ctx is the context the handler will run with.
	ctx context.Context
	// auth is who the request is, once a step authenticated it (set by
	// state.authenticate); Before puts it into ctx after the last step.
	auth *authn
	// rc is the request's requestContext once a step needed it.
	rc *requestContext
	// bearer reports that the request presents an Authorization header
	// with the Bearer scheme (well-formed or not) and the guard takes
	// bearer tokens; such a request is authenticated by its token alone.
	bearer bool
	// batch holds the store calls the batch step sent ahead; Before closes
	// it after the last step, so the handler's store calls ask for
	// themselves.
	batch *batch.Set
	// read is what the batch step read from the request, for the steps
	// after it (cookies are parsed afresh on every lookup).
	read requestRead
}

// requestRead is the client address, the session cookie and the bearer
// token of a request, once read.
type requestRead struct {
	client, session, token bool // read already

	clientAddr netip.Addr

	sessionRaw string
	sessionOK  bool

	tokenRaw string
	tokenOK  bool
	tokenBad *Problem
}

// clientAddr returns the request's client address, as Guard.clientAddr
// does.
func (st *state) clientAddr(g *Guard, x Exchange) netip.Addr {
	if !st.read.client {
		st.read.client = true
		st.read.clientAddr = g.clientAddr(x)
	}
	return st.read.clientAddr
}

// sessionCookie returns the session cookie's value, as x.Cookie does.
func (st *state) sessionCookie(g *Guard, x Exchange) (string, bool) {
	if !st.read.session {
		st.read.session = true
		st.read.sessionRaw, st.read.sessionOK = x.Cookie(g.sessions.CookieName())
	}
	return st.read.sessionRaw, st.read.sessionOK
}

// presentedToken returns the request's bearer token, as
// Guard.presentedToken does.
func (st *state) presentedToken(g *Guard, x Exchange) (string, bool, *Problem) {
	if !st.read.token {
		st.read.token = true
		st.read.tokenRaw, st.read.tokenOK, st.read.tokenBad = g.presentedToken(x)
	}
	return st.read.tokenRaw, st.read.tokenOK, st.read.tokenBad
}

// newStep builds one step from the configuration, or returns nil when the
// options leave it out.
type newStep func(g *Guard, c *config) (step, error)

// steps is the order of the protections (see Guard). A feature that acts
// on every request adds its constructor here, at its place, and a With…
// option that configures it; Before itself never changes.
var steps = []newStep{
	newHeadersStep,      // security headers, on every answer
	newVaryStep,         // Vary: Cookie / Authorization
	newBatchStep,        // sends the store calls of the next steps ahead, together: one round trip to a shared Redis
	newRateLimitStep,    // limits by client address: after the headers, so a 429 carries them, before anything else costs a round trip
	newOriginStep,       // CSRF: cross-origin unsafe requests
	newSessionStep,      // the session cookie
	newRefreshStateStep, // request state for the refresh cookie, when no sessions keep it
	newTokenStep,        // the bearer token; its principal replaces a session's
	newNoStoreStep,      // Cache-Control: no-store on authenticated answers
}
