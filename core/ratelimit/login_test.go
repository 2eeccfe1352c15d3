package ratelimit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/ratelimit"
)

// loginWorld is a LoginThrottle on a memory store with a settable clock,
// and the audit events it emits.
type loginWorld struct {
	t        *testing.T
	clock    *testclock.Clock
	store    *ratelimit.MemoryStore
	throttle *ratelimit.LoginThrottle
	events   *events
}

// events collects audit events.
type events = audittest.Recorder

func newLoginWorld(t *testing.T, perAccount ratelimit.Limit, opts ...ratelimit.Option) *loginWorld {
	t.Helper()
	w := &loginWorld{t: t, clock: testclock.New(), events: &events{}}
	var err error
	if w.store, err = ratelimit.NewMemoryStore(ratelimit.WithClock(w.clock.Now)); err != nil {
		t.Fatal(err)
	}
	opts = append([]ratelimit.Option{ratelimit.WithAudit(w.events)}, opts...)
	if w.throttle, err = ratelimit.NewLoginThrottle(w.store, perAccount, opts...); err != nil {
		t.Fatal(err)
	}
	return w
}

// try begins an attempt and, when it is allowed and the password is right,
// reports the success. It returns whether the attempt got to the password.
func (w *loginWorld) try(username, client string, rightPassword bool) bool {
	w.t.Helper()
	a, err := w.throttle.Begin(context.Background(), username, client)
	if err != nil {
		w.t.Fatal(err)
	}
	if a.Allowed() && rightPassword {
		if err := a.Succeeded(context.Background()); err != nil {
			w.t.Fatal(err)
		}
	}
	return a.Allowed()
}

func TestLoginThrottleSpellingsShareOneBucket(t *testing.T) {
	w := newLoginWorld(t, ratelimit.PerMinute(3))
	for _, name := range []string{"Alice", "alice ", "ａｌｉｃｅ"} {
		if !w.try(name, "", false) {
			t.Fatalf("%q refused within the burst", name)
		}
	}
	for _, name := range []string{"ALICE", "\talice", "alice\u200b", "Ａｌｉｃｅ"} {
		if w.try(name, "", false) {
			t.Fatalf("%q admitted: it has a bucket of its own", name)
		}
	}
	if !w.try("bob", "", false) {
		t.Fatal("another account shares alice's bucket")
	}
}

// Attempts for a name that has no account are charged exactly alike, so a
// refusal never tells whether the account exists.
func TestLoginThrottleChargesUnknownNamesAlike(t *testing.T) {
	w := newLoginWorld(t, ratelimit.PerMinute(5))
	run := func(name string) (admitted int, retry string) {
		for range 8 {
			a, err := w.throttle.Begin(context.Background(), name, "")
			if err != nil {
				t.Fatal(err)
			}
			if a.Allowed() {
				admitted++
			} else {
				retry = a.Decisions().Fields().RetryAfter
			}
		}
		return admitted, retry
	}
	n1, r1 := run("existing-user")
	n2, r2 := run("no-such-user")
	if n1 != 5 || n2 != 5 || r1 != r2 || r1 == "" {
		t.Fatalf("existing: %d admitted, Retry-After %q; unknown: %d, %q; want 5 each, same Retry-After", n1, r1, n2, r2)
	}
}

// The anti-lockout rule: a stranger who empties the victim's bucket keeps
// out only strangers; the victim's known client still gets in.
func TestLoginThrottleStrangerCannotLockOwnerOut(t *testing.T) {
	w := newLoginWorld(t, ratelimit.PerMinute(5))
	const victim, victimClient, attacker = "victim", "device-of-victim", "device-of-attacker"
	if !w.try(victim, victimClient, true) {
		t.Fatal("first sign-in refused")
	}
	w.clock.Advance(time.Hour)

	// The attacker guesses until the account's bucket is empty, and goes on.
	guesses := 0
	for range 50 {
		if w.try(victim, attacker, false) {
			guesses++
		}
	}
	if guesses != 5 {
		t.Fatalf("attacker got %d guesses, want the burst of 5", guesses)
	}
	if w.try(victim, "another-stranger", false) || w.try(victim, "", true) {
		t.Fatal("a stranger got past the empty account bucket")
	}

	// The owner's known client is admitted and signs in.
	a, err := w.throttle.Begin(context.Background(), victim, victimClient)
	if err != nil || !a.Allowed() {
		t.Fatalf("the owner's known client was locked out: %v", err)
	}
	if f := a.Decisions().Fields(); !strings.HasPrefix(f.Policy, `"known-client"`) || f.RetryAfter != "" {
		t.Fatalf("fields %+v: want the known-client policy deciding, no Retry-After", f)
	}
	if err := a.Succeeded(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The attacker is still refused, and the known client's own bucket
	// limits it too (a stranger on the owner's network is still slowed).
	if w.try(victim, attacker, false) {
		t.Fatal("the owner's sign-in opened the account for the attacker")
	}
	known := 0
	for range 20 {
		if w.try(victim, victimClient, false) {
			known++
		}
	}
	if known != 4 { // 5 less the owner's sign-in above
		t.Fatalf("the known client got %d more attempts, want 4", known)
	}
	a, err = w.throttle.Begin(context.Background(), victim, victimClient)
	if err != nil || a.Allowed() || !errors.Is(a.Err(), ratelimit.ErrLimited) {
		t.Fatalf("known client past its own burst: allowed %v, %v", a.Allowed(), err)
	}
}

// A client stays known for at least knownFor/2 after its latest sign-in
// and at most knownFor; sign-ins in between extend it up to knownFor ahead.
func TestLoginThrottleKnownClientExpires(t *testing.T) {
	const day = 24 * time.Hour
	w := newLoginWorld(t, ratelimit.PerMinute(1), ratelimit.WithKnownFor(20*day))
	known := func(client string) bool {
		t.Helper()
		w.clock.Advance(time.Minute)
		w.try("u", "stranger", false) // empties the account's bucket
		return w.try("u", client, false)
	}
	w.try("u", "once", true)
	w.clock.Advance(time.Minute)
	w.try("u", "twice", true) // t0
	w.clock.Advance(5 * day)
	w.try("u", "twice", true) // t0 + 5d: extends to t0 + 20d

	w.clock.Advance(5*day - 10*time.Minute) // t0 + 10d − 10m
	if !known("once") || !known("twice") {
		t.Fatal("a client was forgotten before knownFor/2")
	}
	w.clock.Advance(20 * time.Minute) // t0 + 10d + 10m
	if known("once") {
		t.Fatal(`"once" still known past knownFor/2 after its only sign-in`)
	}
	if !known("twice") {
		t.Fatal(`"twice" forgotten: its second sign-in did not extend its standing`)
	}
	w.clock.Advance(10 * day) // t0 + 20d + 14m
	if known("twice") {
		t.Fatal(`"twice" still known past knownFor`)
	}
}

// A failure costs what WithCosts says: it is reserved when the attempt
// begins, and a success gets the difference back.
func TestLoginThrottleCosts(t *testing.T) {
	w := newLoginWorld(t, ratelimit.PerMinute(6), ratelimit.WithCosts(1, 3)) // a unit per 10s, burst 6
	admitted := 0
	for range 3 {
		if w.try("u", "", false) {
			admitted++
		}
	}
	if admitted != 2 {
		t.Fatalf("%d failures of cost 3 admitted in a burst of 6, want 2", admitted)
	}
	w.clock.Advance(time.Minute)
	for i := range 4 { // each reserves 3, keeps 1: after four, 2 units are left
		if !w.try("u", "", true) {
			t.Fatalf("success %d refused", i+1)
		}
	}
	if w.try("u", "", true) {
		t.Fatal("an attempt was admitted with fewer units than a failure reserves")
	}
	w.clock.Advance(10 * time.Second)
	if !w.try("u", "", true) {
		t.Fatal("refused with the 3 units a failure reserves")
	}
}

func TestLoginThrottleFailsClosed(t *testing.T) {
	down := downStore{}
	th, err := ratelimit.NewLoginThrottle(down, ratelimit.PerMinute(5), ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	a, err := th.Begin(context.Background(), "u", "c")
	if !errors.Is(err, authkit.ErrUnavailable) || a.Allowed() || th.FailsOpen() || !errors.Is(a.Err(), ratelimit.ErrUnavailable) {
		t.Fatalf("store down: allowed %v, %v", a.Allowed(), err)
	}
	open, err := ratelimit.NewLoginThrottle(down, ratelimit.PerMinute(5), ratelimit.WithAudit(audit.Discard), ratelimit.WithFailOpen())
	if err != nil {
		t.Fatal(err)
	}
	a, err = open.Begin(context.Background(), "u", "c")
	if err != nil || !a.Allowed() || !a.Decisions()[0].Unavailable {
		t.Fatalf("fail-open throttle, store down: allowed %v, %v", a.Allowed(), err)
	}
	if err := a.Succeeded(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLoginThrottleAuditNamesNoUsername(t *testing.T) {
	w := newLoginWorld(t, ratelimit.PerMinute(2))
	const secretish = "hunter2-typed-as-a-name"
	for range 7 {
		w.try(secretish, "", false)
	}
	w.throttle.FlushAudit(context.Background())
	evs := w.events.Events()
	if len(evs) != 1 {
		t.Fatalf("events %+v, want one coalesced event", evs)
	}
	ev := evs[0]
	if ev.Kind != audit.RateLimitHit || ev.Limit != "account" || ev.Count != 5 || !strings.HasPrefix(ev.Key, "account:") {
		t.Fatalf("event %+v: want ratelimit.hit, limit account, count 5, key account:<hash>", ev)
	}
	if strings.Contains(strings.ToLower(ev.Key+ev.Subject+ev.Reason+ev.IP), "hunter2") {
		t.Fatalf("event %+v carries the raw username", ev)
	}
}

func TestNewLoginThrottleRejectsBadOptions(t *testing.T) {
	s, err := ratelimit.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		l    ratelimit.Limit
		opts []ratelimit.Option
	}{
		{"bad limit", ratelimit.Limit{Rate: 0, Period: time.Minute}, nil},
		{"failure cost 0", ratelimit.PerMinute(5), []ratelimit.Option{ratelimit.WithCosts(0, 0)}},
		{"success above failure", ratelimit.PerMinute(5), []ratelimit.Option{ratelimit.WithCosts(3, 2)}},
		{"failure above burst", ratelimit.PerMinute(5), []ratelimit.Option{ratelimit.WithCosts(1, 6)}},
		{"failure above known-client burst", ratelimit.PerMinute(5), []ratelimit.Option{ratelimit.WithCosts(1, 3), ratelimit.WithKnownClientLimit(ratelimit.PerMinute(2))}},
		{"negative success", ratelimit.PerMinute(5), []ratelimit.Option{ratelimit.WithCosts(-1, 1)}},
		{"known for 0", ratelimit.PerMinute(5), []ratelimit.Option{ratelimit.WithKnownFor(0)}},
		{"known for odd seconds", ratelimit.PerMinute(5), []ratelimit.Option{ratelimit.WithKnownFor(3 * time.Second)}},
		{"short audit key", ratelimit.PerMinute(5), []ratelimit.Option{ratelimit.WithAuditKey([]byte("short"))}},
		{"nil audit", ratelimit.PerMinute(5), []ratelimit.Option{ratelimit.WithAudit(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ratelimit.NewLoginThrottle(s, tt.l, tt.opts...); !errors.Is(err, authkit.ErrInvalidConfig) {
				t.Fatalf("err %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := ratelimit.NewLoginThrottle(nil, ratelimit.PerMinute(5)); !errors.Is(err, ratelimit.ErrInvalidConfig) {
		t.Fatalf("nil store: %v", err)
	}
}
