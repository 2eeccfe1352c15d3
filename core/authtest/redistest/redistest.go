// Package redistest gives tests a real Redis: the server named by REDIS_URL,
// or redis://127.0.0.1:6379/0 when unset. Each test gets its own key prefix
// and its keys are deleted afterwards; no database is ever flushed.
//
// When no Redis answers, the test is skipped with a loud notice, unless
// REQUIRE_REDIS=1 (CI sets it), in which case it fails.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is used when REDIS_URL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

var (
	mu       sync.Mutex
	cached   *redis.Client
	cacheErr error
)

// URL returns the Redis URL tests use.
func URL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Client returns a client for the test Redis, or skips (fails under
// REQUIRE_REDIS=1) when none answers. The client is shared by the package's
// tests and must not be closed by them.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if cached == nil && cacheErr == nil {
		opts, err := redis.ParseURL(URL())
		if err != nil {
			cacheErr = err
		} else {
			c := redis.NewClient(opts)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = c.Ping(ctx).Err()
			cancel()
			if err != nil {
				c.Close()
				cacheErr = err
			} else {
				cached = c
			}
		}
	}
	if cacheErr != nil {
		msg := "REDIS NOT REACHABLE at " + URL() + ": " + cacheErr.Error() + " (set REDIS_URL or start redis-server; `make test` starts one)"
		if os.Getenv("REQUIRE_REDIS") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip("SKIPPING REDIS TEST: " + msg)
	}
	return cached
}

// Unreachable returns a client to an address where nothing listens
// (127.0.0.1:1), failing fast (one dial attempt of at most 200 ms, no
// retries), for tests of what a store does when Redis is down. It is
// closed when the test ends.
func Unreachable(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Prefix returns a key prefix unique to this test run and test, and deletes
// every key under it when the test ends.
func Prefix(tb testing.TB) string {
	tb.Helper()
	return PrefixFor(tb, Client(tb))
}

// PrefixFor is Prefix for keys written through c (a Cluster client, say):
// the cleanup deletes them through c.
func PrefixFor(tb testing.TB, c redis.UniversalClient) string {
	tb.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	name := strings.NewReplacer("/", ".", " ", "_", "{", "(", "}", ")").Replace(tb.Name())
	prefix := "authkit-test:" + hex.EncodeToString(b[:]) + ":" + name + ":"
	tb.Cleanup(func() { DeletePrefix(tb, c, prefix) })
	return prefix
}

// DeletePrefix removes every key that starts with prefix. On a Cluster it
// scans every master.
func DeletePrefix(tb testing.TB, c redis.UniversalClient, prefix string) {
	tb.Helper()
	if cc, ok := c.(*redis.ClusterClient); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := cc.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error {
			deletePrefix(ctx, tb, master, prefix, 1) // keys of other slots cannot share a command
			return nil
		})
		if err != nil {
			tb.Logf("redistest: deleting %s* on the cluster: %v", prefix, err)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	deletePrefix(ctx, tb, c, prefix, 500)
}

func deletePrefix(ctx context.Context, tb testing.TB, c redis.Cmdable, prefix string, batch int) {
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Logf("redistest: scanning %s*: %v", prefix, err)
		return
	}
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for len(keys) > 0 {
			n := min(len(keys), batch)
			p.Unlink(ctx, keys[:n]...)
			keys = keys[n:]
		}
		return nil
	})
	if err != nil {
		tb.Logf("redistest: deleting keys: %v", err)
	}
}

// NewClient returns a client of the test's own for the Redis at URL (for
// hooks that must see only the test's traffic), closed when the test ends;
// it skips or fails as Client does.
func NewClient(tb testing.TB) *redis.Client {
	tb.Helper()
	Client(tb) // skip or fail without a Redis
	opts, err := redis.ParseURL(URL())
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(opts)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// RoundTrips counts the round trips a client makes: one per command or
// pipeline (a MULTI/EXEC transaction is one pipeline).
type RoundTrips struct{ n atomic.Int64 }

// CountRoundTrips installs a counter on c. Use a client of the test's own
// (not the shared one from Client) so other tests' traffic is not counted.
func CountRoundTrips(c *redis.Client) *RoundTrips {
	h := &RoundTrips{}
	c.AddHook(h)
	return h
}

// Count returns the round trips so far.
func (h *RoundTrips) Count() int64 { return h.n.Load() }

// Reset sets the count to zero.
func (h *RoundTrips) Reset() { h.n.Store(0) }

// DialHook implements redis.Hook.
func (h *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (h *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (h *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// NodeRoundTrips counts the round trips a Cluster client makes to each of
// its nodes: one per command or pipeline a node receives (go-redis splits a
// pipeline by node and sends each node its part).
type NodeRoundTrips struct {
	mu     sync.Mutex
	hooked map[*redis.Client]bool
	n      map[string]int64 // by node address
}

// CountNodeRoundTrips installs a counter on every node of c, present and
// future. Use a client of the test's own (NewClusterClient).
func CountNodeRoundTrips(tb testing.TB, c *redis.ClusterClient) *NodeRoundTrips {
	tb.Helper()
	h := &NodeRoundTrips{hooked: make(map[*redis.Client]bool), n: make(map[string]int64)}
	c.OnNewNode(h.hook)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ForEachShard(ctx, func(_ context.Context, node *redis.Client) error {
		h.hook(node)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return h
}

func (h *NodeRoundTrips) hook(node *redis.Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.hooked[node] {
		h.hooked[node] = true
		node.AddHook(nodeHook{h: h, addr: node.Options().Addr})
	}
}

func (h *NodeRoundTrips) add(addr string) {
	h.mu.Lock()
	h.n[addr]++
	h.mu.Unlock()
}

// Counts returns the round trips so far, by node address (nodes without
// any are absent).
func (h *NodeRoundTrips) Counts() map[string]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.n)
}

// Reset sets every count to zero.
func (h *NodeRoundTrips) Reset() {
	h.mu.Lock()
	clear(h.n)
	h.mu.Unlock()
}

// nodeHook counts one node's round trips.
type nodeHook struct {
	h    *NodeRoundTrips
	addr string
}

func (k nodeHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (k nodeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		k.h.add(k.addr)
		return next(ctx, cmd)
	}
}

func (k nodeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		k.h.add(k.addr)
		return next(ctx, cmds)
	}
}
