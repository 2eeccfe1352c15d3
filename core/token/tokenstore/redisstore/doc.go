// Package redisstore is the Redis implementation of tokenstore.Store, in
// its own package so that an application without Redis never links
// go-redis. It works with a single server, Sentinel and Cluster through
// redis.UniversalClient.
//
//	store, err := redisstore.New(rdb, redisstore.WithPrefix("myapp:tok:"))
//	if err != nil { ... }
//	issuer, err := token.NewIssuer(keys, token.WithStore(store))
//
// # Key layout
//
// P is the prefix and {T} the subject's hash tag, rediskey.Tag("token",
// subject): 132 bits of its SHA-256, so any byte of a subject is safe in a
// key. The other ids are hashed too (H is base64url of a SHA-256 that
// names the kind of id):
//
//	P{T}:jti:<H(jti)>  revoked jti, TTL = remaining lifetime
//	P{T}:gen           the subject's generation (decimal), TTL >= each of its families'
//	P{T}:fam:<H(fam)>  family: "a" or "r" (active/revoked), H of the current
//	                   refresh jti, ":" and the generation the family lives
//	                   in, then ":" and the replay count after a replay
//
// Every key of one subject shares its hash tag, so Revoked is one MGET and
// each family operation one script, in one Cluster slot. The family sits
// beside the generation so that rotating it checks the generation
// atomically: log-out-everywhere and a concurrent refresh are ordered by
// Redis, not by any host's clock; RevokeSubjectExcept raises the
// generation and lifts the kept family into it in one script. Revoked,
// RotateFamily and every other method are one round trip. The guard's
// Revoked shares its round trip with the rate limit and the session load
// when their stores use the same client.
//
// Every Redis error is returned wrapped in tokenstore.ErrUnavailable (and
// so in authkit.ErrUnavailable), never read as "not revoked".
package redisstore
