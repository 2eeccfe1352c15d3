// Package batch lets the store calls of one request go out together: the
// guard asks the rate limiter, the session manager and the token issuer to
// prepare the calls their steps will make (Op), sends the ops of each
// Sender at once (one pipeline: one Redis round trip, one per node on
// Cluster), and runs its steps as before. A store that finds its prepared
// op in the context (Take) reads the answer from it instead of asking
// again; any call that finds none asks as usual, so nothing depends on the
// batch for correctness, only for speed.
//
// The package names no store: it imports neither go-redis nor the
// features, so the guard can use it and a headers-only program still links
// none of them. The Redis stores' side is core/internal/redisbatch.
package batch

import (
	"context"
	"net/netip"

	"github.com/authkit-go/authkit/core/port"
)

// Op is one prepared store call, sent with the other ops of its Sender.
type Op interface {
	// Sender returns what sends the op. Ops whose Senders are equal (==)
	// go out together; Senders must be comparable.
	Sender() Sender
}

// Sender sends ops together. Each op keeps its own outcome (a reply or an
// error) for the store call that takes it.
type Sender interface {
	Send(ctx context.Context, ops []Op)
}

// Limiter is a port.RequestLimiter that can prepare its store calls
// (*ratelimit.RequestLimit).
type Limiter interface {
	// Batches reports whether any of its stores prepares calls.
	Batches() bool
	// PrepareLimit adds to s the store calls LimitRequest(ctx, x, client,
	// zero principal, false) will make.
	PrepareLimit(ctx context.Context, x port.Exchange, client netip.Addr, s *Set)
}

// Authenticator is a port.Authenticator that can prepare its store calls
// (*token.Issuer).
type Authenticator interface {
	// Batches reports whether its store prepares calls.
	Batches() bool
	// PrepareAuth adds to s the store call AuthenticatePrincipal(ctx, raw)
	// will make, when it can tell which one without costly work.
	PrepareAuth(ctx context.Context, raw string, s *Set)
}

// inline is how many ops a Set holds without allocating more.
const inline = 4

// opState is where an op of a Set stands.
type opState uint8

const (
	prepared opState = iota // added, not sent
	sent                    // sent: its answer waits for its store call
	taken                   // its store call took the answer
)

// Set is the ops prepared for one request, and the context that carries
// them to the store calls (one allocation for both).
type Set struct {
	context.Context
	ops    []Op
	states []opState
	buf    [inline]Op
	sbuf   [inline]opState
	group  [inline]Op // the ops of one Send
	closed bool
}

type setKey struct{}

// NewSet returns an empty Set over ctx.
func NewSet(ctx context.Context) *Set {
	s := &Set{Context: ctx}
	s.ops, s.states = s.buf[:0], s.sbuf[:0]
	return s
}

// Value implements context.Context.
func (s *Set) Value(key any) any {
	if key == (setKey{}) {
		return s
	}
	return s.Context.Value(key)
}

// Add adds op; a nil op, or one without a Sender, is ignored.
func (s *Set) Add(op Op) {
	if op != nil && op.Sender() != nil {
		s.ops = append(s.ops, op)
		s.states = append(s.states, prepared)
	}
}

// Len reports how many ops s holds.
func (s *Set) Len() int { return len(s.ops) }

// Send sends the ops, one Send per Sender, in the order of each Sender's
// first op, and drops every op whose Sender has no other: sending it alone
// would cost its store call's round trip all the same, so the call makes
// it itself. It reports whether anything was sent.
func (s *Set) Send(ctx context.Context) bool {
	didSend := false
	var ibuf [inline]int
	for i, op := range s.ops {
		if s.states[i] != prepared {
			continue
		}
		sender := op.Sender()
		g, idx := s.group[:0], ibuf[:0]
		for j := i; j < len(s.ops); j++ {
			if s.states[j] == prepared && s.ops[j].Sender() == sender {
				g, idx = append(g, s.ops[j]), append(idx, j)
			}
		}
		if len(g) < 2 {
			s.states[i] = taken // never found: its store call asks itself
			continue
		}
		sender.Send(ctx, g)
		for _, j := range idx {
			s.states[j] = sent
		}
		didSend = true
	}
	return didSend
}

// Close ends the set: from now on Take finds nothing, so a store call the
// handler makes with the request's context asks the store again. A nil Set
// is closed already.
func (s *Set) Close() {
	if s != nil {
		s.closed = true
	}
}

// Take returns the first op of type T in the Set of ctx for which match
// is true, sent and not taken yet, and marks it taken.
func Take[T Op](ctx context.Context, match func(T) bool) (T, bool) {
	var zero T
	s, _ := ctx.Value(setKey{}).(*Set)
	if s == nil || s.closed {
		return zero, false
	}
	for i, op := range s.ops {
		if s.states[i] != sent {
			continue
		}
		if t, ok := op.(T); ok && match(t) {
			s.states[i] = taken
			return t, true
		}
	}
	return zero, false
}
