package ratelimit_test

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/ratelimit"
)

func TestFields(t *testing.T) {
	ip := ratelimit.PerMinute(60)
	acct := ratelimit.PerMinute(5)
	tests := []struct {
		name string
		ds   ratelimit.Decisions
		want ratelimit.Fields
	}{
		{"none", nil, ratelimit.Fields{}},
		{"one admitted", ratelimit.Decisions{{Policy: "ip", Limit: ip, Allowed: true, Remaining: 59, ResetAfter: time.Second}},
			ratelimit.Fields{Policy: `"ip";q=60;w=60`, RateLimit: `"ip";r=59;t=1`}},
		{"reset rounded up", ratelimit.Decisions{{Policy: "ip", Limit: ip, Allowed: true, Remaining: 58, ResetAfter: 1001 * time.Millisecond}},
			ratelimit.Fields{Policy: `"ip";q=60;w=60`, RateLimit: `"ip";r=58;t=2`}},
		{"closest of two", ratelimit.Decisions{
			{Policy: "ip", Limit: ip, Allowed: true, Remaining: 50, ResetAfter: 10 * time.Second},
			{Policy: "account", Limit: acct, Allowed: true, Remaining: 1, ResetAfter: 48 * time.Second},
		}, ratelimit.Fields{Policy: `"ip";q=60;w=60, "account";q=5;w=60`, RateLimit: `"account";r=1;t=48`}},
		{"refused: t is Retry-After", ratelimit.Decisions{
			{Policy: "ip", Limit: ip, Allowed: true, Remaining: 50, ResetAfter: 10 * time.Second},
			{Policy: "account", Limit: acct, Remaining: 0, ResetAfter: time.Minute, RetryAfter: 11500 * time.Millisecond},
		}, ratelimit.Fields{Policy: `"ip";q=60;w=60, "account";q=5;w=60`, RateLimit: `"account";r=0;t=12`, RetryAfter: "12"}},
		{"burst other than the rate", ratelimit.Decisions{{Policy: "api", Limit: ratelimit.PerHour(1000).WithBurst(50), Allowed: true, Remaining: 49, ResetAfter: 4 * time.Second}},
			ratelimit.Fields{Policy: `"api";q=1000;w=3600;authkit-burst=50`, RateLimit: `"api";r=49;t=4`}},
		{"a policy listed once", ratelimit.Decisions{
			{Policy: "route", Limit: acct, Allowed: true, Remaining: 3, ResetAfter: time.Second},
			{Policy: "route", Limit: acct, Allowed: true, Remaining: 2, ResetAfter: time.Second},
		}, ratelimit.Fields{Policy: `"route";q=5;w=60`, RateLimit: `"route";r=2;t=1`}},
		{"unavailable: policy only", ratelimit.Decisions{{Policy: "ip", Limit: ip, Allowed: true, Unavailable: true}},
			ratelimit.Fields{Policy: `"ip";q=60;w=60`}},
		{"hostile hand-made names", ratelimit.Decisions{
			{Policy: "a\"b\\c", Limit: acct, Allowed: true, Remaining: 4},
			{Policy: "x\r\nSet-Cookie: y", Limit: acct, Allowed: true, Remaining: 0},
			{Policy: "", Limit: acct, Allowed: true},
		}, ratelimit.Fields{Policy: `"a\"b\\c";q=5;w=60`, RateLimit: ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ds.Fields(); got != tt.want {
				t.Fatalf("Fields() =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

// What Limiters produce is well-formed per draft-ietf-httpapi-ratelimit-
// headers-09: a List of sf-string Items with integer parameters.
func TestFieldsSyntax(t *testing.T) {
	item := `"[a-zA-Z0-9_.-]+"(;[a-z][a-z0-9_.*-]*=[0-9]+)+`
	list := regexp.MustCompile(`^` + item + `(, ` + item + `)*$`)
	policy := regexp.MustCompile(`^"[a-zA-Z0-9_.-]+";q=[0-9]+;w=[1-9][0-9]*(;authkit-burst=[0-9]+)?$`)
	limit := regexp.MustCompile(`^"[a-zA-Z0-9_.-]+";r=[0-9]+;t=[0-9]+$`)
	clock := testclock.New()
	s := memStore(t, clock)
	a := newLimiter(t, "ip", ratelimit.PerMinute(3), s)
	b := newLimiter(t, "per-user.v2", ratelimit.PerHour(100).WithBurst(2), s)
	for range 5 {
		ds, err := ratelimit.Decide(t.Context(), a.Check(ratelimit.UserKey("u"), 1), b.Check(ratelimit.UserKey("u"), 1))
		if err != nil {
			t.Fatal(err)
		}
		f := ds.Fields()
		if !list.MatchString(f.Policy) || !list.MatchString(f.RateLimit) || !limit.MatchString(f.RateLimit) {
			t.Fatalf("malformed fields %+v", f)
		}
		for _, m := range regexp.MustCompile(`, `).Split(f.Policy, -1) {
			if !policy.MatchString(m) {
				t.Fatalf("malformed policy item %q", m)
			}
		}
		if !ds.Allowed() && f.RetryAfter == "" {
			t.Fatalf("refused without Retry-After: %+v", f)
		}
	}
}

// A refusal speaks core/authkit's language, which guard.ProblemFor reads
// without importing this package: it is an authkit.ErrRateLimited, its
// RetryDelay becomes Retry-After, and its HeaderFields are the
// RateLimit-Policy, RateLimit and Retry-After of its decisions.
func TestExceededSpeaksAuthkit(t *testing.T) {
	perAccount := newLimiter(t, "account", ratelimit.PerMinute(2), memStore(t, testclock.New()))
	var refused error
	for range 3 {
		ds, err := ratelimit.Decide(t.Context(), perAccount.Check(ratelimit.AccountKey("alice"), 1))
		if err != nil {
			t.Fatal(err)
		}
		refused = ds.Err()
	}
	if !errors.Is(refused, ratelimit.ErrLimited) || !errors.Is(refused, authkit.ErrRateLimited) {
		t.Fatalf("third attempt: %v, want ErrLimited and authkit.ErrRateLimited", refused)
	}
	var re authkit.RetryError
	if !errors.As(refused, &re) || re.RetryDelay() != 30*time.Second {
		t.Errorf("RetryError: %v", re)
	}
	var fe authkit.FieldsError
	if !errors.As(refused, &fe) {
		t.Fatal("no FieldsError")
	}
	want := map[string]string{
		ratelimit.HeaderRetryAfter: "30",
		ratelimit.HeaderPolicy:     `"account";q=2;w=60`,
		ratelimit.HeaderRateLimit:  `"account";r=0;t=30`,
	}
	n := 0
	fe.HeaderFields(func(name, value string) {
		n++
		if want[name] != value {
			t.Errorf("field %s = %q, want %q", name, value, want[name])
		}
	})
	if n != len(want) {
		t.Errorf("%d fields, want %d", n, len(want))
	}
	if !errors.Is(ratelimit.ErrUnavailable, authkit.ErrUnavailable) || errors.Is(ratelimit.ErrUnavailable, authkit.ErrRateLimited) {
		t.Error("ErrUnavailable must be an authkit.ErrUnavailable and no rate limit")
	}
}
