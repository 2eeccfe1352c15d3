package redisstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/token/tokenstore"
	"github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	store, err := redisstore.New(rdb, redisstore.WithPrefix("myapp:tok:"))
	if err != nil {
		fmt.Println(err)
		return
	}
	revoked, err := store.Revoked(context.Background(), "user-42", "jti-1", "", 0)
	if errors.Is(err, tokenstore.ErrUnavailable) {
		fmt.Println("answer 503, never allow")
		return
	}
	fmt.Println(revoked)
}
