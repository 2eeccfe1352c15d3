package redisstore_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/session/redisstore"
)

// afterHook runs fn after each command the client sends.
type afterHook struct{ fn func(cmd redis.Cmder) }

func (h afterHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h afterHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.fn(cmd)
		return err
	}
}
func (h afterHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			h.fn(cmd)
		}
		return err
	}
}

// clusterRace is a Cluster-mode store whose client runs hooks, and a
// second store on the same keys playing the other request; drain is a
// client of its own for a third, hooked too. It comes in two kinds: on a
// single server through a single-shard redis.Ring (which takes the Cluster
// code path) and on the real Redis Cluster.
type clusterRace struct {
	hooks  hookable // the racing store's client
	racing *redisstore.Store
	other  *redisstore.Store
	drain  hookable // a client of the test's own on the same deployment
	policy session.Policy
	prefix string
}

type hookable interface {
	redis.UniversalClient
	AddHook(redis.Hook)
}

// forEachRace runs fn on a Ring over the single server and on the Cluster.
func forEachRace(t *testing.T, fn func(t *testing.T, c clusterRace)) {
	t.Run("ring", func(t *testing.T) { fn(t, newRingRace(t)) })
	t.Run("cluster", func(t *testing.T) { fn(t, newRealClusterRace(t)) })
}

func newRingRace(t *testing.T) clusterRace {
	t.Helper()
	redistest.Client(t) // skip or fail when there is no Redis
	prefix := redistest.Prefix(t)
	opts, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": opts.Addr}, DB: opts.DB, Password: opts.Password})
	t.Cleanup(func() { ring.Close() })
	dc := redis.NewClient(opts)
	t.Cleanup(func() { dc.Close() })
	other := newStore(t, redistest.Client(t), prefix)
	redisstore.ForceClusterSteps(other)
	return newRace(t, ring, other, dc, prefix)
}

func newRealClusterRace(t *testing.T) clusterRace {
	t.Helper()
	shared := redistest.ClusterClient(t)
	prefix := redistest.PrefixFor(t, shared)
	return newRace(t, redistest.NewClusterClient(t), newStore(t, shared, prefix), redistest.NewClusterClient(t), prefix)
}

func newRace(t *testing.T, hooks hookable, other *redisstore.Store, drain hookable, prefix string) clusterRace {
	t.Helper()
	now := time.Now()
	return clusterRace{hooks: hooks, racing: newStore(t, hooks, prefix), other: other, drain: drain, prefix: prefix,
		policy: session.Policy{Now: now, Idle: 30 * time.Minute, Absolute: 12 * time.Hour, TouchEvery: time.Minute}}
}

// onceAfter runs fn once, right after the first command matching match.
func (c clusterRace) onceAfter(match func(redis.Cmder) bool, fn func()) *bool {
	fired := new(bool)
	c.hooks.AddHook(afterHook{fn: func(cmd redis.Cmder) {
		if !*fired && match(cmd) {
			*fired = true
			fn()
		}
	}})
	return fired
}

func (c clusterRace) record() *session.Record {
	return &session.Record{UserID: "alice", CreatedAt: c.policy.Now, LastSeen: c.policy.Now}
}

var oldID, newID = session.Hash(sha256.Sum256([]byte("old"))), session.Hash(sha256.Sum256([]byte("new")))

// In Cluster mode Rotate runs as separate steps. A "log out everywhere"
// that lands between them must still end the session: the rotated record
// may not survive.
func TestClusterRotateRacingDestroyUser(t *testing.T) {
	for _, at := range []struct {
		name  string
		match func(cmd redis.Cmder) bool
	}{
		{"after the old record is deleted", func(cmd redis.Cmder) bool {
			return cmd.Name() == "del" && strings.Contains(cmd.String(), oldID.String())
		}},
		{"after the new record is written", func(cmd redis.Cmder) bool {
			return cmd.Name() == "set" && strings.Contains(cmd.String(), newID.String())
		}},
	} {
		t.Run(at.name, func(t *testing.T) {
			forEachRace(t, func(t *testing.T, c clusterRace) {
				ctx := context.Background()
				rec := c.record()
				if err := c.racing.Create(ctx, oldID, rec, c.policy); err != nil {
					t.Fatal(err)
				}
				fired := c.onceAfter(at.match, func() {
					if _, err := c.other.DestroyUser(ctx, "alice"); err != nil {
						t.Errorf("DestroyUser: %v", err)
					}
				})
				err := c.racing.Rotate(ctx, oldID, newID, "alice", rec, c.policy)
				if !*fired {
					t.Fatal("the hook never fired; the test no longer reaches the race")
				}
				if !errors.Is(err, session.ErrNotFound) {
					t.Errorf("Rotate racing DestroyUser = %v, want ErrNotFound", err)
				}
				for _, h := range []session.Hash{oldID, newID} {
					if _, err := c.other.Load(ctx, h, c.policy); !errors.Is(err, session.ErrNotFound) {
						t.Errorf("a session survived log-out-everywhere: Load = %v", err)
					}
				}
			})
		})
	}
}

// A List ("your devices" on another device) pruning the index while a
// Cluster-mode Rotate has indexed its new record but not yet written it
// must not log the user out: the rotation succeeds and stays listed.
func TestClusterRotateRacingList(t *testing.T) {
	forEachRace(t, func(t *testing.T, c clusterRace) {
		ctx := context.Background()
		rec := c.record()
		if err := c.racing.Create(ctx, oldID, rec, c.policy); err != nil {
			t.Fatal(err)
		}
		fired := c.onceAfter(func(cmd redis.Cmder) bool {
			return cmd.Name() == "zadd" && strings.Contains(cmd.String(), newID.String())
		}, func() {
			if _, err := c.other.List(ctx, "alice", c.policy); err != nil {
				t.Errorf("List: %v", err)
			}
		})
		if err := c.racing.Rotate(ctx, oldID, newID, "alice", rec, c.policy); err != nil {
			t.Fatalf("Rotate racing a List = %v, want success", err)
		}
		if !*fired {
			t.Fatal("the hook never fired; the test no longer reaches the race")
		}
		if _, err := c.other.Load(ctx, newID, c.policy); err != nil {
			t.Fatalf("the rotated session does not load: %v", err)
		}
		if list, err := c.other.List(ctx, "alice", c.policy); err != nil || len(list) != 1 {
			t.Fatalf("List after the rotation = %d entries, %v; want the rotated session", len(list), err)
		}
	})
}

// A Cluster-mode Create that a "log out everywhere" overtakes removes its
// own record.
func TestClusterCreateRacingDestroyUser(t *testing.T) {
	forEachRace(t, func(t *testing.T, c clusterRace) {
		ctx := context.Background()
		fired := c.onceAfter(func(cmd redis.Cmder) bool {
			return cmd.Name() == "set" && strings.Contains(cmd.String(), newID.String())
		}, func() {
			if _, err := c.other.DestroyUser(ctx, "alice"); err != nil {
				t.Errorf("DestroyUser: %v", err)
			}
		})
		err := c.racing.Create(ctx, newID, c.record(), c.policy)
		if !*fired {
			t.Fatal("the hook never fired")
		}
		if !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Create overtaken by DestroyUser = %v, want ErrNotFound", err)
		}
		if _, err := c.other.Load(ctx, newID, c.policy); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("the created session survived log-out-everywhere: Load = %v", err)
		}
	})
}

// afterEach runs fn after each command or pipeline the client sends, with
// the commands sent.
type afterEach struct{ fn func(cmds []redis.Cmder) }

func (h afterEach) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h afterEach) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.fn([]redis.Cmder{cmd})
		return err
	}
}
func (h afterEach) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.fn(cmds)
		return err
	}
}

// A Cluster-mode Rotate that starts while a "log out everywhere" drains
// the index must not survive it, in the worst order: the drain has begun
// when the rotation indexes its new id; the drain's batch removes the new
// entry (and the record, not written yet) after the rotation deleted the
// old id; the rotation then writes its record, and confirms it after the
// drain's last look at the index but before the drain ends. A generation
// bumped at start and end alone missed this (the rotation read the bumped
// generation and confirmed before the second bump, re-indexing its
// record): the drain now also marks itself running.
func TestClusterRotateStartingDuringDestroyUser(t *testing.T) {
	forEachRace(t, func(t *testing.T, c clusterRace) {
		ctx := context.Background()
		drain := newStore(t, c.drain, c.prefix)
		redisstore.ForceClusterSteps(drain)
		// Loads the scripts where alice's keys live (on a Cluster, a script
		// missing on her node would cost the drain's first step a NOSCRIPT
		// round trip, which the hook below would take for the step itself).
		if _, err := drain.DestroyUser(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		rec := c.record()
		if err := c.racing.Create(ctx, oldID, rec, c.policy); err != nil {
			t.Fatal(err)
		}
		// The drain's stages: after its first step it reports "started", after
		// its batch "batched", after its last look at the index "ranged"; after
		// each it waits for a go.
		events, proceed := make(chan string), make(chan struct{})
		steps, zranges := 0, 0
		c.drain.AddHook(afterEach{fn: func(cmds []redis.Cmder) {
			steps++
			report := ""
			switch {
			case steps == 1:
				report = "started"
			case cmds[0].Name() == "zrange":
				if zranges++; zranges == 2 {
					report = "ranged"
				}
			case len(cmds) > 1 && cmds[0].Name() == "del":
				report = "batched"
			}
			if report != "" {
				events <- report
				<-proceed
			}
		}})
		done := make(chan error, 1)
		go func() { _, err := drain.DestroyUser(ctx, "alice"); done <- err }()
		if e := <-events; e != "started" {
			t.Fatalf("drain event %q, want started", e)
		}
		stage := func(want string) {
			proceed <- struct{}{}
			if e := <-events; e != want {
				t.Fatalf("drain event %q, want %q", e, want)
			}
		}
		batched := c.onceAfter(func(cmd redis.Cmder) bool {
			return cmd.Name() == "del" && strings.Contains(cmd.String(), oldID.String())
		}, func() { stage("batched") })
		ranged := c.onceAfter(func(cmd redis.Cmder) bool {
			return cmd.Name() == "zrem" && strings.Contains(cmd.String(), oldID.String())
		}, func() { stage("ranged") })
		rotErr := c.racing.Rotate(ctx, oldID, newID, "alice", rec, c.policy)
		if !*batched { // refused at once: the drain runs on
			stage("batched")
		}
		if !*ranged {
			stage("ranged")
		}
		proceed <- struct{}{}
		if err := <-done; err != nil {
			t.Fatalf("DestroyUser: %v", err)
		}
		if !errors.Is(rotErr, session.ErrNotFound) {
			t.Errorf("Rotate during the drain = %v, want ErrNotFound", rotErr)
		}
		for _, h := range []session.Hash{oldID, newID} {
			if _, err := c.other.Load(ctx, h, c.policy); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("a session survived log-out-everywhere: Load = %v", err)
			}
		}
		if list, err := c.other.List(ctx, "alice", c.policy); err != nil || len(list) != 0 {
			t.Errorf("List after the drain = %d sessions, %v; want none", len(list), err)
		}
	})
}

// "Log out everywhere" under load on the real Cluster: workers create and
// rotate sessions of one user without pause while DestroyUser runs again
// and again. Whatever the interleaving, a write that started before a
// DestroyUser started must not leave a session behind, whenever it
// returns: the sign-ins a user sees when pressing the button are gone, and
// so is any rotation of them still in flight.
func TestClusterLogoutEverywhereUnderLoad(t *testing.T) {
	shared := redistest.ClusterClient(t)
	prefix := redistest.PrefixFor(t, shared)
	store := newStore(t, shared, prefix)
	if _, err := store.DestroyUser(context.Background(), "alice"); err != nil { // loads the scripts
		t.Fatal(err)
	}
	now := time.Now()
	policy := session.Policy{Now: now, Idle: 30 * time.Minute, Absolute: 12 * time.Hour, TouchEvery: time.Minute}
	type write struct {
		h     session.Hash
		epoch int // DestroyUsers started before this write started
	}
	var (
		mu     sync.Mutex
		epoch  int
		writes []write
		stop   atomic.Bool
		wg     sync.WaitGroup
	)
	started := func() int { mu.Lock(); defer mu.Unlock(); return epoch }
	succeeded := func(h session.Hash, e int) { mu.Lock(); writes = append(writes, write{h, e}); mu.Unlock() }
	for w := range 6 {
		wg.Go(func() {
			ctx := context.Background()
			for i := 0; !stop.Load(); i++ {
				rec := &session.Record{UserID: "alice", CreatedAt: now, LastSeen: now}
				cur := session.Hash(sha256.Sum256([]byte(fmt.Sprint("load", w, i))))
				e := started()
				if err := store.Create(ctx, cur, rec, policy); err != nil {
					if !errors.Is(err, session.ErrNotFound) {
						t.Errorf("Create: %v", err)
						return
					}
					continue
				}
				succeeded(cur, e)
				for j := 0; j < 5 && !stop.Load(); j++ {
					next := session.Hash(sha256.Sum256([]byte(fmt.Sprint("load", w, i, j))))
					e := started()
					err := store.Rotate(ctx, cur, next, "alice", rec, policy)
					if errors.Is(err, session.ErrNotFound) {
						break // destroyed, or refused while a drain runs
					}
					if err != nil {
						t.Errorf("Rotate: %v", err)
						return
					}
					succeeded(next, e)
					cur = next
				}
			}
		})
	}
	ctx := context.Background()
	const rounds = 40
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(writes) }
	for range rounds {
		// Let sign-ins pile up between two presses of the button.
		for n, deadline := count(), time.Now().Add(10*time.Second); count() < n+12 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond) // waiting for the workers, not timing the store
		}
		mu.Lock()
		epoch++
		mu.Unlock()
		if _, err := store.DestroyUser(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	checked, survived := 0, 0
	for _, w := range writes {
		if w.epoch >= rounds {
			continue // started after the last DestroyUser had started
		}
		checked++
		if _, err := store.Load(ctx, w.h, policy); !errors.Is(err, session.ErrNotFound) {
			survived++
		}
	}
	t.Logf("%d writes, %d started before a DestroyUser: %d survived", len(writes), checked, survived)
	if survived > 0 {
		t.Fatalf("%d sessions written by calls that started before a DestroyUser survived it", survived)
	}
	if checked == 0 {
		t.Fatal("no write started before a DestroyUser; the test reached no race")
	}
}
