package oauth_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/oauth"
)

// TestOpensAttemptsSealedBefore opens a cookie that Begin sealed before
// the attempt cookies shared their sealing code with mfa, under its key
// as the current key and as a previous one: a sign-in under way across
// the upgrade still completes.
func TestOpensAttemptsSealedBefore(t *testing.T) {
	b, err := os.ReadFile("testdata/attempt-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		SealedAt           time.Time `json:"sealed_at"`
		State, Value, Next string
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	clock := oauth.WithClock(func() time.Time { return v.SealedAt.Add(time.Minute) })
	for _, tc := range []struct {
		name string
		c    *oauth.Client
	}{
		{"current key", newClient(t, testProvide, "app", testKey, clock)},
		{"previous key", newClient(t, testProvide, "app", otherKey, clock, oauth.WithPreviousKeys(testKey))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next, err := oauth.OpenAttemptNext(tc.c, v.State, v.Value)
			if err != nil || next != v.Next {
				t.Fatalf("OpenAttemptNext = %q, %v; want %q", next, err, v.Next)
			}
		})
	}
}
