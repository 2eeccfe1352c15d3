// Package tokenstore keeps the server-side state of authkit tokens: revoked
// tokens (by jti, by family, or every token of a subject at "log out
// everywhere") and refresh-token families with rotation and reuse detection
// (RFC 9700 §4.14.2: a refresh token presented twice revokes its family).
//
// "Log out everywhere" raises a per-subject generation that every token
// carries (its "gen" claim). The family and the generation are checked and
// rotated in one atomic step, so a refresh racing the revocation, or
// minted on a host whose clock runs ahead, cannot survive it; no clock is
// compared across hosts. A family the store no longer holds revokes every
// token carrying it.
//
// "Sign out everywhere else" (RevokeSubjectExcept, after a password change
// or when a second factor is turned on or off) is the same step keeping one
// family: each family records the generation it lives in, and the kept
// one is lifted into the new generation atomically with raising it, so its
// tokens pass while every other family's, and every token minted before,
// are refused.
//
// Two implementations satisfy Store: MemoryStore, the bounded embedded
// default for a single process and for development (see MemoryStore for
// its capacity rules), and the Redis store of
// core/token/tokenstore/redisstore, for production and several instances
// sharing state (single server, Sentinel or Cluster), in its own package so
// that an application without Redis never links go-redis. Revoked, the
// per-request check, is one round trip on Redis, as is a refresh, and in
// memory three map lookups that neither hash with SHA-256 nor allocate.
// Any Store, a third-party one included, proves itself with the
// conformance suite core/token/tokenstore/storetest.
//
// Wiring:
//
//	// one process:
//	store := tokenstore.NewMemoryStore(tokenstore.WithMaxEntries(500_000))
//
//	// several instances (core/token/tokenstore/redisstore):
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store, err := redisstore.New(rdb, redisstore.WithPrefix("myapp:tok:"))
//	if err != nil {
//		return err
//	}
//
//	// per request, after verifying the token's signature and claims:
//	revoked, err := store.Revoked(ctx, claims.Subject, claims.ID, claims.Family(), claims.Generation())
//	if err != nil {
//		return err // errors.Is(err, tokenstore.ErrUnavailable): answer 503, never allow
//	}
//	if revoked {
//		return errTokenRevoked // 401
//	}
//
// Errors are sentinels to test with errors.Is: ErrReused, ErrFamilyRevoked,
// ErrFamilyUnknown, ErrFamilyExists, ErrInvalid (a bad argument),
// ErrInvalidConfig (a bad constructor option; it wraps
// authkit.ErrInvalidConfig) and ErrUnavailable (it wraps
// authkit.ErrUnavailable). A store error never means "not revoked":
// Revoked answers true alongside any error.
package tokenstore
