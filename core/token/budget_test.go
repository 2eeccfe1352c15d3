package token_test

import (
	"context"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/token"
)

// TestAllocationBudgets pins what the hot path allocates: a repeated
// access token (a verified-token cache hit, revocation asked of the memory
// store) costs the principal's copy of its roles, scopes and AMR.
func TestAllocationBudgets(t *testing.T) {
	for _, alg := range []token.Algorithm{token.HS256, token.ES256} {
		key, err := token.GenerateKey(alg, "k1")
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := token.NewKeySet(key)
		iss, err := token.NewIssuer(keys, token.WithAudit(audit.Discard), token.WithIssuer("https://auth.example"), token.WithAudience("api"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		pair, err := iss.IssuePair(ctx, token.Subject{ID: "alice", Roles: []string{"user"}, Scope: "read write", AMR: []string{"pwd"}})
		if err != nil {
			t.Fatal(err)
		}
		authtest.AllocBudget(t, "AuthenticatePrincipal, cache hit, "+string(alg), 1, func() {
			if _, err := iss.AuthenticatePrincipal(ctx, pair.AccessToken); err != nil {
				t.Fatal(err)
			}
		})
	}
}
