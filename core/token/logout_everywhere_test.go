package token

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// logoutTrialIssuers returns issuers sharing keys and one store; each reads
// its own clock.
func logoutTrialIssuers(t *testing.T, st tokenstore.Store, clocks ...func() time.Time) []*Issuer {
	t.Helper()
	keys, err := NewKeySet(testKey(t, ES256))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*Issuer, len(clocks))
	for i, now := range clocks {
		if out[i], err = NewIssuer(keys, WithClock(now), WithStore(st), WithAudit(&recordingSink{})); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// makeStore returns store(now), or a memory store when store is nil (as
// forEachStore hands it out).
func makeStore(store func(func() time.Time) tokenstore.Store, now func() time.Time) tokenstore.Store {
	if store == nil {
		return tokenstore.NewMemoryStore(tokenstore.WithClock(now))
	}
	return store(now)
}

// familyAlive reports whether the thief's newest pair still works: its
// refresh token refreshes or its access token authenticates.
func familyAlive(t *testing.T, iss *Issuer, p Pair) bool {
	t.Helper()
	ctx := context.Background()
	_, aerr := iss.Authenticate(ctx, p.AccessToken)
	if aerr != nil && !errors.Is(aerr, ErrRevoked) {
		t.Fatalf("Authenticate: %v", aerr)
	}
	_, rerr := iss.Refresh(ctx, p.RefreshToken)
	if rerr != nil && !errors.Is(rerr, ErrRevoked) && !errors.Is(rerr, ErrReused) {
		t.Fatalf("Refresh: %v", rerr)
	}
	return aerr == nil || rerr == nil
}

// Issue 9, finding 1, first reproduction: two issuers on one store, B's
// clock 50 ms ahead of A's. The thief refreshes on B shortly before the
// victim logs out everywhere on A; the family must be dead afterwards, in
// every trial, without comparing the two clocks.
func TestLogOutEverywhereBeatsAnIssuerWithAClockAhead(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		ctx := context.Background()
		const trials = 48 // the thief refreshes 1 ms .. 48 ms before the revocation
		clkA := testclock.At(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
		nowB := func() time.Time { return clkA.Now().Add(50 * time.Millisecond) }
		iss := logoutTrialIssuers(t, makeStore(store, clkA.Now), clkA.Now, nowB)
		a, b := iss[0], iss[1]
		survived := 0
		for trial := range trials {
			sub, victim := signIn(t, a, trial)
			clkA.Advance(time.Second)
			lead := time.Duration(trial+1) * time.Millisecond
			thief, err := b.Refresh(ctx, victim.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			clkA.Advance(lead)
			if err := a.RevokeSubject(ctx, sub); err != nil {
				t.Fatal(err)
			}
			clkA.Advance(time.Millisecond)
			alive := familyAlive(t, b, thief) || familyAlive(t, a, thief)
			// The victim's own stale token must not bring anything back,
			// and it is still the reuse it is: the tripwire must not turn
			// into a plain ErrRevoked once the subject is revoked.
			if _, err := a.Refresh(ctx, victim.RefreshToken); !errors.Is(err, ErrReused) {
				t.Fatalf("trial %d: the victim's stale refresh token after log-out-everywhere: %v, want ErrReused", trial, err)
			}
			if alive || familyAlive(t, b, thief) {
				survived++
			}
		}
		if survived > 0 {
			t.Errorf("the thief's family survived log-out-everywhere in %d of %d trials", survived, trials)
		}
	})
}

// yieldingStore gives the scheduler a chance to run another goroutine
// around every store call, as a network round trip does, so the victim's
// revocation lands inside the thief's refreshes.
type yieldingStore struct{ tokenstore.Store }

// signIn signs the victim of trial in on iss: its subject and pair.
func signIn(t *testing.T, iss *Issuer, trial int) (string, Pair) {
	t.Helper()
	sub := fmt.Sprintf("victim-%d", trial)
	p, err := iss.IssuePair(context.Background(), Subject{ID: sub})
	if err != nil {
		t.Fatal(err)
	}
	return sub, p
}

// loopTrials returns an issuer for the refresh-in-a-loop trials, on a store
// that yields around every call and a clock that ticks a millisecond per
// reading, and how many trials to run (a third with -short).
func loopTrials(t *testing.T, store func(func() time.Time) tokenstore.Store, trials int) (*Issuer, int) {
	t.Helper()
	if testing.Short() {
		trials /= 3
	}
	now := testclock.At(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)).Ticking(time.Millisecond)
	return logoutTrialIssuers(t, yieldingStore{makeStore(store, now)}, now)[0], trials
}

// refreshInALoop starts a thief refreshing p over and over and returns once
// the thief has refreshed once (or failed to). stop ends the loop and
// returns the thief's newest pair.
func refreshInALoop(ctx context.Context, iss *Issuer, p Pair) (stop func() Pair) {
	var done atomic.Bool
	started := make(chan struct{})
	last := make(chan Pair, 1)
	go func() {
		n := 0
		for !done.Load() {
			next, err := iss.Refresh(ctx, p.RefreshToken)
			if err != nil {
				break
			}
			p, n = next, n+1
			if n == 1 {
				close(started)
			}
		}
		if n == 0 {
			close(started)
		}
		last <- p
	}()
	<-started
	return func() Pair {
		done.Store(true)
		return <-last
	}
}

// Issue 9, finding 1, second reproduction: one instance, a thief goroutine
// refreshing in a loop while the victim logs out everywhere. The family
// must be dead at the end of every trial.
func TestLogOutEverywhereBeatsAThiefRefreshingInALoop(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		ctx := context.Background()
		iss, trials := loopTrials(t, store, 300)
		survived := 0
		for trial := range trials {
			sub, victim := signIn(t, iss, trial)
			stop := refreshInALoop(ctx, iss, victim)
			if err := iss.RevokeSubject(ctx, sub); err != nil {
				t.Fatal(err)
			}
			thief := stop()
			_, err := iss.Refresh(ctx, victim.RefreshToken)
			switch {
			case err == nil:
				t.Fatalf("trial %d: the victim's stale refresh token refreshed after log-out-everywhere", trial)
			case thief.RefreshToken != victim.RefreshToken && !errors.Is(err, ErrReused):
				// The thief rotated it at least once: a reuse.
				t.Fatalf("trial %d: the victim's stale refresh token after log-out-everywhere: %v, want ErrReused", trial, err)
			}
			if familyAlive(t, iss, thief) {
				survived++
			}
		}
		if survived > 0 {
			t.Errorf("the thief's family survived log-out-everywhere in %d of %d trials", survived, trials)
		}
	})
}

func (s yieldingStore) RevokeToken(ctx context.Context, sub, jti string, exp time.Time) error {
	defer yield()()
	return s.Store.RevokeToken(ctx, sub, jti, exp)
}

func (s yieldingStore) RevokeSubject(ctx context.Context, sub string, ttl time.Duration) error {
	defer yield()()
	return s.Store.RevokeSubject(ctx, sub, ttl)
}

func (s yieldingStore) RevokeSubjectExcept(ctx context.Context, sub, keep string, ttl time.Duration) error {
	defer yield()()
	return s.Store.RevokeSubjectExcept(ctx, sub, keep, ttl)
}

func (s yieldingStore) Revoked(ctx context.Context, sub, jti, family string, gen uint64) (bool, error) {
	defer yield()()
	return s.Store.Revoked(ctx, sub, jti, family, gen)
}

func (s yieldingStore) StartFamily(ctx context.Context, f tokenstore.Family) (uint64, error) {
	defer yield()()
	return s.Store.StartFamily(ctx, f)
}

func (s yieldingStore) RotateFamily(ctx context.Context, r tokenstore.Rotation) error {
	defer yield()()
	return s.Store.RotateFamily(ctx, r)
}

func (s yieldingStore) RevokeFamily(ctx context.Context, sub, family string) error {
	defer yield()()
	return s.Store.RevokeFamily(ctx, sub, family)
}

// yield lets other goroutines run now and once more when the returned
// function is called.
func yield() func() {
	runtime.Gosched()
	return runtime.Gosched
}

// Issue 9, finding 6: the log-out-everywhere generation lasts as long as
// the longest-lived token kind, here a 24 h email verification token beside
// a 1 h refresh lifetime.
func TestLogOutEverywhereOutlivesEveryTokenKind(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		ctx := context.Background()
		clk := testclock.At(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
		keys, err := NewKeySet(testKey(t, ES256))
		if err != nil {
			t.Fatal(err)
		}
		iss, err := NewIssuer(keys, WithClock(clk.Now), WithStore(makeStore(store, clk.Now)), WithRefreshTTL(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got := iss.longestLifetime(); got != DefaultEmailVerificationTTL {
			t.Fatalf("longest lifetime = %v, want the email verification TTL", got)
		}
		email, err := iss.IssuePurpose(ctx, "alice", PurposeEmailVerification)
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.RevokeSubject(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := iss.ConsumePurpose(ctx, email, PurposeEmailVerification); !errors.Is(err, ErrRevoked) {
			t.Fatalf("right after log-out-everywhere: %v, want ErrRevoked", err)
		}
		clk.Advance(2 * time.Hour) // past the refresh lifetime, inside the email token's
		if _, err := iss.ConsumePurpose(ctx, email, PurposeEmailVerification); !errors.Is(err, ErrRevoked) {
			t.Fatalf("two hours later: %v, want ErrRevoked", err)
		}
	})
}

// Issue 10, finding 8: a burst of replays of one rotated-away refresh
// token is one token.reuse_detected event, not one per request; the
// replays are counted.
func TestReuseBurstIsOneEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		f := newIssuerFixture(t, store)
		ctx := context.Background()
		p, err := f.iss.IssuePair(ctx, Subject{ID: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.iss.Refresh(ctx, p.RefreshToken); err != nil {
			t.Fatal(err)
		}
		const burst = 100
		var wg sync.WaitGroup
		for range burst {
			wg.Go(func() {
				if _, err := f.iss.Refresh(ctx, p.RefreshToken); !errors.Is(err, ErrReused) {
					t.Errorf("replay: %v, want ErrReused", err)
				}
			})
		}
		wg.Wait()
		events := f.sink.Of(audit.TokenReuseDetected)
		if len(events) != 1 {
			t.Fatalf("%d token.reuse_detected events for a burst of %d replays, want 1", len(events), burst)
		}
		if e := events[0]; e.Count != 1 || e.Subject != "alice" || e.Family == "" {
			t.Errorf("event = %+v, want the first replay of alice's family", e)
		}
	})
}
