package session

import (
	"context"
	"encoding/json"
	"maps"
	"time"
)

// Store keeps session records by the hash of their id. MemoryStore and
// redisstore.Store implement it, and storetest.Run checks any
// implementation against the contract below; the Manager is the only intended caller, and it
// passes the lifetime rules in a Policy so every store enforces the same
// ones on the server side.
//
// Implementations must be safe for concurrent use, must return errors
// matching ErrNotFound for a missing or expired record and ErrUnavailable
// for a backend failure, and must make each method atomic with respect to
// the others on the same hash: in particular Save and Rotate never recreate
// a record that Destroy, Rotate or DestroyUser removed.
type Store interface {
	// Create stores a new record under h and adds it to its user's index.
	Create(ctx context.Context, h Hash, r *Record, p Policy) error
	// Load returns the record under h, slides its idle expiry to p.TTL, and
	// sets LastSeen to p.Now, and the returned record's Touched, when it is
	// p.TouchEvery old or older. The record may be one the store keeps and
	// hands to other Loads (MemoryStore's is): the caller must not change
	// it, nor the store after returning it (the Manager copies it before
	// its first change).
	Load(ctx context.Context, h Hash, p Policy) (*Record, error)
	// Save replaces the record under h only if it still exists.
	Save(ctx context.Context, h Hash, r *Record, p Policy) error
	// Rotate atomically removes old (failing with ErrNotFound if it is gone),
	// stores r under new, and moves the user index entry from oldUser to
	// r.UserID.
	Rotate(ctx context.Context, old, new Hash, oldUser string, r *Record, p Policy) error
	// Destroy removes the record under h and its entry in userID's index.
	// Removing a missing record is not an error.
	Destroy(ctx context.Context, h Hash, userID string) error
	// List returns userID's live sessions, pruning stale index entries.
	List(ctx context.Context, userID string, p Policy) ([]Stored, error)
	// DestroyUser removes every session of userID and reports how many.
	DestroyUser(ctx context.Context, userID string) (int, error)
	// DestroyUserExcept removes every session of userID but those under
	// the hashes in keep, and reports how many it removed. As with
	// DestroyUser, a session of userID that a concurrent Create or Rotate
	// writes while it runs does not survive it, unless it is kept.
	DestroyUserExcept(ctx context.Context, userID string, keep []Hash) (int, error)
}

// Record is what a Store keeps for one session.
type Record struct {
	// UserID is the bound user, or "" for an anonymous session.
	UserID string
	// CreatedAt starts the absolute lifetime; Rotate keeps it.
	CreatedAt time.Time
	// LastSeen is the last use, accurate to the touch interval.
	LastSeen time.Time
	// IP is the client address at creation.
	IP string
	// UserAgent is the User-Agent at creation.
	UserAgent string
	// Values holds the session's values, each JSON-encoded.
	Values map[string]json.RawMessage
	// Link names the refresh-token family of the same sign-in, or "".
	// Destroying the session revokes that family and revoking the family
	// destroys the session (see Manager.LinkTokens).
	Link string
	// Touched is set by Load when it rewrote LastSeen (the touch interval
	// had passed), so the guard refreshes the cookie's Max-Age. Stores do
	// not persist it.
	Touched bool
}

// clone returns a copy that shares no map with r. The RawMessages are never
// modified in place, so sharing them is safe.
func (r *Record) clone() *Record {
	c := *r
	c.Values = maps.Clone(r.Values)
	return &c
}

// Stored is one record with its key, as List returns it.
type Stored struct {
	// Hash is the session's key: the SHA-256 of its id.
	Hash Hash
	// Record is a copy of what the store holds.
	Record *Record
}

// Policy carries the Manager's lifetime rules and clock reading to a Store.
type Policy struct {
	// Now is the Manager's clock reading for this operation.
	Now time.Time
	// Idle is the idle timeout.
	Idle time.Duration
	// Absolute is the absolute lifetime, counted from CreatedAt.
	Absolute time.Duration
	// TouchEvery is how stale LastSeen may grow before a Load rewrites it.
	TouchEvery time.Duration
}

// TTL is how long a record created at created may live from p.Now if it is
// not used again: the idle timeout, cut short by the absolute lifetime.
func (p Policy) TTL(created time.Time) time.Duration {
	return min(p.Idle, created.Add(p.Absolute).Sub(p.Now))
}

// Expired reports whether r is past its absolute lifetime or idle timeout at
// p.Now. LastSeen is only rewritten every TouchEvery, so the idle check
// allows that much slack; a store that knows the exact last use (the memory
// store's deadline, Redis's key TTL) enforces the idle timeout exactly.
func (p Policy) Expired(r *Record) bool {
	return !p.Now.Before(r.CreatedAt.Add(p.Absolute)) ||
		!p.Now.Before(r.LastSeen.Add(p.Idle+p.TouchEvery))
}

// Deadline is the absolute end of r's life: CreatedAt plus the absolute
// lifetime.
func (p Policy) Deadline(r *Record) time.Time { return r.CreatedAt.Add(p.Absolute) }
