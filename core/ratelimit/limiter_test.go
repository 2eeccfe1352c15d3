package ratelimit_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/ratelimit"
)

func memStore(t *testing.T, clock *testclock.Clock) *ratelimit.MemoryStore {
	t.Helper()
	s, err := ratelimit.NewMemoryStore(ratelimit.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newLimiter(t *testing.T, name string, l ratelimit.Limit, s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	lim, err := ratelimit.New(name, l, s, append([]ratelimit.Option{ratelimit.WithAudit(audit.Discard)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return lim
}

func TestNewRejectsBadConfig(t *testing.T) {
	s, err := ratelimit.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		lname string
		l     ratelimit.Limit
		store ratelimit.Store
		opts  []ratelimit.Option
	}{
		{"empty name", "", ratelimit.PerMinute(1), s, nil},
		{"quote in name", `a"b`, ratelimit.PerMinute(1), s, nil},
		{"space in name", "a b", ratelimit.PerMinute(1), s, nil},
		{"NUL in name", "a\x00", ratelimit.PerMinute(1), s, nil},
		{"long name", strings.Repeat("n", 65), ratelimit.PerMinute(1), s, nil},
		{"rate 0", "n", ratelimit.Limit{Period: time.Minute}, s, nil},
		{"negative rate", "n", ratelimit.Limit{Rate: -1, Period: time.Minute}, s, nil},
		{"period 0", "n", ratelimit.Limit{Rate: 1}, s, nil},
		{"sub-second period", "n", ratelimit.Limit{Rate: 1, Period: 500 * time.Millisecond}, s, nil},
		{"fractional period", "n", ratelimit.Limit{Rate: 1, Period: 1500 * time.Millisecond}, s, nil},
		{"negative burst", "n", ratelimit.PerMinute(1).WithBurst(-1), s, nil},
		{"huge burst", "n", ratelimit.PerSecond(1).WithBurst(1 << 31), s, nil},
		{"spans a century", "n", ratelimit.Limit{Rate: 1, Period: 100 * 365 * 24 * time.Hour}, s, nil},
		{"burst spans a century", "n", ratelimit.PerHour(1).WithBurst(1_000_000), s, nil},
		{"nil store", "n", ratelimit.PerMinute(1), nil, nil},
		{"nil audit", "n", ratelimit.PerMinute(1), s, []ratelimit.Option{ratelimit.WithAudit(nil)}},
		{"short audit key", "n", ratelimit.PerMinute(1), s, []ratelimit.Option{ratelimit.WithAuditKey(make([]byte, 15))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ratelimit.New(tt.lname, tt.l, tt.store, tt.opts...)
			if !errors.Is(err, ratelimit.ErrInvalidConfig) || !errors.Is(err, authkit.ErrInvalidConfig) {
				t.Fatalf("err %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := ratelimit.New("ok_name-1.2", ratelimit.PerSecond(1_000_000).WithBurst(1), s); err != nil {
		t.Fatalf("a valid limiter: %v", err)
	}
}

func TestAllowRejectsBadArguments(t *testing.T) {
	lim := newLimiter(t, "n", ratelimit.PerMinute(5), memStore(t, testclock.New()))
	ctx := context.Background()
	for _, tt := range []struct {
		key  ratelimit.Key
		cost int
		want error
	}{
		{ratelimit.Key{Value: "no kind"}, 1, ratelimit.ErrInvalidKey},
		{ratelimit.Key{Kind: "a\x00b"}, 1, ratelimit.ErrInvalidKey},
		{ratelimit.UserKey("u"), -1, ratelimit.ErrInvalidCost},
		{ratelimit.UserKey("u"), 6, ratelimit.ErrInvalidCost},
	} {
		if _, err := lim.Allow(ctx, tt.key, tt.cost); !errors.Is(err, tt.want) {
			t.Errorf("Allow(%+v, %d): %v, want %v", tt.key, tt.cost, err, tt.want)
		}
	}
	if _, err := ratelimit.Decide(ctx, ratelimit.Check{Key: ratelimit.UserKey("u"), Cost: 1}); !errors.Is(err, ratelimit.ErrInvalidConfig) {
		t.Errorf("Decide without a limiter: %v", err)
	}
}

// The numbers of a Decision, to the microsecond, for a limit whose
// interval does not divide evenly (7 per minute: 8571429µs, rounded up).
func TestAllowDecisionNumbers(t *testing.T) {
	clock := testclock.New()
	lim := newLimiter(t, "n", ratelimit.PerMinute(7).WithBurst(2), memStore(t, clock))
	ctx := context.Background()
	iv := 8571429 * time.Microsecond
	type want struct {
		allowed            bool
		remaining          int
		reset, retry       time.Duration
		cost               int
		advanceBeforeCheck time.Duration
	}
	for i, w := range []want{
		{true, 1, iv, 0, 1, 0},
		{true, 0, 2 * iv, 0, 1, 0},
		{false, 0, 2 * iv, iv, 1, 0},
		{false, 0, iv + time.Microsecond, time.Microsecond, 1, iv - time.Microsecond},
		{true, 0, 2 * iv, 0, 1, time.Microsecond},
		{false, 0, 2 * iv, 2 * iv, 2, 0},
		{true, 2, 0, 0, 0, 2 * iv},
	} {
		clock.Advance(w.advanceBeforeCheck)
		d, err := lim.Allow(ctx, ratelimit.UserKey("u"), w.cost)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != w.allowed || d.Remaining != w.remaining || d.ResetAfter != w.reset || d.RetryAfter != w.retry || d.Policy != "n" || d.Unavailable {
			t.Fatalf("step %d: %+v, want allowed %v remaining %d reset %v retry %v", i, d, w.allowed, w.remaining, w.reset, w.retry)
		}
	}
}

func TestDecideAcrossStores(t *testing.T) {
	clock := testclock.New()
	shared := memStore(t, clock)
	a := newLimiter(t, "a", ratelimit.PerMinute(1), shared)
	b := newLimiter(t, "b", ratelimit.PerMinute(2), memStore(t, clock))
	c := newLimiter(t, "c", ratelimit.PerMinute(3), shared)
	ctx := context.Background()
	k := ratelimit.UserKey("u")
	ds, err := ratelimit.Decide(ctx, a.Check(k, 1), b.Check(k, 1), c.Check(k, 1))
	if err != nil || !ds.Allowed() {
		t.Fatalf("%+v, %v", ds, err)
	}
	ds, err = ratelimit.Decide(ctx, a.Check(k, 1), b.Check(k, 1), c.Check(k, 1))
	if err != nil {
		t.Fatal(err)
	}
	if ds.Allowed() || ds[0].Allowed || !ds[1].Allowed || !ds[2].Allowed || ds[1].Remaining != 0 || ds[2].Remaining != 1 {
		t.Fatalf("second round: %+v; want a refused, b and c admitted (each check charged on its own)", ds)
	}
	var ex *ratelimit.Exceeded
	if err := ds.Err(); !errors.As(err, &ex) || !errors.Is(err, ratelimit.ErrLimited) || ex.RetryAfter != time.Minute {
		t.Fatalf("Err() = %v, want *Exceeded retry 1m", err)
	}
	if msg := ds.Err().Error(); msg != `ratelimit: limit exceeded ("a"), retry after 1m0s` {
		t.Fatalf("message %q: want the refusing policy only, no key", msg)
	}
}

func TestFailOpenAndClosed(t *testing.T) {
	ctx := context.Background()
	closed := newLimiter(t, "closed", ratelimit.PerMinute(5), downStore{})
	open := newLimiter(t, "open", ratelimit.PerMinute(5), downStore{}, ratelimit.WithFailOpen())
	if closed.FailsOpen() || !open.FailsOpen() {
		t.Fatal("FailsOpen does not say what the limiter does")
	}
	d, err := closed.Allow(ctx, ratelimit.UserKey("u"), 1)
	if !errors.Is(err, ratelimit.ErrUnavailable) || !errors.Is(err, authkit.ErrUnavailable) || d.Allowed || !d.Unavailable {
		t.Fatalf("closed: %+v, %v", d, err)
	}
	d, err = open.Allow(ctx, ratelimit.UserKey("u"), 1)
	if err != nil || !d.Allowed || !d.Unavailable {
		t.Fatalf("open: %+v, %v", d, err)
	}
	// Mixed: the fail-closed one decides the outcome.
	live := newLimiter(t, "live", ratelimit.PerMinute(5), memStore(t, testclock.New()))
	ds, err := ratelimit.Decide(ctx, open.Check(ratelimit.UserKey("u"), 1), live.Check(ratelimit.UserKey("u"), 1))
	if err != nil || !ds.Allowed() || ds.Err() != nil {
		t.Fatalf("open + live: %+v, %v", ds, err)
	}
	ds, err = ratelimit.Decide(ctx, closed.Check(ratelimit.UserKey("u"), 1), live.Check(ratelimit.UserKey("u"), 1))
	if !errors.Is(err, ratelimit.ErrUnavailable) || ds.Allowed() || !errors.Is(ds.Err(), ratelimit.ErrUnavailable) || !ds[1].Allowed {
		t.Fatalf("closed + live: %+v, %v", ds, err)
	}
}

func TestBinding(t *testing.T) {
	tests := []struct {
		name string
		ds   ratelimit.Decisions
		want string
	}{
		{"fewest remaining", ratelimit.Decisions{{Policy: "a", Allowed: true, Remaining: 9}, {Policy: "b", Allowed: true, Remaining: 2}, {Policy: "c", Allowed: true, Remaining: 5}}, "b"},
		{"tie: longest reset", ratelimit.Decisions{{Policy: "a", Allowed: true, Remaining: 2, ResetAfter: time.Second}, {Policy: "b", Allowed: true, Remaining: 2, ResetAfter: time.Hour}}, "b"},
		{"a refusal beats any admission", ratelimit.Decisions{{Policy: "a", Allowed: true}, {Policy: "b", Allowed: false, Remaining: 3, RetryAfter: time.Second}}, "b"},
		{"longest wait of the refusals", ratelimit.Decisions{{Policy: "a", RetryAfter: time.Minute}, {Policy: "b", RetryAfter: time.Hour}, {Policy: "c", RetryAfter: time.Second}}, "b"},
		{"unavailable ones skipped", ratelimit.Decisions{{Policy: "a", Unavailable: true}, {Policy: "b", Allowed: true, Remaining: 7}}, "b"},
		{"none", ratelimit.Decisions{{Policy: "a", Unavailable: true, Allowed: true}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := tt.ds.Binding()
			if got := d.Policy; got != tt.want || ok != (tt.want != "") {
				t.Fatalf("Binding() = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

// Refusals become coalesced audit events: one per key per window with a
// count, the key named by kind and keyed hash; IP keys carry the network.
func TestAuditCoalescing(t *testing.T) {
	clock := testclock.New()
	evs := &events{}
	key := []byte("0123456789abcdef0123456789abcdef")
	lim := newLimiter(t, "login", ratelimit.PerMinute(1), memStore(t, clock), ratelimit.WithAudit(evs), ratelimit.WithAuditKey(key))
	ctx := context.Background()
	ip, err := ratelimit.IPKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []ratelimit.Key{ratelimit.AccountKey("alice"), ip} {
		for range 4 { // 1 admitted, 3 refused
			if _, err := lim.Allow(ctx, k, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := evs.Events(); len(got) != 0 {
		t.Fatalf("events before the window ended: %+v", got)
	}
	clock.Advance(time.Minute)
	lim.Allow(ctx, ratelimit.AccountKey("alice"), 1) // admitted: a unit came back
	lim.Allow(ctx, ratelimit.AccountKey("alice"), 1) // refused: the next window's first
	got := evs.Events()
	if len(got) != 2 {
		t.Fatalf("events %+v, want the two windows that ended", got)
	}
	byKey := map[string]audit.Event{}
	for _, ev := range got {
		byKey[ev.Key[:strings.IndexByte(ev.Key, ':')]] = ev
	}
	acct, ipEv := byKey["account"], byKey["ip"]
	if acct.Count != 3 || acct.Limit != "login" || acct.Kind != audit.RateLimitHit || acct.IP != "" || strings.Contains(acct.Key, "alice") || !acct.Time.Equal(testclock.Start) {
		t.Fatalf("account event %+v", acct)
	}
	if ipEv.Count != 3 || ipEv.IP != "2001:db8:1:2::/64" {
		t.Fatalf("ip event %+v", ipEv)
	}
	// The same audit key hashes alike in another limiter (another instance).
	evs2 := &events{}
	other := newLimiter(t, "login", ratelimit.PerMinute(1), memStore(t, testclock.New()), ratelimit.WithAudit(evs2), ratelimit.WithAuditKey(key))
	other.Allow(ctx, ratelimit.AccountKey("alice"), 1)
	other.Allow(ctx, ratelimit.AccountKey("ALICE"), 1)
	other.FlushAudit(ctx)
	if e := evs2.Events(); len(e) != 1 || e[0].Key != acct.Key || e[0].Count != 1 {
		t.Fatalf("other instance: %+v, want key %q", e, acct.Key)
	}
	lim.FlushAudit(ctx)
	if e := evs.Events(); len(e) != 3 || e[2].Count != 1 {
		t.Fatalf("after flush: %+v", e)
	}
}
