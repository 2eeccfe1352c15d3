package ratelimit

import (
	"context"
	"net/netip"

	"github.com/authkit-go/authkit/core/internal/batch"
	"github.com/authkit-go/authkit/core/port"
)

// takePreparer is a Store that can prepare a Take for the guard's batch
// (redisstore.Store).
type takePreparer interface {
	PrepareTake(reqs []Request) batch.Op // keeps reqs
}

// Batches reports whether any of the limits' stores can prepare its
// decision ahead of the request's steps (see PrepareLimit): the guard
// asks, and batches only what can be.
func (rl *RequestLimit) Batches() bool {
	for _, b := range rl.limits {
		if _, ok := b.l.store.(takePreparer); ok {
			return true
		}
	}
	return false
}

// PrepareLimit adds to s the store calls that LimitRequest(ctx, x, client,
// port.Principal{}, false) will make — what the guard's rate-limit step
// asks — for the guard, which sends them ahead with the request's other
// store calls (the session load, the revocation check) and then runs its
// steps with s's context, the rate limit first: a refusal is still the
// answer before anything else is decided. Its KeyFuncs are called again
// then, and a store takes the prepared answer only for the same requests.
// The Set comes from an internal package: applications do not call it.
func (rl *RequestLimit) PrepareLimit(_ context.Context, x port.Exchange, client netip.Addr, s *batch.Set) {
	if !rl.applies(x.Method(), x.Path()) {
		return
	}
	var buf [maxInline]Check
	prepare(rl.checks(buf[:0], x, client, port.Principal{}, false), s)
}

// prepare adds to s the store calls decide(checks) will make: for each
// store, in the order of its first check, the requests of its checks, in
// order (decide's Take or takeSome); only for stores that can prepare
// them. Checks decide would refuse (a bad key or cost) add nothing.
func prepare(checks []Check, s *batch.Set) {
	if allMemory(checks) {
		return
	}
	reqs := make([]Request, 0, len(checks)) // kept by the op
	for _, c := range checks {
		r, err := c.Limiter.request(c.Key, c.Cost)
		if err != nil {
			return
		}
		reqs = append(reqs, r)
	}
	for first, c := range checks {
		id := c.Limiter.storeID
		if seen(checks[:first], id) {
			continue
		}
		tp, ok := c.Limiter.store.(takePreparer)
		if !ok {
			continue
		}
		if first == 0 && all(checks, id) {
			s.Add(tp.PrepareTake(reqs))
			return
		}
		var sub []Request
		for i := first; i < len(checks); i++ {
			if checks[i].Limiter.storeID == id {
				sub = append(sub, reqs[i])
			}
		}
		s.Add(tp.PrepareTake(sub))
	}
}
