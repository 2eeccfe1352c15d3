// Package audittest records audit events for tests: pass a *Recorder as
// the audit sink (WithAudit options) and read back what was emitted.
//
//	rec := &audittest.Recorder{}
//	m, _ := session.New(session.WithAudit(rec))
//	...
//	if rec.Count(audit.SessionCreated) != 1 { t.Error(...) }
package audittest

import (
	"context"
	"sync"

	"github.com/authkit-go/authkit/core/audit"
)

// Recorder is an audit.Sink that keeps every event. Its zero value is
// ready to use; it is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []audit.Event
}

// Emit implements audit.Sink.
func (r *Recorder) Emit(_ context.Context, e audit.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns a copy of the events recorded so far, in order.
func (r *Recorder) Events() []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]audit.Event(nil), r.events...)
}

// Of returns the events of kind k, in order.
func (r *Recorder) Of(k audit.Kind) []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []audit.Event
	for _, e := range r.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// Count returns how many events of kind k were recorded.
func (r *Recorder) Count(k audit.Kind) int { return len(r.Of(k)) }

// Reset forgets every event recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
}
