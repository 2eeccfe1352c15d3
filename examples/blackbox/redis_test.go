package blackbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// memoryEnv keeps a server on memory stores even when the environment
// names a Redis for the Redis variants.
var memoryEnv = []string{"REDIS_URL="}

// redisURL is the Redis the Redis variants use.
func redisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

var (
	redisOnce   sync.Once
	redisClient *redis.Client
	redisErr    error
)

// needRedis returns a client for the test Redis, or skips loudly when none
// answers (fails under REQUIRE_REDIS=1).
func needRedis(t *testing.T) *redis.Client {
	t.Helper()
	redisOnce.Do(func() {
		opts, err := redis.ParseURL(redisURL())
		if err != nil {
			redisErr = err
			return
		}
		c := redis.NewClient(opts)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			c.Close()
			redisErr = err
			return
		}
		redisClient = c
	})
	if redisErr != nil {
		msg := "REDIS NOT REACHABLE at " + redisURL() + ": " + redisErr.Error() + " (set REDIS_URL or start redis-server)"
		if os.Getenv("REQUIRE_REDIS") == "1" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPING REDIS END-TO-END TEST: " + msg)
	}
	return redisClient
}

// redisEnv returns the environment that puts a server on the test Redis
// under a fresh key prefix, and deletes every key under that prefix when
// the test ends. It never flushes a database.
func redisEnv(t *testing.T) (env []string, prefix string) {
	t.Helper()
	c := needRedis(t)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix = "authkit-e2e:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() { deletePrefix(t, c, prefix) })
	return []string{"REDIS_URL=" + redisURL(), "AUTHKIT_REDIS_PREFIX=" + prefix}, prefix
}

func deletePrefix(t *testing.T, c *redis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Logf("scanning %s*: %v", prefix, err)
		return
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := c.Unlink(ctx, keys[:n]...).Err(); err != nil {
			t.Logf("deleting keys: %v", err)
			return
		}
		keys = keys[n:]
	}
}
