package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Policy names of a LoginThrottle's limits.
const (
	// PolicyAccount is the per-account limit of every sign-in attempt.
	PolicyAccount = "account"
	// PolicyKnownClient is the limit of a known client's own attempts at an
	// account whose bucket is empty.
	PolicyKnownClient = "known-client"
)

// policyKnownMark is the internal bucket recording that a client signed in
// to an account; it never appears in header fields.
const policyKnownMark = "known-mark"

// LoginThrottle limits sign-in attempts per account without letting a
// stranger lock the account's owner out.
//
// Every attempt for a name is charged to the account's bucket, keyed by
// NormalizeUsername, whether the account exists or not, so a refusal
// never tells whether it does. Call Begin once the username is parsed and
// before the password is checked; call Attempt.Succeeded when it matched.
//
// The anti-lockout rule: when the account's bucket is empty, a client that
// has signed in to this account successfully before (within WithKnownFor) may
// still try, charged to a bucket of its own for this account
// (PolicyKnownClient); every other client is refused. A stranger who
// hammers the account thus empties only the account's bucket and his own:
// the owner, from a device or network that signed in before, gets in with
// the right password. What counts as "a client" is the caller's choice:
// the value of a device cookie set at sign-in (best: a stranger cannot
// forge it) or the client's network (IPKey(addr).Value: a stranger behind
// the owner's NAT then shares the owner's known-client bucket). An empty
// client is never known. The owner's first sign-in from a new client while
// the account is under attack still waits for the account's bucket.
//
// A LoginThrottle fails closed unless WithFailOpen is given: with the
// store down, Begin returns an error wrapping ErrUnavailable (answer 503).
type LoginThrottle struct {
	account, known, mark *Limiter
	success, failure     int
}

// NewLoginThrottle returns a throttle charging attempts to per-account
// buckets of limit perAccount in store (e.g. PerMinute(5)). Options:
// WithCosts, WithKnownClientLimit, WithKnownFor, WithAudit, WithAuditKey,
// WithFailOpen. In store it takes the limiter names "account",
// "known-client" and "known-mark": give other limiters on the same store
// other names.
func NewLoginThrottle(store Store, perAccount Limit, opts ...Option) (*LoginThrottle, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	knownLimit := perAccount
	if cfg.knownLimit != nil {
		knownLimit = *cfg.knownLimit
	}
	if cfg.knownFor < 2*time.Second || cfg.knownFor%(2*time.Second) != 0 {
		return nil, fmt.Errorf("%w: known-for %v must be a positive whole number of seconds, even", ErrInvalidConfig, cfg.knownFor)
	}
	t := &LoginThrottle{success: cfg.successCost, failure: cfg.failureCost}
	// The mark is a bucket of two units refilled one per knownFor/2: each
	// success spends a unit when one is there, so a client stays known
	// between knownFor/2 and knownFor after its latest success.
	mark := Limit{Rate: 1, Period: cfg.knownFor / 2, Burst: 2}
	// One audit key for all three, so an account's events match.
	opts = append(opts[:len(opts):len(opts)], WithAuditKey(cfg.auditKey))
	for _, l := range []struct {
		to    **Limiter
		name  string
		limit Limit
	}{{&t.account, PolicyAccount, perAccount}, {&t.known, PolicyKnownClient, knownLimit}, {&t.mark, policyKnownMark, mark}} {
		if *l.to, err = New(l.name, l.limit, store, opts...); err != nil {
			return nil, err
		}
	}
	t.known.hits, t.mark.hits = t.account.hits, t.account.hits
	if t.success < 0 || t.failure < 1 || t.success > t.failure || t.failure > t.account.burst || t.failure > t.known.burst {
		return nil, fmt.Errorf("%w: costs %d (success), %d (failure): want 0 <= success <= failure, 1 <= failure <= the bursts (%d, %d)",
			ErrInvalidConfig, t.success, t.failure, t.account.burst, t.known.burst)
	}
	return t, nil
}

// FailsOpen reports whether the throttle admits attempts when its store
// cannot decide (WithFailOpen); by default it fails closed.
func (t *LoginThrottle) FailsOpen() bool { return t.account.failOpen }

// Limit returns the per-account limit.
func (t *LoginThrottle) Limit() Limit { return t.account.limit }

// Attempt is one sign-in attempt begun by LoginThrottle.Begin.
type Attempt struct {
	t           *LoginThrottle
	account     Key
	client      string
	allowed     bool
	ds          Decisions
	charged     [2]bool // account, known client
	unavailable bool
	done        bool
}

// Begin charges a sign-in attempt for username from client (see
// LoginThrottle for what a client is) and says whether it may go on. It
// costs one store call; a second one only when the account's bucket is empty
// and the client is known.
//
// The error is non-nil when the attempt must not go on for a reason other
// than the limit (ErrUnavailable from a throttle that fails closed). A
// refusal by the limit is an Attempt with Allowed false and no error;
// Attempt.Err turns it into an *Exceeded.
func (t *LoginThrottle) Begin(ctx context.Context, username, client string) (*Attempt, error) {
	a := &Attempt{t: t, account: AccountKey(username), client: client}
	group := t.account.storeKey(a.account)
	acct, err := t.account.request(a.account, t.failure)
	if err != nil {
		return nil, err
	}
	acct.Group = group
	reqs := []Request{acct}
	if client != "" {
		mark, err := t.mark.request(a.knownKey(), 0)
		if err != nil {
			return nil, err
		}
		mark.Group = group
		reqs = append(reqs, mark)
	}
	res := make([]Result, len(reqs))
	if err := t.account.store.Take(ctx, reqs, res); err != nil {
		return a, a.unavailableErr(err)
	}
	d := t.account.decision(res[0], t.failure)
	a.charged[0] = d.Allowed
	a.ds = Decisions{d}
	if d.Allowed {
		a.allowed = true
		return a, nil
	}
	known := client != "" && res[1].TAT.After(res[1].Now)
	if !known {
		t.account.hits.note(ctx, PolicyAccount, t.account.limit.Period, a.account, res[0].Now)
		return a, nil
	}
	// The account's bucket is empty, but this client signed in before:
	// it may try on its own bucket.
	kr, err := t.known.request(a.knownKey(), t.failure)
	if err != nil {
		return nil, err
	}
	kr.Group = group
	reqs, res = reqs[:1], res[:1]
	reqs[0] = kr
	if err := t.known.store.Take(ctx, reqs, res); err != nil {
		return a, a.unavailableErr(err)
	}
	kd := t.known.decision(res[0], t.failure)
	a.charged[1] = kd.Allowed
	a.allowed = kd.Allowed
	switch {
	case kd.Allowed:
		a.ds = Decisions{kd}
	case kd.RetryAfter < d.RetryAfter:
		// Either bucket lets the client in again: report the sooner.
		a.ds = Decisions{kd}
		fallthrough
	default:
		t.known.hits.note(ctx, PolicyKnownClient, t.known.limit.Period, a.account, res[0].Now)
	}
	return a, nil
}

// knownKey is the key of this client's history with this account. Its kind
// is the account's, so audit events name it an account key.
func (a *Attempt) knownKey() Key {
	return Key{Kind: KindAccount, Value: a.account.Value + "\x00" + a.client}
}

func (a *Attempt) unavailableErr(err error) error {
	t := a.t
	a.unavailable = true
	a.allowed = t.account.failOpen
	a.ds = Decisions{{Policy: PolicyAccount, Limit: t.account.limit, Allowed: a.allowed, Unavailable: true}}
	if a.allowed {
		return nil
	}
	return fmt.Errorf("ratelimit: %q: %w", PolicyAccount, wrapUnavailable(err))
}

// Allowed reports whether the attempt may go on to check the password.
func (a *Attempt) Allowed() bool { return a.allowed }

// Decisions returns the decision that admitted or refused the attempt, for
// the header fields (Decisions.Fields): the account's, or the known
// client's when that one decided.
func (a *Attempt) Decisions() Decisions { return a.ds }

// Err returns nil when the attempt may go on, else the error to answer with
// (an *Exceeded, or one wrapping ErrUnavailable).
func (a *Attempt) Err() error { return a.ds.Err() }

// Succeeded reports that the password matched: it gives back what a failure
// costs more than a success, and marks the client known to the account. It
// costs one store call. Call it at most once, and only for an allowed
// attempt; other calls do nothing.
func (a *Attempt) Succeeded(ctx context.Context) error {
	if !a.allowed || a.unavailable || a.done {
		return nil
	}
	a.done = true
	t := a.t
	group := t.account.storeKey(a.account)
	var reqs []Request
	if refund := t.success - t.failure; refund < 0 {
		for i, l := range []*Limiter{t.account, t.known} {
			if !a.charged[i] {
				continue
			}
			key := a.account
			if i == 1 {
				key = a.knownKey()
			}
			// request refuses negative costs; a refund is built here.
			reqs = append(reqs, Request{Key: l.storeKey(key), Group: group, Interval: l.interval, Burst: l.burst, Cost: refund})
		}
	}
	if a.client != "" {
		mark, err := t.mark.request(a.knownKey(), 1)
		if err != nil {
			return err
		}
		mark.Group = group
		reqs = append(reqs, mark)
	}
	if len(reqs) == 0 {
		return nil
	}
	if err := t.account.store.Take(ctx, reqs, make([]Result, len(reqs))); err != nil {
		return fmt.Errorf("ratelimit: recording a sign-in: %w", wrapUnavailable(err))
	}
	return nil
}

// FlushAudit emits the coalesced audit events still gathering counts; call
// it on shutdown.
func (t *LoginThrottle) FlushAudit(ctx context.Context) {
	t.account.hits.flush(ctx)
	t.known.hits.flush(ctx)
}
