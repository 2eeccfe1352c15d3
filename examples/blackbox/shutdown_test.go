package blackbox

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// TestGracefulShutdown stops each server with SIGTERM (and SIGINT) while a
// sign-in is in flight: the sign-in finishes with 200 and its session
// cookie, the process exits with status 0, and the session and the token
// it handed out work on the server started next on the same Redis — the
// session was committed before the process went. Redis answers slowly
// (through a proxy adding latency), so the sign-in takes a second or so,
// and the signal goes out once the request has reached Redis.
func TestGracefulShutdown(t *testing.T) {
	for _, fw := range Frameworks {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			t.Run(fw+"/"+sig.String(), func(t *testing.T) {
				t.Parallel()
				p, opts := redistest.NewTestProxy(t)
				env := []string{"REDIS_URL=redis://" + p.Addr() + "/" + strconv.Itoa(opts.DB), "AUTHKIT_REDIS_PREFIX=" + redistest.Prefix(t)}
				s := start(t, fw, env, "-dev-fast-hash")
				r := &run{t: t, s: s}
				r.expect("register", r.do("register", req{method: "POST", path: "/register", body: creds("alice", goodPass)}), 201)

				p.SetLatency(50 * time.Millisecond) // each way: a Redis round trip takes 100 ms or more
				sent := p.Requests()
				type result struct {
					a   reply
					at  time.Time
					err error
				}
				done := make(chan result, 1)
				go func() {
					a, err := sendReq(s, req{method: "POST", path: "/login", body: creds("alice", goodPass), ua: "in flight"})
					done <- result{a: a, at: time.Now(), err: err}
				}()
				if _, err := redistest.Poll(10*time.Second, func() error {
					if p.Requests() == sent {
						return errStatus(0)
					}
					return nil
				}); err != nil {
					t.Fatal("the sign-in never reached Redis")
				}
				signalled := time.Now()
				exit := s.Terminate(sig)
				exited := time.Now()
				res := <-done
				if res.err != nil {
					t.Fatalf("the sign-in in flight failed: %v (the server exited with %v)", res.err, exit)
				}
				if res.a.Status != 200 || res.a.Cookie == "" {
					t.Fatalf("the sign-in in flight: %d %s, cookie %q; want 200 and a session cookie", res.a.Status, res.a.Body, res.a.Cookie)
				}
				if !res.at.After(signalled) {
					t.Fatal("the sign-in finished before the signal; the test did not shut down under it")
				}
				if exit != nil {
					t.Fatalf("after %v the server exited with %v, want status 0; its log:\n%s", sig, exit, s.Logs())
				}
				t.Logf("%v: the sign-in finished %v after the signal, the process exited %v after it",
					sig, res.at.Sub(signalled).Round(time.Millisecond), exited.Sub(signalled).Round(time.Millisecond))

				var tokens pair
				res.a.json(t, &tokens)
				p.SetLatency(0)
				next := start(t, fw, env)
				r = &run{t: t, s: next}
				r.whoami("the session committed at shutdown", req{cookie: res.a.Cookie}, "alice", "session")
				r.whoami("the token issued at shutdown", req{bearer: tokens.AccessToken}, "alice", "token")
			})
		}
	}
}

type errStatus int

func (e errStatus) Error() string { return "not yet" }
