// Package redisstore is the Redis implementation of mfa.Store.
//
//	store, err := redisstore.New(rdb) // rdb: any redis.UniversalClient
//	m, err := mfa.New("Example Co", store, keys)
//
// Each user has up to four keys, all under one hash tag derived from the
// user id (so Cluster keeps them in one slot and any byte of an id is
// safe): <prefix>f:{tag} the factor (hash), p:{tag} a pending enrolment
// (hash, expires with it), a:{tag} the attempt counter (hash, forgotten 30
// days after the last failure or lock) and r:{tag} the recovery-code
// hashes (set). Every method is one round trip, a Lua script where it
// checks and writes, so each rule holds across any number of processes.
//
// Locks run on the Redis server's TIME, read inside the scripts, so that
// instances whose clocks disagree still see each other's locks for as long
// as they were set (WithClock passes the application's clock instead, for
// tests). A pending enrolment's expiry comes from the Manager's clock,
// passed with each call, as codes are checked against it. Redis key expiry
// only collects garbage. A Redis error is mfa.ErrUnavailable (503), never
// a pass.
package redisstore
