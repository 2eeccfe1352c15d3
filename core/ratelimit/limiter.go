package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter applies one Limit, under one name, to any number of keys kept in
// a Store. It is safe for concurrent use.
type Limiter struct {
	name     string
	limit    Limit
	interval time.Duration
	burst    int
	store    Store
	storeID  uintptr
	failOpen bool
	hits     *coalescer
}

// New returns a Limiter applying limit to the keys it is given, with its
// state in store. name is the policy's name in the RateLimit-Policy and
// RateLimit header fields and in audit events: 1–64 of A–Z a–z 0–9 _ . -,
// and distinct among the limiters sharing a store (it is part of every
// store key).
//
// A Limiter fails closed unless WithFailOpen is given.
func New(name string, limit Limit, store Store, opts ...Option) (*Limiter, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := limit.validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalidConfig)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Limiter{
		name:     name,
		limit:    limit,
		interval: limit.interval(),
		burst:    limit.burst(),
		store:    store,
		storeID:  identify(store),
		failOpen: cfg.failOpen,
		hits:     newCoalescer(cfg.audit, cfg.auditKey),
	}, nil
}

func checkName(name string) error {
	ok := len(name) >= 1 && len(name) <= 64
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
	}
	if !ok {
		return fmt.Errorf("%w: limiter name %q: want 1–64 of A–Z a–z 0–9 _ . -", ErrInvalidConfig, name)
	}
	return nil
}

var lonelyStores atomic.Uintptr

// identify returns what tells stores apart for batching: a pointer store's
// address, or a number of its own for any other (never batched with
// another limiter's, which is merely slower).
func identify(s Store) uintptr {
	if v := reflect.ValueOf(s); v.Kind() == reflect.Pointer {
		return v.Pointer()
	}
	return lonelyStores.Add(1) // far below any heap address
}

// Name returns the limiter's policy name.
func (l *Limiter) Name() string { return l.name }

// Limit returns the limit the limiter applies.
func (l *Limiter) Limit() Limit { return l.limit }

// FailsOpen reports whether the limiter admits requests when its store
// cannot decide (WithFailOpen); by default it fails closed.
func (l *Limiter) FailsOpen() bool { return l.failOpen }

// Check is one limit to apply to one key at one cost, for Decide.
type Check struct {
	// Limiter is the limit to apply.
	Limiter *Limiter
	// Key is the bucket to charge.
	Key Key
	// Cost is how many units to charge: 0 to the limit's burst.
	Cost int
}

// Check returns the check of key at cost under l, for Decide.
func (l *Limiter) Check(key Key, cost int) Check { return Check{Limiter: l, Key: key, Cost: cost} }

// Allow charges cost units to key's bucket if it holds them, and says so.
// A refusal charges nothing. Cost 0 asks without charging.
//
// The error is non-nil when the request must not go on for a reason other
// than the limit: ErrInvalidKey, ErrInvalidCost, or ErrUnavailable from a
// limiter that fails closed (the guard answers 503). A refusal by the limit
// is a Decision with Allowed false and no error.
func (l *Limiter) Allow(ctx context.Context, key Key, cost int) (Decision, error) {
	if ms, ok := l.store.(*MemoryStore); ok {
		if err := l.check(key, cost); err != nil {
			return Decision{}, err
		}
		return l.takeMemory(ctx, ms, key, cost), nil
	}
	checks := [1]Check{{Limiter: l, Key: key, Cost: cost}}
	var ds [1]Decision
	err := decide(ctx, checks[:], ds[:])
	return ds[0], err
}

// Decide applies several limits at the same point of a request (per IP and
// per account, say). Checks whose limiters share a store are decided in one
// store call, which on a single Redis server is one round trip.
//
// Each check is decided on its own: a check that admits is charged even if
// another refuses, so a client's every attempt counts against each of its
// limits (as in Envoy's rate limit service), and the result does not
// depend on how the store partitions its keys. The request may go on when
// Decisions.Allowed reports true. The error is as for Allow; Decisions
// always has one entry per check, in order.
func Decide(ctx context.Context, checks ...Check) (Decisions, error) {
	ds := make(Decisions, len(checks))
	return ds, decide(ctx, checks, ds)
}

type takeBatch struct {
	reqs []Request
	res  []Result
	idx  []int
}

var batches = sync.Pool{New: func() any { return new(takeBatch) }}

func decide(ctx context.Context, checks []Check, ds []Decision) error {
	if allMemory(checks) {
		return decideMemory(ctx, checks, ds)
	}
	b := batches.Get().(*takeBatch)
	defer batches.Put(b)
	b.reqs, b.res = b.reqs[:0], b.res[:0]
	for _, c := range checks {
		if c.Limiter == nil {
			return fmt.Errorf("%w: check without a limiter", ErrInvalidConfig)
		}
		r, err := c.Limiter.request(c.Key, c.Cost)
		if err != nil {
			return err
		}
		b.reqs = append(b.reqs, r)
		b.res = append(b.res, Result{})
	}
	var failed error
	for first := 0; first < len(checks); first++ {
		id := checks[first].Limiter.storeID
		if first > 0 && seen(checks[:first], id) {
			continue
		}
		store := checks[first].Limiter.store
		var err error
		if all(checks[first:], id) && first == 0 {
			err = store.Take(ctx, b.reqs, b.res)
		} else {
			err = takeSome(ctx, store, b, checks, first, id)
		}
		err = wrapUnavailable(err)
		for i := first; i < len(checks); i++ {
			c := checks[i]
			if c.Limiter.storeID != id {
				continue
			}
			if err != nil {
				ds[i] = Decision{Policy: c.Limiter.name, Limit: c.Limiter.limit, Allowed: c.Limiter.failOpen, Unavailable: true}
				if !c.Limiter.failOpen && failed == nil {
					failed = fmt.Errorf("ratelimit: %q: %w", c.Limiter.name, err)
				}
				continue
			}
			ds[i] = c.Limiter.decision(b.res[i], c.Cost)
			if !ds[i].Allowed {
				c.Limiter.hits.note(ctx, c.Limiter.name, c.Limiter.limit.Period, c.Key, b.res[i].Now)
			}
		}
	}
	return failed
}

// wrapUnavailable makes a store's error match ErrUnavailable.
func wrapUnavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// allMemory reports whether every check uses a MemoryStore, whose fast path
// needs no batch.
func allMemory(checks []Check) bool {
	for _, c := range checks {
		if c.Limiter == nil {
			return false
		}
		if _, ok := c.Limiter.store.(*MemoryStore); !ok {
			return false
		}
	}
	return true
}

// decideMemory is decide on memory stores: each check straight to its
// store, the key built on the stack.
func decideMemory(ctx context.Context, checks []Check, ds []Decision) error {
	for _, c := range checks {
		if err := c.Limiter.check(c.Key, c.Cost); err != nil {
			return err
		}
	}
	for i, c := range checks {
		ds[i] = c.Limiter.takeMemory(ctx, c.Limiter.store.(*MemoryStore), c.Key, c.Cost)
	}
	return nil
}

// takeMemory decides a checked request on a memory store.
func (l *Limiter) takeMemory(ctx context.Context, ms *MemoryStore, key Key, cost int) Decision {
	now, tat, allowed := ms.takeParts(l.name, key, l.interval.Microseconds(), l.burst, cost)
	if !allowed {
		l.hits.note(ctx, l.name, l.limit.Period, key, time.UnixMicro(now))
	}
	return l.decisionMicros(now, tat, allowed, cost)
}

func seen(checks []Check, id uintptr) bool {
	for _, c := range checks {
		if c.Limiter.storeID == id {
			return true
		}
	}
	return false
}

func all(checks []Check, id uintptr) bool {
	for _, c := range checks {
		if c.Limiter.storeID != id {
			return false
		}
	}
	return true
}

// takeSome decides, in one store call, the checks from first on that use
// store id, and scatters their results into b.res.
func takeSome(ctx context.Context, store Store, b *takeBatch, checks []Check, first int, id uintptr) error {
	b.idx = b.idx[:0]
	for i := first; i < len(checks); i++ {
		if checks[i].Limiter.storeID == id {
			b.idx = append(b.idx, i)
		}
	}
	reqs := make([]Request, len(b.idx))
	res := make([]Result, len(b.idx))
	for j, i := range b.idx {
		reqs[j] = b.reqs[i]
	}
	if err := store.Take(ctx, reqs, res); err != nil {
		return err
	}
	for j, i := range b.idx {
		b.res[i] = res[j]
	}
	return nil
}

// request builds the store request of key at cost. The store key is
// name NUL kind NUL value: names and kinds hold no NUL, so keys of
// different limiters or kinds never meet.
func (l *Limiter) request(key Key, cost int) (Request, error) {
	if err := l.check(key, cost); err != nil {
		return Request{}, err
	}
	return Request{Key: l.storeKey(key), Interval: l.interval, Burst: l.burst, Cost: cost}, nil
}

// check validates a key and a cost for l.
func (l *Limiter) check(key Key, cost int) error {
	if key.Kind == "" || strings.IndexByte(key.Kind, 0) >= 0 {
		return fmt.Errorf("%w: kind %q", ErrInvalidKey, key.Kind)
	}
	if cost < 0 || cost > l.burst {
		return fmt.Errorf("%w: %d for limit %q (burst %d)", ErrInvalidCost, cost, l.name, l.burst)
	}
	return nil
}

func (l *Limiter) storeKey(key Key) string {
	return l.name + "\x00" + key.Kind + "\x00" + key.Value
}

// decision turns a store's Result into the Decision for a request of cost.
func (l *Limiter) decision(r Result, cost int) Decision {
	return l.decisionMicros(r.Now.UnixMicro(), r.TAT.UnixMicro(), r.Allowed, cost)
}

// decisionMicros is decision from the store's time and the TAT in
// microseconds.
func (l *Limiter) decisionMicros(now, tat int64, allowed bool, cost int) Decision {
	iv := l.interval.Microseconds()
	tol := int64(l.burst) * iv
	d := Decision{
		Policy:     l.name,
		Limit:      l.limit,
		Allowed:    allowed,
		Remaining:  int(min(max((now+tol-tat)/iv, 0), int64(l.burst))),
		ResetAfter: time.Duration(max(tat-now, 0)) * time.Microsecond,
	}
	if !allowed {
		d.RetryAfter = time.Duration(max(tat+int64(cost)*iv-tol-now, 1)) * time.Microsecond
	}
	return d
}

// FlushAudit emits the coalesced audit events still gathering counts; call
// it on shutdown. Events are otherwise emitted once their window has passed.
func (l *Limiter) FlushAudit(ctx context.Context) { l.hits.flush(ctx) }

// Decision is the outcome of one limit for one request.
type Decision struct {
	// Policy is the limiter's name.
	Policy string
	// Limit is the limit applied.
	Limit Limit
	// Allowed reports whether the request may go on as far as this limit
	// is concerned (its units were charged).
	Allowed bool
	// Remaining is how many units the bucket holds after the decision.
	Remaining int
	// ResetAfter is how long until the bucket is full again.
	ResetAfter time.Duration
	// RetryAfter is, for a refusal, how long until the same request would
	// be admitted; 0 when Allowed.
	RetryAfter time.Duration
	// Unavailable reports that the store could not decide; Allowed then
	// says whether the limiter fails open, and the other numbers are zero.
	Unavailable bool
}

// Decisions are the decisions taken for one request.
type Decisions []Decision

// Allowed reports whether every decision admits the request.
func (ds Decisions) Allowed() bool {
	for _, d := range ds {
		if !d.Allowed {
			return false
		}
	}
	return true
}

// RetryAfter is how long until every refusing limit admits the request: the
// longest RetryAfter, 0 when all admit.
func (ds Decisions) RetryAfter() time.Duration {
	var r time.Duration
	for _, d := range ds {
		if !d.Allowed {
			r = max(r, d.RetryAfter)
		}
	}
	return r
}

// Binding returns the decision closest to its limit, the one the RateLimit
// header field reports: of the refusals, the one to wait longest for; else
// the one with the fewest remaining units (on a tie, the longest to reset).
// Decisions of an unavailable store are not candidates; ok is false when
// none is left.
func (ds Decisions) Binding() (d Decision, ok bool) {
	for _, c := range ds {
		if c.Unavailable {
			continue
		}
		if !ok || closer(c, d) {
			d, ok = c, true
		}
	}
	return d, ok
}

// closer reports whether a is closer to its limit than b.
func closer(a, b Decision) bool {
	switch {
	case a.Allowed != b.Allowed:
		return !a.Allowed
	case !a.Allowed:
		return a.RetryAfter > b.RetryAfter
	case a.Remaining != b.Remaining:
		return a.Remaining < b.Remaining
	}
	return a.ResetAfter > b.ResetAfter
}

// Err returns nil when the request may go on, an error wrapping
// ErrUnavailable when a store that fails closed could not decide, and an
// *Exceeded (matching ErrLimited) when a limit refused it.
func (ds Decisions) Err() error {
	if ds.Allowed() {
		return nil
	}
	for _, d := range ds {
		if !d.Allowed && d.Unavailable {
			return fmt.Errorf("ratelimit: %q: %w", d.Policy, ErrUnavailable)
		}
	}
	return &Exceeded{RetryAfter: ds.RetryAfter(), Decisions: ds}
}
