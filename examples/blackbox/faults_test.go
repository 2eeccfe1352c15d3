package blackbox

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authtest/faulttest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// requestBudget bounds one request while Redis misbehaves, with the
// client the servers build from REDIS_URL (app/redis.go: a call fails after
// about 500 ms; a request makes at most two before it answers). Generous
// for a loaded machine, far below a hang.
const requestBudget = 4 * time.Second

// TestRedisFaults runs each example server on a Redis behind a proxy that
// freezes, resets and refuses connections, or answers too slowly: every
// request answers within the budget, with the security headers; those
// that need a store answer 503, the others as always; once Redis heals,
// the sign-in made before works again (the time it took is logged).
func TestRedisFaults(t *testing.T) {
	for _, fw := range Frameworks {
		t.Run(fw, func(t *testing.T) {
			t.Parallel()
			p, opts := redistest.NewTestProxy(t)
			env := []string{"REDIS_URL=redis://" + p.Addr() + "/" + strconv.Itoa(opts.DB), "AUTHKIT_REDIS_PREFIX=" + redistest.Prefix(t)}
			s := start(t, fw, env, "-dev-fast-hash")
			r := &run{t: t, s: s}
			r.expect("register", r.do("register", req{method: "POST", path: "/register", body: creds("alice", goodPass)}), 201)
			tokens, cookie := r.login("login", "alice", "device", "")
			forged := tokens.AccessToken[:len(tokens.AccessToken)-4] + "AAAA"
			tests := []struct {
				name string
				q    req
				want int
			}{
				{"health", req{method: "GET", path: "/healthz"}, 200},
				{"JWKS", req{method: "GET", path: "/.well-known/jwks.json"}, 200},
				{"/me without credentials", req{method: "GET", path: "/me"}, 401},
				{"/me with a forged token", req{method: "GET", path: "/me", bearer: forged}, 401},
				{"/me by token", req{method: "GET", path: "/me", bearer: tokens.AccessToken}, 503},
				{"/me by cookie", req{method: "GET", path: "/me", cookie: cookie}, 503},
				{"login", req{method: "POST", path: "/login", body: creds("alice", goodPass)}, 503},
				{"login with a session cookie", req{method: "POST", path: "/login", body: creds("alice", goodPass), cookie: cookie}, 503},
				{"register", req{method: "POST", path: "/register", body: creds("bob", goodPass)}, 503},
				{"refresh", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"` + tokens.RefreshToken + `"}`}, 503},
				{"logout by token", req{method: "POST", path: "/logout", bearer: tokens.AccessToken}, 503},
				{"logout everywhere by cookie", req{method: "POST", path: "/logout/all", cookie: cookie}, 503},
			}
			// The caller's deadline is the test's own here, not the
			// server's: the other cases suit a server in another process.
			cases := slices.DeleteFunc(slices.Clone(faulttest.Cases), func(c faulttest.Case) bool { return c.Deadline > 0 })
			faulttest.Run(t, p, cases, func(t *testing.T, _ context.Context) {
				took := make([]time.Duration, len(tests))
				var wg sync.WaitGroup
				for i, tt := range tests {
					wg.Go(func() {
						start := time.Now()
						status, err := send(s, tt.q)
						took[i] = time.Since(start)
						switch {
						case err != nil:
							t.Errorf("%s: %v", tt.name, err)
						case status != tt.want:
							t.Errorf("%s: %d, want %d", tt.name, status, tt.want)
						case took[i] > requestBudget:
							t.Errorf("%s took %v, over the %v budget", tt.name, took[i], requestBudget)
						}
					})
				}
				wg.Wait()
				t.Logf("slowest request %v", slices.Max(took).Round(time.Millisecond))
			}, func(context.Context) error {
				for _, q := range []req{{method: "GET", path: "/me", bearer: tokens.AccessToken}, {method: "GET", path: "/me", cookie: cookie}} {
					if status, err := send(s, q); err != nil || status != 200 {
						return fmt.Errorf("%s by %q: %d %v", q.path, q.bearer+q.cookie, status, err)
					}
				}
				return nil
			})
			for _, secret := range []string{tokens.AccessToken, tokens.RefreshToken, cookie, goodPass} {
				if strings.Contains(s.Logs(), secret) {
					t.Errorf("a secret appears in the server log")
				}
			}
		})
	}
}

// send sends q without failing the test (it runs on goroutines) and
// answers the status; an answer without the security headers is an error.
func send(s *Server, q req) (int, error) {
	a, err := sendReq(s, q)
	if err != nil {
		return 0, err
	}
	for k, v := range securityHeaders {
		if got := a.Header.Get(k); got != v {
			return a.Status, fmt.Errorf("%s = %q on a %d", k, got, a.Status)
		}
	}
	return a.Status, nil
}
