// Package tokenstore keeps the server-side state of authkit tokens: revoked
// access tokens (by jti, or every token of a subject issued before a
// cut-off) and refresh-token families with rotation and reuse detection
// (RFC 9700 §4.14.2: a refresh token presented twice revokes its family).
//
// Two implementations satisfy Store: Memory, the bounded embedded default
// for a single process, and Redis, for several instances sharing state
// (single server, Sentinel or Cluster). Revoked, the per-request check, is
// one map lookup in memory and one round trip on Redis.
//
// Wiring:
//
//	// one process:
//	store := tokenstore.NewMemory(tokenstore.WithMaxEntries(500_000))
//
//	// several instances:
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store, err := tokenstore.NewRedis(rdb, tokenstore.WithPrefix("myapp:tok:"))
//	if err != nil {
//		return err
//	}
//
//	// per request, after verifying the token's signature and claims:
//	revoked, err := store.Revoked(ctx, claims.Subject, claims.ID, family, claims.IssuedAt)
//	if err != nil {
//		return err // errors.Is(err, tokenstore.ErrUnavailable): answer 503, never allow
//	}
//	if revoked {
//		return errTokenRevoked // 401
//	}
//
// Errors are sentinels to test with errors.Is: ErrReused, ErrFamilyRevoked,
// ErrFamilyUnknown, ErrFamilyExists, ErrInvalid and ErrUnavailable. A store
// error never means "not revoked": Revoked answers true alongside any error.
package tokenstore
