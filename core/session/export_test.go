package session

// ForceClusterSteps makes r use its Cluster code paths on a single server, so
// tests exercise them without a Cluster.
func ForceClusterSteps(r *RedisStore) { r.cluster = true }

// SessionKey exposes the Redis key of s for TTL assertions.
func (r *RedisStore) SessionKey(s *Session) string { return r.sessionKey(s.hash) }

// UserKey exposes the Redis key of a user's index.
func (r *RedisStore) UserKey(userID string) string { return r.userKey(userID) }

// DecodeRecord exposes the Redis record parser to the fuzz target.
var DecodeRecord = decodeRecord
