package session_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/authkit-go/authkit/core/session"
)

// race runs fns at once, after a common start signal.
func race(fns ...func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, fn := range fns {
		wg.Go(func() {
			<-start
			fn()
		})
	}
	close(start)
	wg.Wait()
}

func TestConcurrency(t *testing.T) {
	const rounds, writers = 15, 4
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, m *session.Manager)
	}{
		{"two rotations: exactly one wins", func(t *testing.T, m *session.Manager) {
			s, err := m.Create(ctx, session.Meta{UserID: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := m.Load(ctx, s.ID().Secret())
			b, _ := m.Load(ctx, s.ID().Secret())
			var errA, errB error
			race(func() { errA = m.Rotate(ctx, a) }, func() { errB = m.Rotate(ctx, b) })
			if (errA == nil) == (errB == nil) {
				t.Fatalf("Rotate results %v, %v: want exactly one success", errA, errB)
			}
			winner, loserErr := a, errB
			if errA != nil {
				winner, loserErr = b, errA
			}
			if !errors.Is(loserErr, session.ErrNotFound) {
				t.Fatalf("losing Rotate: %v", loserErr)
			}
			if _, err := m.Load(ctx, winner.ID().Secret()); err != nil {
				t.Fatalf("winner's id: %v", err)
			}
			for _, dead := range []*session.Session{s, loserOf(a, b, winner)} {
				if _, err := m.Load(ctx, dead.ID().Secret()); !errors.Is(err, session.ErrNotFound) {
					t.Fatalf("old id still loads: %v", err)
				}
			}
			if list, err := m.List(ctx, "alice", nil); err != nil || len(list) != 1 || list[0].Hint != winner.Hint() {
				t.Fatalf("List = %+v, %v", list, err)
			}
		}},
		{"a rotation is never lost to concurrent saves", func(t *testing.T, m *session.Manager) {
			s, err := m.Create(ctx, session.Meta{UserID: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			copies := make([]*session.Session, writers)
			for i := range copies {
				copies[i], _ = m.Load(ctx, s.ID().Secret())
			}
			var unexpected atomic.Value
			fns := []func(){func() {
				if err := m.Rotate(ctx, s); err != nil {
					unexpected.Store(err)
				}
			}}
			for i, c := range copies {
				fns = append(fns, func() {
					for j := range 3 {
						_ = c.Set("w", i*10+j)
						if err := m.Save(ctx, c); err != nil && !errors.Is(err, session.ErrNotFound) {
							unexpected.Store(err)
						}
					}
				})
			}
			race(fns...)
			if err := unexpected.Load(); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Load(ctx, copies[0].ID().Secret()); !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("the rotated-away id came back: %v", err)
			}
			if _, err := m.Load(ctx, s.ID().Secret()); err != nil {
				t.Fatalf("the rotated id was lost: %v", err)
			}
			if list, err := m.List(ctx, "alice", nil); err != nil || len(list) != 1 {
				t.Fatalf("List = %+v, %v", list, err)
			}
		}},
		{"a destroyed session never comes back", func(t *testing.T, m *session.Manager) {
			s, err := m.Create(ctx, session.Meta{UserID: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			copies := make([]*session.Session, writers)
			for i := range copies {
				copies[i], _ = m.Load(ctx, s.ID().Secret())
			}
			fns := []func(){func() { _ = m.Destroy(ctx, s) }}
			for i, c := range copies {
				fns = append(fns, func() {
					for j := range 3 {
						_ = c.Set("w", i*10+j)
						_ = m.Save(ctx, c)
					}
					if i == 0 {
						_ = m.Rotate(ctx, c)
					}
				})
			}
			race(fns...)
			if _, err := m.Load(ctx, s.ID().Secret()); !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("destroyed id loads: %v", err)
			}
			// A rotation that won the race against Destroy is a new session; one
			// that lost must have created nothing.
			list, err := m.List(ctx, "alice", nil)
			if err != nil {
				t.Fatal(err)
			}
			live := 0
			if copies[0].Rotated() {
				live = 1
			}
			if len(list) != live {
				t.Fatalf("List has %d sessions, want %d", len(list), live)
			}
		}},
	}
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					for range rounds {
						tt.run(t, newManager(t, kind.new(t), newClock()))
					}
				})
			}
		})
	}
}

func loserOf(a, b, winner *session.Session) *session.Session {
	if winner == a {
		return b
	}
	return a
}
