package ratelimit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"github.com/authkit-go/authkit/core/audit"
)

// maxPendingHits bounds the keys a coalescer gathers counts for; refusals
// of further keys in the meantime are counted under one "overflow" event.
const maxPendingHits = 10_000

// coalescer turns refusals into audit.RateLimitHit events, one per policy
// and key per window (the limit's period, on the store's clock) with the
// number of refusals in it. A window's event is emitted when a later refusal
// finds it passed, when a timer finds it passed (so a quiet server still
// reports), or on flush.
type coalescer struct {
	sink audit.Sink
	key  []byte

	mu      sync.Mutex
	pending map[string]*pendingHit
	// last is the latest store time seen, and seen the local monotonic
	// time it was seen at, so the timer can tell the store's time.
	last  time.Time
	seen  time.Time
	timer *time.Timer
	// nextSweep is when note next looks at every pending event: at most
	// once a second (store time), so a flood of refusals stays cheap.
	nextSweep time.Time
}

type pendingHit struct {
	ev  audit.Event
	end time.Time
}

func newCoalescer(sink audit.Sink, key []byte) *coalescer {
	return &coalescer{sink: sink, key: key, pending: make(map[string]*pendingHit)}
}

// keyHandle is what an audit event says of a key: its kind and a keyed
// hash of its value (96 bits, base64url).
func (c *coalescer) keyHandle(k Key) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(k.Kind))
	m.Write([]byte{0})
	m.Write([]byte(k.Value))
	var sum [sha256.Size]byte
	return k.Kind + ":" + base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0])[:12])
}

// note counts one refusal of key under policy at the store's time now.
func (c *coalescer) note(ctx context.Context, policy string, window time.Duration, k Key, now time.Time) {
	handle := c.keyHandle(k)
	id := policy + "\x00" + handle
	var due []audit.Event
	c.mu.Lock()
	c.last, c.seen = now, time.Now()
	if !now.Before(c.nextSweep) {
		due = c.expiredLocked(now, due)
		c.nextSweep = now.Add(time.Second)
	}
	p := c.pending[id]
	if p != nil && !now.Before(p.end) {
		due = append(due, p.ev)
		delete(c.pending, id)
		p = nil
	}
	switch {
	case p != nil:
		p.ev.Count++
	case len(c.pending) >= maxPendingHits:
		id = policy + "\x00overflow"
		if p := c.pending[id]; p != nil {
			p.ev.Count++
			break
		}
		handle = "overflow"
		k = Key{}
		fallthrough
	default:
		ev := audit.Event{Kind: audit.RateLimitHit, Time: now, Limit: policy, Key: handle, Count: 1}
		if k.Kind == KindIP {
			ev.IP = k.Value
		}
		c.pending[id] = &pendingHit{ev: ev, end: now.Add(window)}
		if c.timer == nil {
			c.timer = time.AfterFunc(window, c.tick)
		}
	}
	c.mu.Unlock()
	c.emit(ctx, due)
}

// expiredLocked removes the pending events whose window has ended by now
// and appends them to due.
func (c *coalescer) expiredLocked(now time.Time, due []audit.Event) []audit.Event {
	for id, p := range c.pending {
		if !now.Before(p.end) {
			due = append(due, p.ev)
			delete(c.pending, id)
		}
	}
	return due
}

// tick runs on the timer: it emits what has passed by the store's
// estimated time, and re-arms while events are pending.
func (c *coalescer) tick() {
	c.mu.Lock()
	now := c.last.Add(time.Since(c.seen))
	due := c.expiredLocked(now, nil)
	c.timer = nil
	var next time.Duration
	for _, p := range c.pending {
		if d := p.end.Sub(now); next == 0 || d < next {
			next = d
		}
	}
	if len(c.pending) > 0 {
		c.timer = time.AfterFunc(max(next, time.Second), c.tick)
	}
	c.mu.Unlock()
	c.emit(context.Background(), due)
}

// flush emits every pending event.
func (c *coalescer) flush(ctx context.Context) {
	c.mu.Lock()
	due := make([]audit.Event, 0, len(c.pending))
	for id, p := range c.pending {
		due = append(due, p.ev)
		delete(c.pending, id)
	}
	c.mu.Unlock()
	c.emit(ctx, due)
}

func (c *coalescer) emit(ctx context.Context, evs []audit.Event) {
	for _, ev := range evs {
		c.sink.Emit(ctx, ev)
	}
}
