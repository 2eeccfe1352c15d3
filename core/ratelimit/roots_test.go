package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/ratelimit"
)

// A refusal speaks core/authkit's language, which guard.ProblemFor reads
// without importing this package: it is an authkit.ErrRateLimited, its
// RetryDelay becomes Retry-After, and its HeaderFields are the
// RateLimit-Policy, RateLimit and Retry-After of its decisions.
func TestExceededSpeaksAuthkit(t *testing.T) {
	clock := testclock.New()
	store, err := ratelimit.NewMemoryStore(ratelimit.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	perAccount, err := ratelimit.New("account", ratelimit.PerMinute(2), store, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	var refused error
	for range 3 {
		ds, err := ratelimit.Decide(context.Background(), perAccount.Check(ratelimit.AccountKey("alice"), 1))
		if err != nil {
			t.Fatal(err)
		}
		refused = ds.Err()
	}
	refused = fmt.Errorf("login: %w", refused)
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
	got := map[string]string{}
	fe.HeaderFields(func(name, value string) { got[name] = value })
	want := map[string]string{
		ratelimit.HeaderRetryAfter: "30",
		ratelimit.HeaderPolicy:     `"account";q=2;w=60`,
		ratelimit.HeaderRateLimit:  `"account";r=0;t=30`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("HeaderFields = %v, want %v", got, want)
	}
	if !errors.Is(ratelimit.ErrUnavailable, authkit.ErrUnavailable) || errors.Is(ratelimit.ErrUnavailable, authkit.ErrRateLimited) {
		t.Error("ErrUnavailable must be an authkit.ErrUnavailable and no rate limit")
	}
}
