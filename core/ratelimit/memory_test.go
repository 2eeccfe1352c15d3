package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/ratelimit"
	"github.com/authkit-go/authkit/core/ratelimit/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Store {
		s, err := ratelimit.NewMemoryStore(ratelimit.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestNewMemoryStoreRejectsBadOptions(t *testing.T) {
	for _, opt := range []ratelimit.MemoryOption{ratelimit.WithMaxKeys(0), ratelimit.WithMaxKeys(-1), ratelimit.WithClock(nil)} {
		if _, err := ratelimit.NewMemoryStore(opt); err == nil {
			t.Error("NewMemoryStore accepted a bad option")
		}
	}
}

func take(t *testing.T, s ratelimit.Store, r ratelimit.Request) ratelimit.Result {
	t.Helper()
	res := make([]ratelimit.Result, 1)
	if err := s.Take(context.Background(), []ratelimit.Request{r}, res); err != nil {
		t.Fatal(err)
	}
	return res[0]
}

// The store never holds more keys than its cap, however many arrive.
func TestMemoryStoreStaysBounded(t *testing.T) {
	clock := testclock.New()
	s, err := ratelimit.NewMemoryStore(ratelimit.WithMaxKeys(1000), ratelimit.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50_000 {
		take(t, s, ratelimit.Request{Key: fmt.Sprint("flood-", i), Interval: time.Second, Burst: 5, Cost: 1})
		if i%1000 == 0 {
			clock.Advance(time.Microsecond)
		}
	}
	if n := s.Len(); n > 1024 { // the cap rounded up to a multiple of the shard count
		t.Fatalf("store holds %d keys, cap 1000", n)
	}
}

// A full store evicts the keys closest to a full bucket: a flood of fresh
// keys cannot buy back the state of a key that is spending hard.
func TestMemoryStoreEvictsKeysClosestToRecovery(t *testing.T) {
	clock := testclock.New()
	s, err := ratelimit.NewMemoryStore(ratelimit.WithMaxKeys(64), ratelimit.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	hot := ratelimit.Request{Key: "attacker", Interval: time.Minute, Burst: 5, Cost: 5}
	if !take(t, s, hot).Allowed {
		t.Fatal("fresh key refused")
	}
	hot.Cost = 1
	for i := range 10_000 {
		take(t, s, ratelimit.Request{Key: fmt.Sprint("spray-", i), Interval: time.Second, Burst: 5, Cost: 1})
		if take(t, s, hot).Allowed {
			t.Fatalf("after %d spray keys the spent key was admitted again: it was evicted", i+1)
		}
	}
}

// Keys whose bucket is full again are swept out, so an idle store shrinks
// to what is live.
func TestMemoryStoreSweepsPassedKeys(t *testing.T) {
	clock := testclock.New()
	s, err := ratelimit.NewMemoryStore(ratelimit.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		take(t, s, ratelimit.Request{Key: fmt.Sprint("k-", i), Interval: time.Second, Burst: 1, Cost: 1})
	}
	clock.Advance(2 * time.Minute)
	for i := range 5000 { // writes to every shard trigger its sweep
		take(t, s, ratelimit.Request{Key: fmt.Sprint("new-", i), Interval: time.Second, Burst: 1, Cost: 1})
	}
	if n := s.Len(); n > 5000 {
		t.Fatalf("store holds %d keys; the 5000 passed ones were not swept", n)
	}
}
