package redisstore_test

import (
	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/mfa/redisstore"
)

// A Manager on Redis. Any redis.UniversalClient works: a single server,
// Sentinel or Cluster.
func ExampleNew() {
	_ = func(rdb redis.UniversalClient, keys *mfa.Keyring) (*mfa.Manager, error) {
		store, err := redisstore.New(rdb, redisstore.WithPrefix("myapp:mfa:"))
		if err != nil {
			return nil, err
		}
		return mfa.New("Example Co", store, keys)
	}
}
