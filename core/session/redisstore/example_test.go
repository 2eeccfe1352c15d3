package redisstore_test

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/session/redisstore"
)

// ExampleNew wires a Manager to Redis. Several applications share one
// Redis by prefix.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	store, err := redisstore.New(rdb, redisstore.WithPrefix("myapp:session:"))
	if err != nil {
		fmt.Println(err)
		return
	}
	sessions, err := session.New(session.WithStore(store))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = sessions
}
