package session_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/session"
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

// In Cluster mode Rotate runs as separate steps. A "log out everywhere"
// that lands between them must still end the session: the rotated record
// may not survive unindexed.
func TestClusterRotateRacingDestroyUser(t *testing.T) {
	redistest.Client(t) // skip or fail when there is no Redis
	for _, at := range []struct {
		name  string
		match func(cmd redis.Cmder, old, new session.Hash) bool
	}{
		{"after the old record is deleted", func(cmd redis.Cmder, old, _ session.Hash) bool {
			return cmd.Name() == "del" && strings.Contains(cmd.String(), old.String())
		}},
		{"after the new record is written", func(cmd redis.Cmder, _, new session.Hash) bool {
			return cmd.Name() == "set" && strings.Contains(cmd.String(), new.String())
		}},
	} {
		t.Run(at.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := redistest.Prefix(t)
			opts, err := redis.ParseURL(redistest.URL())
			if err != nil {
				t.Fatal(err)
			}
			ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": opts.Addr}, DB: opts.DB, Password: opts.Password})
			t.Cleanup(func() { ring.Close() })
			rotating, err := session.NewRedisStore(ring, session.WithKeyPrefix(prefix))
			if err != nil {
				t.Fatal(err)
			}
			other, err := session.NewRedisStore(redistest.Client(t), session.WithKeyPrefix(prefix))
			if err != nil {
				t.Fatal(err)
			}
			session.ForceClusterSteps(other)

			old, new := session.Hash(sha256.Sum256([]byte("old"))), session.Hash(sha256.Sum256([]byte("new")))
			now := time.Now()
			p := session.Policy{Now: now, Idle: 30 * time.Minute, Absolute: 12 * time.Hour, TouchEvery: time.Minute}
			rec := &session.Record{UserID: "alice", CreatedAt: now, LastSeen: now}
			if err := rotating.Create(ctx, old, rec, p); err != nil {
				t.Fatal(err)
			}
			fired := false
			ring.AddHook(afterHook{fn: func(cmd redis.Cmder) {
				if !fired && at.match(cmd, old, new) {
					fired = true
					if _, err := other.DestroyUser(ctx, "alice"); err != nil {
						t.Errorf("DestroyUser: %v", err)
					}
				}
			}})
			err = rotating.Rotate(ctx, old, new, "alice", rec, p)
			if !fired {
				t.Fatal("the hook never fired; the test no longer reaches the race")
			}
			if !errors.Is(err, session.ErrNotFound) {
				t.Errorf("Rotate racing DestroyUser = %v, want ErrNotFound", err)
			}
			for _, h := range []session.Hash{old, new} {
				if _, err := other.Load(ctx, h, p); !errors.Is(err, session.ErrNotFound) {
					t.Errorf("a session survived log-out-everywhere: Load = %v", err)
				}
			}
		})
	}
}

// A List ("your devices" on another device) pruning the index while a
// Cluster-mode Rotate has indexed its new record but not yet written it
// must not log the user out: the rotation succeeds and stays listed.
func TestClusterRotateRacingList(t *testing.T) {
	redistest.Client(t)
	ctx := context.Background()
	prefix := redistest.Prefix(t)
	opts, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": opts.Addr}, DB: opts.DB, Password: opts.Password})
	t.Cleanup(func() { ring.Close() })
	rotating, _ := session.NewRedisStore(ring, session.WithKeyPrefix(prefix))
	other, _ := session.NewRedisStore(redistest.Client(t), session.WithKeyPrefix(prefix))
	session.ForceClusterSteps(other)
	old, new := session.Hash(sha256.Sum256([]byte("old"))), session.Hash(sha256.Sum256([]byte("new")))
	now := time.Now()
	p := session.Policy{Now: now, Idle: 30 * time.Minute, Absolute: 12 * time.Hour, TouchEvery: time.Minute}
	rec := &session.Record{UserID: "alice", CreatedAt: now, LastSeen: now}
	if err := rotating.Create(ctx, old, rec, p); err != nil {
		t.Fatal(err)
	}
	fired := false
	ring.AddHook(afterHook{fn: func(cmd redis.Cmder) {
		if !fired && cmd.Name() == "zadd" && strings.Contains(cmd.String(), new.String()) {
			fired = true
			if _, err := other.List(ctx, "alice", p); err != nil {
				t.Errorf("List: %v", err)
			}
		}
	}})
	if err := rotating.Rotate(ctx, old, new, "alice", rec, p); err != nil {
		t.Fatalf("Rotate racing a List = %v, want success", err)
	}
	if !fired {
		t.Fatal("the hook never fired; the test no longer reaches the race")
	}
	if _, err := other.Load(ctx, new, p); err != nil {
		t.Fatalf("the rotated session does not load: %v", err)
	}
	list, err := other.List(ctx, "alice", p)
	if err != nil || len(list) != 1 {
		t.Fatalf("List after the rotation = %d entries, %v; want the rotated session", len(list), err)
	}
}

// A Cluster-mode Create that a "log out everywhere" overtakes removes its
// own record.
func TestClusterCreateRacingDestroyUser(t *testing.T) {
	redistest.Client(t)
	ctx := context.Background()
	prefix := redistest.Prefix(t)
	opts, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": opts.Addr}, DB: opts.DB, Password: opts.Password})
	t.Cleanup(func() { ring.Close() })
	creating, _ := session.NewRedisStore(ring, session.WithKeyPrefix(prefix))
	other, _ := session.NewRedisStore(redistest.Client(t), session.WithKeyPrefix(prefix))
	session.ForceClusterSteps(other)
	h := session.Hash(sha256.Sum256([]byte("fresh")))
	now := time.Now()
	p := session.Policy{Now: now, Idle: 30 * time.Minute, Absolute: 12 * time.Hour, TouchEvery: time.Minute}
	fired := false
	ring.AddHook(afterHook{fn: func(cmd redis.Cmder) {
		if !fired && cmd.Name() == "set" && strings.Contains(cmd.String(), h.String()) {
			fired = true
			if _, err := other.DestroyUser(ctx, "alice"); err != nil {
				t.Errorf("DestroyUser: %v", err)
			}
		}
	}})
	err = creating.Create(ctx, h, &session.Record{UserID: "alice", CreatedAt: now, LastSeen: now}, p)
	if !fired {
		t.Fatal("the hook never fired")
	}
	if !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Create overtaken by DestroyUser = %v, want ErrNotFound", err)
	}
	if _, err := other.Load(ctx, h, p); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("the created session survived log-out-everywhere: Load = %v", err)
	}
}
