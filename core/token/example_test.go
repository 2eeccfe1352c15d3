package token_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/authkit-go/authkit/core/token"
)

func Example() {
	key, err := token.GenerateKey(token.ES256, "2026-11")
	if err != nil {
		panic(err)
	}
	keys, _ := token.NewKeySet(key)
	iss, err := token.NewIssuer(keys, token.WithIssuer("https://auth.example"), token.WithAudience("api"))
	if err != nil {
		panic(err)
	}
	http.Handle("GET /.well-known/jwks.json", keys.JWKSHandler())

	ctx := context.Background()
	pair, _ := iss.IssuePair(ctx, token.Subject{ID: "user-42", Roles: []string{"admin"}, Scope: "read write"})
	claims, err := iss.Authenticate(ctx, pair.AccessToken)
	fmt.Println(claims.Subject, claims.HasRole("admin"), claims.HasScope("write"), err)

	next, err := iss.Refresh(ctx, pair.RefreshToken)
	fmt.Println(next.TokenType, next.ExpiresIn, err)
	// Output:
	// user-42 true true <nil>
	// Bearer 900 <nil>
}

// The verified-token cache is on by default; size it for the number of
// clients whose tokens are in use at once, or turn it off.
func ExampleWithVerifiedCache() {
	key, _ := token.GenerateKey(token.ES256, "2026-11")
	keys, _ := token.NewKeySet(key)
	iss, err := token.NewIssuer(keys, token.WithVerifiedCache(50_000, 64<<20))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	pair, _ := iss.IssuePair(ctx, token.Subject{ID: "user-42"})
	for range 2 { // the second request skips the signature check, not the revocation check
		claims, err := iss.Authenticate(ctx, pair.AccessToken)
		fmt.Println(claims.Subject, err)
	}
	_, err = token.NewIssuer(keys, token.WithoutVerifiedCache())
	fmt.Println(err)
	// Output:
	// user-42 <nil>
	// user-42 <nil>
	// <nil>
}

func ExampleVerifier_errorChecking() {
	key, _ := token.GenerateKey(token.EdDSA, "k1")
	raw, _ := token.Sign(key, "JWT", []byte(`{"sub":"u","exp":1764331200}`))
	keys, _ := token.NewVerifyKeySet(key.Public())
	v, _ := token.NewVerifier(keys, token.WithClock(func() time.Time { return time.Unix(1764331200+3600, 0) }))

	_, err := v.Verify(context.Background(), raw)
	switch {
	case err == nil:
		fmt.Println("ok")
	case errors.Is(err, token.ErrUnavailable):
		fmt.Println("503: try again later")
	case errors.Is(err, token.ErrExpired):
		fmt.Println("401: expired, refresh it")
	case errors.Is(err, token.ErrInvalid):
		fmt.Println("401: invalid_token")
	}
	// Output: 401: expired, refresh it
}

func ExampleIssuer_Refresh_reuse() {
	key, _ := token.GenerateKey(token.ES256, "")
	keys, _ := token.NewKeySet(key)
	iss, _ := token.NewIssuer(keys)
	ctx := context.Background()
	pair, _ := iss.IssuePair(ctx, token.Subject{ID: "user-42"})
	_, _ = iss.Refresh(ctx, pair.RefreshToken)
	_, err := iss.Refresh(ctx, pair.RefreshToken) // stolen copy replayed
	fmt.Println(errors.Is(err, token.ErrReused))
	// Output: true
}

func ExampleKeySet_Promote() {
	old, _ := token.GenerateKey(token.ES256, "2026-10")
	keys, _ := token.NewKeySet(old)
	next, _ := token.GenerateKey(token.ES256, "2026-11")
	_ = keys.Add(next)            // 1. publish: verifiers learn the new key
	_ = keys.Promote("2026-11")   // 2. sign with it; old stays verify-only
	err := keys.Retire("2026-10") // 3. after the longest token lifetime
	fmt.Println(keys.Active().KID(), err)
	// Output: 2026-11 <nil>
}
