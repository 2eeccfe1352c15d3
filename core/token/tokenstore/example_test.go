package tokenstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/token/tokenstore"
)

func Example() {
	ctx := context.Background()
	store := tokenstore.NewMemory()

	issued := time.Now()
	_ = store.RevokeToken(ctx, "user-42", "jti-1", issued.Add(15*time.Minute))

	for _, jti := range []string{"jti-1", "jti-2"} {
		revoked, err := store.Revoked(ctx, "user-42", jti, "", issued)
		if err != nil {
			fmt.Println("deny: store unavailable") // 503, never allow
			return
		}
		fmt.Println(jti, "revoked:", revoked)
	}
	// Output:
	// jti-1 revoked: true
	// jti-2 revoked: false
}

func ExampleMemory_RevokeSubject() {
	ctx := context.Background()
	store := tokenstore.NewMemory()

	// "Log out everywhere": every token issued before now is revoked for the
	// longest token lifetime.
	now := time.Now()
	_ = store.RevokeSubject(ctx, "user-42", now, 14*24*time.Hour)

	old, _ := store.Revoked(ctx, "user-42", "jti-old", "", now.Add(-time.Minute))
	fresh, _ := store.Revoked(ctx, "user-42", "jti-new", "", now.Add(time.Second))
	fmt.Println(old, fresh)
	// Output: true false
}

func ExampleMemory_errorChecking() {
	ctx := context.Background()
	store := tokenstore.NewMemory()
	exp := time.Now().Add(14 * 24 * time.Hour)

	_ = store.StartFamily(ctx, "fam-1", "user-42", "refresh-a", exp)
	_ = store.RotateFamily(ctx, "fam-1", "refresh-a", "refresh-b", exp)

	// refresh-a is presented a second time: a stolen copy, or the user's.
	err := store.RotateFamily(ctx, "fam-1", "refresh-a", "refresh-c", exp)
	switch {
	case err == nil:
		fmt.Println("issue the new token pair")
	case errors.Is(err, tokenstore.ErrReused):
		fmt.Println("reuse detected: family revoked, audit it, answer 401")
	case errors.Is(err, tokenstore.ErrFamilyRevoked), errors.Is(err, tokenstore.ErrFamilyUnknown):
		fmt.Println("answer 401")
	case errors.Is(err, tokenstore.ErrUnavailable):
		fmt.Println("answer 503")
	default:
		fmt.Println("answer 400")
	}
	// Output: reuse detected: family revoked, audit it, answer 401
}

func ExampleNewRedis() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	store, err := tokenstore.NewRedis(rdb, tokenstore.WithPrefix("myapp:tok:"))
	if err != nil {
		fmt.Println(err)
		return
	}
	revoked, err := store.Revoked(context.Background(), "user-42", "jti-1", "", time.Now())
	if errors.Is(err, tokenstore.ErrUnavailable) {
		fmt.Println("answer 503, never allow")
		return
	}
	fmt.Println(revoked)
}
