package ratelimit

import (
	"context"
	"time"
)

// Store keeps the state of GCRA buckets: one instant per key, its
// theoretical arrival time (TAT). The memory store (NewMemoryStore) and the
// Redis store (package redisstore) implement it; a third-party store proves
// itself with package storetest.
//
// For each Request a store computes, in whole microseconds and on its own
// clock (now):
//
//	tat     = max(stored TAT of Key, now)        // no state: now
//	if Cost >= 0:
//	    next    = tat + Cost×Interval
//	    allowed = next − Burst×Interval <= now
//	    if allowed { store next }               // a refusal changes nothing
//	else:                                        // a refund
//	    next    = max(tat + Cost×Interval, now); allowed = true; store next
//	Result  = {Allowed: allowed, Now: now, TAT: next if allowed, else tat}
//
// A stored TAT at or before now is the same as no state, so a store may
// forget a key once its TAT has passed (the Redis store sets it as the key's
// expiry). Cost 0 reads without writing.
type Store interface {
	// Take decides reqs in order and writes one Result per Request into
	// res, which has the same length. Each Request is decided atomically
	// with respect to its key; two Requests for the same key in one call
	// see each other in order. An error means nothing can be said about any
	// Request of the call; a Store wraps ErrUnavailable in it.
	Take(ctx context.Context, reqs []Request, res []Result) error
}

// Request is one GCRA step for a Store (see Store for the arithmetic).
type Request struct {
	// Key names the bucket. Any bytes.
	Key string
	// Group names the keys that are decided together, so a store that
	// partitions (Redis Cluster) keeps them in one place. "" means Key. A
	// key must always come with the same Group: a store may use it to
	// find the key.
	Group string
	// Interval is the emission interval (Period/Rate), a whole number of
	// microseconds, at least one.
	Interval time.Duration
	// Burst is how many units the bucket holds. At least 1.
	Burst int
	// Cost is how many units the request spends. Negative gives units back
	// (never beyond a full bucket).
	Cost int
}

// Result is a Store's answer to one Request.
type Result struct {
	// Allowed reports whether the units were spent.
	Allowed bool
	// Now is the store's clock when it decided, to the microsecond.
	Now time.Time
	// TAT is the key's theoretical arrival time after the decision.
	TAT time.Time
}

// step is the GCRA step of one request in microseconds (see Store): it
// returns the TAT after the decision and whether the request was admitted.
// stored <= now means no state.
func step(stored, now, interval int64, burst, cost int) (int64, bool) {
	tat := max(stored, now)
	inc := int64(cost) * interval
	next := tat + inc
	if cost < 0 {
		return max(next, now), true
	}
	if next-int64(burst)*interval > now {
		return tat, false
	}
	return next, true
}
