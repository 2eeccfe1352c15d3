package guard

import "github.com/authkit-go/authkit/core/internal/batch"

// batchStep sends ahead, together, the store calls that the rate-limit,
// session and token steps are about to make, so that a request needing
// them costs one round trip to a Redis they share (one per node on
// Cluster, sent in parallel) instead of one each. It decides nothing: the
// steps then run in their order, each taking its answer from the batch
// (batch.Take, through the request's context), so a rate-limit refusal is
// still the answer before the session or the token is looked at, and every
// limiter fails open or closed as configured when the shared call fails.
//
// What runs ahead is what those steps would ask anyway, with three
// differences, all harmless: a request the rate limit (or the origin
// check) refuses has had its session loaded, which slides the session's
// idle timeout as any request bearing the cookie does; every limiter given
// to WithRateLimit is charged, as the limits of one RequestLimit are, even
// when an earlier one refuses; and the token's revocation keys come, for a
// token the verified-token cache does not hold, from its claims read
// before the signature is checked (token.Issuer.PrepareAuth), so that a
// refused request never costs a signature check, and an answer is used
// only for the keys of the verified claims.
//
// It is built only when at least two of those calls can share a batch
// (their stores prepare calls: the Redis stores); with memory stores it is
// not in the list and costs nothing.
type batchStep struct {
	g        *Guard
	limiters []batch.Limiter
	sessions bool
	tokens   batch.Authenticator
}

func newBatchStep(g *Guard, c *config) (step, error) {
	s := batchStep{g: g}
	for _, l := range c.limiters {
		if bl, ok := l.(batch.Limiter); ok && bl.Batches() {
			s.limiters = append(s.limiters, bl)
		}
	}
	n := len(s.limiters)
	if g.sessions != nil && g.sessions.Batches() {
		s.sessions = true
		n++
	}
	if a, ok := g.tokens.(batch.Authenticator); ok && a.Batches() {
		s.tokens = a
		n++
	}
	if n < 2 {
		return nil, nil
	}
	return s, nil
}

func (s batchStep) before(x Exchange, st state) (state, *Denial) {
	var sessRaw, tokRaw string
	hasSess, hasTok := false, false
	if s.sessions && !st.bearer { // a bearer request loads its session only when a flow asks
		sessRaw, hasSess = st.sessionCookie(s.g, x)
	}
	if s.tokens != nil {
		var bad *Problem
		tokRaw, hasTok, bad = st.presentedToken(s.g, x)
		hasTok = hasTok && bad == nil
	}
	if len(s.limiters)+btoi(hasSess)+btoi(hasTok) < 2 {
		return st, nil // one call at most (an anonymous request's rate limit): nothing to prepare
	}
	set := batch.NewSet(st.ctx)
	if len(s.limiters) > 0 {
		client := st.clientAddr(s.g, x)
		for _, l := range s.limiters {
			l.PrepareLimit(st.ctx, x, client, set)
		}
	}
	if set.Len()+btoi(hasSess)+btoi(hasTok) < 2 {
		return st, nil // one call at most: it goes alone, as it would anyway
	}
	if hasSess {
		s.g.sessions.PrepareLoad(sessRaw, set)
	}
	if hasTok {
		s.tokens.PrepareAuth(st.ctx, tokRaw, set)
	}
	if set.Send(st.ctx) {
		st.ctx, st.batch = set, set
	}
	return st, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
