package redisstore_test

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/ratelimit"
	"github.com/authkit-go/authkit/core/ratelimit/redisstore"
)

// A per-IP limit and a login throttle sharing one Redis; a request that
// checks both limits costs one round trip.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	store, err := redisstore.New(client, redisstore.WithPrefix("myapp:rl:"))
	if err != nil {
		panic(err)
	}
	perIP, err := ratelimit.New("ip", ratelimit.PerMinute(60), store)
	if err != nil {
		panic(err)
	}
	logins, err := ratelimit.NewLoginThrottle(store, ratelimit.PerMinute(5))
	if err != nil {
		panic(err)
	}
	d, err := perIP.Allow(context.Background(), ratelimit.Key{Kind: ratelimit.KindIP, Value: "192.0.2.7/32"}, 1)
	fmt.Println(d.Allowed, err, logins.FailsOpen())
}
