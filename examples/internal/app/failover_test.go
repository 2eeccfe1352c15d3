package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// failoverDeadline bounds how long the reference API may answer 503 after
// a master of the Cluster fails: Redis needs NodeTimeout (1 s here) to see
// it fail and about as long again to promote its replica, and the client
// then reloads its slot map (within clusterReload).
const failoverDeadline = 30 * time.Second

// clusterReload is how often the Cluster client rereads the slot map.
// go-redis does so after a MOVED or READONLY answer, but not when a
// master stops answering: with its default of 60 s the slots of a dead
// master stay unreachable up to a minute after its replica took over.
const clusterReload = 2 * time.Second

// TestClusterFailover runs the reference API on a private Redis Cluster
// of three masters with a replica each while clients sign in and call /me
// by token and by cookie without pause. First a master is killed, then
// another one hands over to its replica (CLUSTER FAILOVER): no request
// panics or answers anything but 200 (or the 401 a revoked token gets);
// 503 only from the failure until the API works again for every user,
// which must happen within failoverDeadline; afterwards every sign-in and
// revocation made (and replicated) before the failure still holds, and
// every account signs in.
func TestClusterFailover(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 1)
	client := cl.Client(redis.ClusterOptions{ClusterStateReloadInterval: clusterReload, DialTimeout: RedisDialTimeout, ReadTimeout: RedisReadTimeout,
		WriteTimeout: RedisWriteTimeout, PoolTimeout: RedisPoolTimeout, ContextTimeoutEnabled: true})
	s := newTestServer(t, Config{Redis: client, RedisPrefix: "failover:"})
	f := &failover{t: t, s: s}
	for i := range 24 {
		u := &failoverUser{name: fmt.Sprintf("user%02d", i)}
		s.register(u.name, testPass)
		u.access, _, u.cookie = s.login(u.name)
		revoked, _, _ := s.login(u.name)
		if st := s.status("POST", "/logout", "", map[string]string{"Authorization": "Bearer " + revoked}); st != http.StatusNoContent {
			t.Fatalf("logout: %d", st)
		}
		u.revoked = revoked
		f.users = append(f.users, u)
	}
	// Redis replicates asynchronously: what a master acknowledged but had
	// not yet sent to its replica is lost with it. Wait until the replicas
	// hold everything, so that nothing above may be lost.
	if err := cl.Synced(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	f.check("before any failure")

	t.Run("master killed", func(t *testing.T) {
		master, _, err := cl.MasterOf(redistest.Slot("failover:user:" + f.users[0].name))
		if err != nil {
			t.Fatal(err)
		}
		f.phase(t, func() { cl.Kill(master) })
		if err := cl.WaitHealthy(failoverDeadline); err != nil {
			t.Fatal(err)
		}
		f.check("after the master was killed")
	})
	t.Run("CLUSTER FAILOVER", func(t *testing.T) {
		if err := cl.Synced(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		var replica string
		roles, err := cl.Roles()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if !r.Master {
				replica = r.Addr
			}
		}
		if replica == "" {
			t.Fatal("no replica left to fail over to")
		}
		f.phase(t, func() {
			if err := cl.Failover(replica); err != nil {
				t.Fatal(err)
			}
		})
		f.check("after CLUSTER FAILOVER")
	})
}

type failoverUser struct {
	name, access, cookie, revoked string
}

type failover struct {
	t     *testing.T
	s     *testServer
	users []*failoverUser
}

// outcome is one request the clients sent while a failure was under way.
type outcome struct {
	start, end time.Time
	what       string
	status     int
}

// phase runs the clients, calls disrupt, waits until the API works again
// for every user and checks the answers: only 200 (and 401 for a revoked
// token), 503 only between the disruption and the recovery.
func (f *failover) phase(t *testing.T, disrupt func()) {
	var (
		mu      sync.Mutex
		answers []outcome
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	for w := range 6 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				u := f.users[(w*7+i)%len(f.users)]
				var what string
				var want int
				header := map[string]string{}
				method, path, body := "GET", "/me", ""
				switch i % 4 {
				case 0:
					what, want, header["Authorization"] = "/me by token", 200, "Bearer "+u.access
				case 1:
					what, want, header["Cookie"] = "/me by cookie", 200, f.s.app.sessions.CookieName()+"="+u.cookie
				case 2:
					what, want, header["Authorization"] = "/me by a revoked token", 401, "Bearer "+u.revoked
				case 3:
					what, want, method, path = "login", 200, "POST", "/login"
					b, _ := json.Marshal(map[string]string{"username": u.name, "password": testPass})
					body = string(b)
				}
				start := time.Now()
				status := f.s.status(method, path, body, header)
				if status != want && status != http.StatusServiceUnavailable {
					t.Errorf("%s of %s: %d, want %d (or 503 during the failover)", what, u.name, status, want)
				}
				mu.Lock()
				answers = append(answers, outcome{start, time.Now(), what, status})
				mu.Unlock()
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(answers) }
	waitFor := func(n int) {
		for deadline := time.Now().Add(10 * time.Second); count() < n && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond) // waiting for the clients, not timing the code under test
		}
	}
	waitFor(200)
	disruptedAt := time.Now()
	disrupt()
	took, err := redistest.Poll(failoverDeadline, f.working)
	recoveredAt := time.Now()
	if err != nil {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("the API did not work again within %v of the failure: %v", took, err)
	}
	waitFor(count() + 200)
	stop.Store(true)
	wg.Wait()

	unavailable, late := 0, 0
	for _, a := range answers {
		if a.status != http.StatusServiceUnavailable {
			continue
		}
		unavailable++
		// In flight at some moment of the window: it ended after the
		// disruption and started before the recovery.
		if a.end.Before(disruptedAt) || a.start.After(recoveredAt) {
			late++
			if late <= 5 {
				t.Errorf("%s from %v to %v after the disruption answered 503 outside the failover window (%v)",
					a.what, a.start.Sub(disruptedAt), a.end.Sub(disruptedAt), recoveredAt.Sub(disruptedAt))
			}
		}
	}
	t.Logf("%d requests; %d answered 503 (%d outside the failover window); every user's requests worked again %v after the failure",
		len(answers), unavailable, late, recoveredAt.Sub(disruptedAt).Round(time.Millisecond))
}

// working reports whether every user's token and session work and every
// revoked token is refused.
func (f *failover) working() error {
	for _, u := range f.users {
		for _, c := range []struct {
			what   string
			header map[string]string
			want   int
		}{
			{"token", map[string]string{"Authorization": "Bearer " + u.access}, 200},
			{"cookie", map[string]string{"Cookie": f.s.app.sessions.CookieName() + "=" + u.cookie}, 200},
			{"revoked token", map[string]string{"Authorization": "Bearer " + u.revoked}, 401},
		} {
			if got := f.s.status("GET", "/me", "", c.header); got != c.want {
				return fmt.Errorf("/me of %s by %s: %d, want %d", u.name, c.what, got, c.want)
			}
		}
	}
	return nil
}

// check fails the test unless every sign-in and revocation made before
// still holds and every account signs in.
func (f *failover) check(when string) {
	f.t.Helper()
	if err := f.working(); err != nil {
		f.t.Fatalf("%s: %v", when, err)
	}
	for _, u := range f.users {
		b, _ := json.Marshal(map[string]string{"username": u.name, "password": testPass})
		if st := f.s.status("POST", "/login", string(b), nil); st != http.StatusOK {
			f.t.Fatalf("%s: login of %s: %d", when, u.name, st)
		}
	}
}
