package tokenstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authkit-go/authkit/core/token/tokenstore"
)

func Example() {
	ctx := context.Background()
	store := tokenstore.NewMemoryStore()

	issued := time.Now()
	_ = store.RevokeToken(ctx, "user-42", "jti-1", issued.Add(15*time.Minute))

	for _, jti := range []string{"jti-1", "jti-2"} {
		revoked, err := store.Revoked(ctx, "user-42", jti, "", 0)
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

func ExampleMemoryStore_RevokeSubject() {
	ctx := context.Background()
	store := tokenstore.NewMemoryStore()

	exp := time.Now().Add(time.Hour)
	gen, _ := store.StartFamily(ctx, tokenstore.Family{ID: "fam-1", Subject: "user-42", JTI: "refresh-a", Exp: exp})

	// "Log out everywhere": the subject's generation goes up, so every
	// token minted in an earlier one is refused, whatever its iat.
	_ = store.RevokeSubject(ctx, "user-42", 14*24*time.Hour)

	old, _ := store.Revoked(ctx, "user-42", "access-1", "fam-1", gen)
	gen, _ = store.StartFamily(ctx, tokenstore.Family{ID: "fam-2", Subject: "user-42", JTI: "refresh-b", Exp: exp})
	fresh, _ := store.Revoked(ctx, "user-42", "access-2", "fam-2", gen)
	fmt.Println(old, fresh, gen)
	// Output: true false 1
}

func ExampleMemoryStore_errorChecking() {
	ctx := context.Background()
	store := tokenstore.NewMemoryStore()
	exp := time.Now().Add(14 * 24 * time.Hour)

	_, _ = store.StartFamily(ctx, tokenstore.Family{ID: "fam-1", Subject: "user-42", JTI: "refresh-a", Exp: exp})
	r := tokenstore.Rotation{Subject: "user-42", Family: "fam-1", Used: "refresh-a", Next: "refresh-b", Exp: exp}
	_ = store.RotateFamily(ctx, r)

	// refresh-a is presented a second time: a stolen copy, or the user's.
	r.Next = "refresh-c"
	err := store.RotateFamily(ctx, r)
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
