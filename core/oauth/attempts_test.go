package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/oauth"
)

// browserJar is a browser's cookies for the app: net/http/cookiejar keeps
// them in creation order and honours Max-Age=-1, as browsers do.
type browserJar struct {
	t   *testing.T
	jar *cookiejar.Jar
	at  *url.URL
}

func newBrowserJar(t *testing.T) *browserJar {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	at, _ := url.Parse(testRedir)
	return &browserJar{t: t, jar: jar, at: at}
}

func (b *browserJar) cookies() []*http.Cookie { return b.jar.Cookies(b.at) }

func (b *browserJar) get(name string) (string, bool) {
	for _, c := range b.cookies() {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

// begin runs Begin with the jar's cookies (in the order given by order,
// nil for the jar's own) and stores what it sets; it returns the state.
func (b *browserJar) begin(c *oauth.Client, order func([]*http.Cookie)) string {
	b.t.Helper()
	sent := b.cookies()
	if order != nil {
		order(sent)
	}
	authURL, set, err := c.Begin(context.Background(), "/", sent)
	if err != nil {
		b.t.Fatal(err)
	}
	b.jar.SetCookies(b.at, set)
	u, _ := url.Parse(authURL)
	return u.Query().Get("state")
}

// attempts counts the jar's attempt cookies.
func (b *browserJar) attempts() int {
	n := 0
	for _, c := range b.cookies() {
		if strings.HasPrefix(c.Name, oauth.CookiePrefix) {
			n++
		}
	}
	return n
}

// Repeated logins — a user's reloads, or a hostile page navigating the
// browser to the login again and again — keep at most MaxAttempts attempt
// cookies: beginning another clears the oldest, so the browser's Cookie
// header cannot outgrow what servers accept. The newest attempts still
// complete; another client's attempts and cookies that do not open are
// left alone and do not count.
func TestBeginCapsAttempts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tick  time.Duration        // between logins
		order func([]*http.Cookie) // how the browser orders its Cookie header
	}{
		{"same second, in the browser's order", 0, nil},
		{"oldest by sealed age, whatever the order", time.Second, slices.Reverse[[]*http.Cookie]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := testclock.New()
			c := newClient(t, testProvide, "app", testKey, oauth.WithClock(clock.Now))
			other := newClient(t, testProvide, "other-app", testKey, oauth.WithClock(clock.Now))
			b := newBrowserJar(t)
			otherState := b.begin(other, nil)
			garbage := &http.Cookie{Name: oauth.CookiePrefix + "AAAAAAAAAAAAAAAA", Value: "not-sealed"}
			b.jar.SetCookies(b.at, []*http.Cookie{garbage})

			var states []string
			for i := range 50 {
				states = append(states, b.begin(c, tc.order))
				if n := b.attempts() - 2; n > oauth.MaxAttempts || n != min(i+1, oauth.MaxAttempts) {
					t.Fatalf("after %d logins: %d attempt cookies of the client, want %d", i+1, n, min(i+1, oauth.MaxAttempts))
				}
				clock.Advance(tc.tick)
			}
			for i, state := range states {
				_, _, err := c.Complete(context.Background(), callbackQuery("state", state), b.get)
				newest := i >= len(states)-oauth.MaxAttempts
				if newest && !errors.Is(err, oauth.ErrCodeMissing) || !newest && !errors.Is(err, oauth.ErrStateMismatch) {
					t.Errorf("attempt %d of %d: %v, want %s", i+1, len(states), err, map[bool]string{true: "its state accepted (code_missing)", false: "state_mismatch (cleared)"}[newest])
				}
			}
			if _, _, err := other.Complete(context.Background(), callbackQuery("state", otherState), b.get); !errors.Is(err, oauth.ErrCodeMissing) {
				t.Errorf("the other client's attempt: %v, want it kept", err)
			}
			if v, ok := b.get(garbage.Name); !ok || v != garbage.Value {
				t.Error("a cookie that does not open was cleared")
			}
		})
	}
}
