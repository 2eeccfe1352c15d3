// Package redisstore is the Redis implementation of session.Store, in its
// own package so that an application without Redis never links go-redis.
//
//	store, err := redisstore.New(rdb) // rdb: any redis.UniversalClient
//	if err != nil { ... }
//	sessions, err := session.New(session.WithStore(store))
//
// # Key layout and Cluster
//
// With the default prefix "authkit:session:":
//
//	authkit:session:id:{<sha256(id) hex>}  string: "<created ms>:<last seen ms>:<JSON>"
//	authkit:session:u:{<tag of the user>}  sorted set: member sha256(id) hex, score absolute deadline ms
//	authkit:session:u:{<tag>}:gen          Cluster only: the user's log-out state (hash: g, d)
//
// The user's tag is the hashed Cluster hash tag every authkit Redis store
// uses, so any byte of a user id is safe in it. Each session key and each
// user index is its own hash tag, so any operation that needs only the id
// (Load, Save) finds its key from the id alone, whether or not a user is
// bound. Operations that touch a session and an index together (Create,
// Rotate, Destroy) are one MULTI or Lua script on a single server or
// Sentinel: atomic, one round trip. On Redis Cluster those keys sit in
// different slots, so the store runs them as ordered single-slot steps
// instead: the index entry is written before the record and removed after
// it, the old id is deleted before the new one is written (a failure in
// between logs the user out rather than leaving two live ids), and the
// index is treated as a hint that List prunes. DestroyUser drains the
// index in batches until it is empty (DestroyUserExcept until only the
// kept sessions are left), so a session indexed while it runs is caught
// too. On Cluster, DestroyUser bumps a per-user generation (g, beside the
// index, same slot) when it starts and when it ends, and counts itself in
// d while it drains; a Create or Rotate reads both when indexing — it is
// refused while a drain runs — and again after writing its record, and
// deletes the record if the generation moved or a drain runs, so a record
// written in the middle of "log out everywhere" cannot survive it, while a
// concurrent List that pruned the not-yet-written record only makes the
// write index it again (one or two more round trips each, on Cluster only).
// The state lives a minute after its last change, so a drain that dies
// half-way refuses its user's sign-ins for at most that long.
//
// Round trips (single server): Load 1, Save 1, Create 1, Rotate 1,
// Destroy 1, List 2 (+1 to prune), DestroyUser and DestroyUserExcept 2 per
// 500 sessions + 1. The guard's Load shares its round trip with the rate
// limit and the revocation check when their stores use the same client.
//
// # Failures
//
// Every Redis failure is returned wrapped in session.ErrUnavailable (and so
// in authkit.ErrUnavailable): the guard answers 503, and a failure is never
// read as "no session" or "allowed". A record that does not decode fails
// the same way, closed.
package redisstore
