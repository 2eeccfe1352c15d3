package redistest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterAddrsEnv names the variable holding the seed addresses of a Redis
// Cluster, comma-separated ("127.0.0.1:20001,127.0.0.1:20002"). The
// Makefile's test target sets it when it can start one
// (scripts/redis-cluster.sh).
const ClusterAddrsEnv = "REDIS_CLUSTER_ADDRS"

var (
	clusterMu     sync.Mutex
	clusterCached *redis.ClusterClient
	clusterErr    error
)

// ClusterAddrs returns the seed addresses from REDIS_CLUSTER_ADDRS, or nil.
func ClusterAddrs() []string {
	var addrs []string
	for _, a := range strings.Split(os.Getenv(ClusterAddrsEnv), ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// ClusterClient returns a client for the Redis Cluster named by
// REDIS_CLUSTER_ADDRS, shared by the package's tests (do not close it). Without
// one the test is skipped with a loud notice, or fails when
// REQUIRE_REDIS_CLUSTER=1 (CI sets it). It refuses any command or
// transaction whose keys lie in more than one hash slot (CrossSlotCount
// counts them).
func ClusterClient(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if clusterCached == nil && clusterErr == nil {
		addrs := ClusterAddrs()
		if len(addrs) == 0 {
			clusterErr = errNoCluster
		} else {
			c, err := dialCluster(addrs)
			if err != nil {
				c.Close()
				clusterErr = err
			} else {
				clusterCached = c
			}
		}
	}
	if clusterErr != nil {
		msg := "REDIS CLUSTER NOT REACHABLE (" + ClusterAddrsEnv + "=" + os.Getenv(ClusterAddrsEnv) + "): " + clusterErr.Error() +
			" (`make test` starts one when redis-server is installed; scripts/redis-cluster.sh does it by hand)"
		if os.Getenv("REQUIRE_REDIS_CLUSTER") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip("SKIPPING REDIS CLUSTER TEST: " + msg)
	}
	return clusterCached
}

// NewClusterClient returns a client of the test's own for the Redis
// Cluster named by REDIS_CLUSTER_ADDRS (for hooks that must see only the
// test's traffic), closed when the test ends; it skips or fails as
// ClusterClient does. Like ClusterClient's, it refuses any command or
// transaction whose keys lie in more than one hash slot.
func NewClusterClient(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	ClusterClient(tb) // skip or fail without a cluster
	c, err := dialCluster(ClusterAddrs())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// dialCluster connects to the cluster at addrs, checks that every shard
// answers and installs the slot check (see CrossSlotCount).
func dialCluster(addrs []string) (*redis.ClusterClient, error) {
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.ForEachShard(ctx, func(ctx context.Context, shard *redis.Client) error {
		return shard.Ping(ctx).Err()
	})
	if err == nil {
		err = watchSlots(ctx, c)
	}
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

type clusterError string

func (e clusterError) Error() string { return string(e) }

const errNoCluster = clusterError(ClusterAddrsEnv + " is not set")

// Backend is one kind of Redis deployment a store's suite runs against.
type Backend struct {
	// Name is "redis" (a single server) or "cluster".
	Name string
	// Client reaches the deployment; the test must not close it.
	Client redis.UniversalClient
	// Prefix is a key prefix unique to the test; its keys are deleted when
	// the test ends.
	Prefix string
}

// ForEachBackend runs fn as a subtest against a single Redis server and
// against a Redis Cluster. Each subtest skips or fails on its own when its
// deployment is missing (see Client and ClusterClient), so a store's whole
// suite runs on both with one call. On the Cluster every command and every
// MULTI/EXEC must keep its keys in one hash slot: one that does not fails
// (as CROSSSLOT), and so does the subtest, even if the store swallowed the
// error.
//
//	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
//		store, err := redisstore.New(b.Client, redisstore.WithPrefix(b.Prefix))
//		...
//	})
func ForEachBackend(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("redis", func(t *testing.T) {
		fn(t, Backend{Name: "redis", Client: Client(t), Prefix: Prefix(t)})
	})
	t.Run("cluster", func(t *testing.T) {
		c := ClusterClient(t)
		before := CrossSlotCount()
		t.Cleanup(func() {
			if n := CrossSlotCount() - before; n > 0 {
				t.Errorf("%d commands or transactions touched keys of several hash slots (CROSSSLOT on a Cluster)", n)
			}
		})
		fn(t, Backend{Name: "cluster", Client: c, Prefix: PrefixFor(t, c)})
	})
}
