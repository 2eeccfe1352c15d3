package redisstore

import "github.com/authkit-go/authkit/core/session"

// ForceClusterSteps makes r use its Cluster code paths on a single server, so
// tests exercise them without a Cluster.
func ForceClusterSteps(r *Store) { r.cluster = true }

// SessionKey exposes the Redis key of s for TTL assertions.
func (r *Store) SessionKey(s *session.Session) string { return r.sessionKey(s.ID().Hash()) }

// UserKey exposes the Redis key of a user's index.
func (r *Store) UserKey(userID string) string { return r.userKey(userID) }

// DecodeRecord exposes the record parser to the fuzz target.
var DecodeRecord = decodeRecord
