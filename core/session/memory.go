package session

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemoryStore is the embedded default Store: a bounded map guarded by a
// mutex, for a single process and for development — production, and
// anything with more than one instance, uses the Redis store. Expired
// entries are dropped when touched and swept at most once per sweep
// interval (by the Manager's clock) from Create; when the store is full,
// Create sweeps at once and otherwise fails with ErrFull (a 503) rather
// than evicting a live session, so another user's session is never
// dropped to make room. One user holds at most WithMaxSessionsPerUser
// sessions: signing in once more ends that user's oldest session, so no
// single account can fill the store. Destroying sessions never needs room.
type MemoryStore struct {
	mu        sync.Mutex
	cfg       memoryConfig
	entries   map[Hash]*memEntry
	users     map[string]map[Hash]struct{}
	nextSweep time.Time
}

type memEntry struct {
	// rec is never changed once stored, nor its Values map: Load hands it
	// out as it is, and a write replaces it with a copy of the caller's.
	rec *Record
	// expires is the exact end of the entry's life: the last use plus the
	// idle timeout, cut short by the absolute lifetime.
	expires time.Time
}

type memoryConfig struct {
	maxSessions int
	maxPerUser  int
	sweepEvery  time.Duration
}

// MemoryOption configures a MemoryStore.
type MemoryOption func(*memoryConfig)

// WithMaxSessions caps how many live sessions the store holds; each costs
// a few hundred bytes plus its values. When it is full, new sessions fail
// with ErrFull (503) while existing ones, and logouts, keep working.
// Default: 100000.
func WithMaxSessions(n int) MemoryOption { return func(c *memoryConfig) { c.maxSessions = n } }

// WithMaxSessionsPerUser caps how many live sessions one user (Record.UserID)
// holds: binding one more session to the user ends that user's oldest
// session (by CreatedAt). Anonymous sessions are not counted.
// Default: 32.
func WithMaxSessionsPerUser(n int) MemoryOption { return func(c *memoryConfig) { c.maxPerUser = n } }

// WithSweepInterval sets how often Create sweeps out expired entries.
// Default: 1m.
func WithSweepInterval(d time.Duration) MemoryOption {
	return func(c *memoryConfig) { c.sweepEvery = d }
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts ...MemoryOption) (*MemoryStore, error) {
	cfg := memoryConfig{maxSessions: 100_000, maxPerUser: 32, sweepEvery: time.Minute}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.maxSessions <= 0 {
		return nil, fmt.Errorf("%w: max sessions %d must be positive", ErrInvalidConfig, cfg.maxSessions)
	}
	if cfg.maxPerUser <= 0 {
		return nil, fmt.Errorf("%w: max sessions per user %d must be positive", ErrInvalidConfig, cfg.maxPerUser)
	}
	if cfg.sweepEvery <= 0 {
		return nil, fmt.Errorf("%w: sweep interval %v must be positive", ErrInvalidConfig, cfg.sweepEvery)
	}
	return &MemoryStore{
		cfg:     cfg,
		entries: make(map[Hash]*memEntry),
		users:   make(map[string]map[Hash]struct{}),
	}, nil
}

// Len reports how many entries the store holds, expired ones not yet swept
// included.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// Create implements Store.
func (m *MemoryStore) Create(_ context.Context, h Hash, r *Record, p Policy) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !p.Now.Before(m.nextSweep) || len(m.entries) >= m.cfg.maxSessions {
		m.sweepLocked(p.Now)
	}
	if len(m.entries) >= m.cfg.maxSessions {
		return ErrFull
	}
	if _, ok := m.entries[h]; ok {
		return fmt.Errorf("%w: id collision", ErrUnavailable) // 2^-256: a broken RNG
	}
	m.putLocked(h, storedCopy(r), p)
	return nil
}

// storedCopy is the record the store keeps for r: a copy the caller cannot
// change, with Touched, which is not stored, cleared.
func storedCopy(r *Record) *Record {
	c := r.clone()
	c.Touched = false
	return c
}

// Load implements Store.
func (m *MemoryStore) Load(_ context.Context, h Hash, p Policy) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.liveLocked(h, p.Now)
	if !ok {
		return nil, ErrNotFound
	}
	if p.Expired(e.rec) {
		m.deleteLocked(h)
		return nil, ErrExpired
	}
	e.expires = p.Now.Add(p.TTL(e.rec.CreatedAt))
	if p.Now.Sub(e.rec.LastSeen) < p.TouchEvery {
		return e.rec, nil // shared: a stored record is never changed (see memEntry)
	}
	// Once per touch interval: a new stored record, and the caller's copy
	// that says Touched. Both share the Values map, which no one changes.
	rec := *e.rec
	rec.LastSeen = p.Now
	e.rec = &rec
	touched := rec
	touched.Touched = true
	return &touched, nil
}

// Save implements Store.
func (m *MemoryStore) Save(_ context.Context, h Hash, r *Record, p Policy) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.liveLocked(h, p.Now)
	if !ok {
		return ErrNotFound
	}
	old := e.rec.UserID
	e.rec = storedCopy(r)
	if old != r.UserID { // not reached through Manager; keep the index right anyway
		m.unindexLocked(old, h)
		m.indexLocked(r.UserID, h)
	}
	e.expires = p.Now.Add(p.TTL(r.CreatedAt))
	return nil
}

// Rotate implements Store.
func (m *MemoryStore) Rotate(_ context.Context, old, new Hash, _ string, r *Record, p Policy) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.liveLocked(old, p.Now); !ok {
		return ErrNotFound
	}
	m.deleteLocked(old)
	m.putLocked(new, storedCopy(r), p)
	return nil
}

// Destroy implements Store.
func (m *MemoryStore) Destroy(_ context.Context, h Hash, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deleteLocked(h)
	return nil
}

// List implements Store.
func (m *MemoryStore) List(_ context.Context, userID string, p Policy) ([]Stored, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Stored
	for h := range m.users[userID] {
		e, ok := m.liveLocked(h, p.Now)
		if !ok {
			continue
		}
		if p.Expired(e.rec) {
			m.deleteLocked(h)
			continue
		}
		out = append(out, Stored{Hash: h, Record: e.rec.clone()})
	}
	return out, nil
}

// DestroyUser implements Store.
func (m *MemoryStore) DestroyUser(ctx context.Context, userID string) (int, error) {
	return m.DestroyUserExcept(ctx, userID, nil)
}

// DestroyUserExcept implements Store.
func (m *MemoryStore) DestroyUserExcept(_ context.Context, userID string, keep []Hash) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for h := range m.users[userID] {
		if slices.Contains(keep, h) {
			continue
		}
		m.deleteLocked(h)
		n++
	}
	return n, nil
}

// liveLocked returns the entry under h unless it is missing or past its
// expiry, dropping it in the latter case.
func (m *MemoryStore) liveLocked(h Hash, now time.Time) (*memEntry, bool) {
	e, ok := m.entries[h]
	if !ok {
		return nil, false
	}
	if !now.Before(e.expires) {
		m.deleteLocked(h)
		return nil, false
	}
	return e, true
}

func (m *MemoryStore) putLocked(h Hash, r *Record, p Policy) {
	m.entries[h] = &memEntry{rec: r, expires: p.Now.Add(p.TTL(r.CreatedAt))}
	m.indexLocked(r.UserID, h)
}

func (m *MemoryStore) deleteLocked(h Hash) {
	e, ok := m.entries[h]
	if !ok {
		return
	}
	delete(m.entries, h)
	m.unindexLocked(e.rec.UserID, h)
}

// indexLocked adds h to user's sessions, ending the user's oldest other
// sessions beyond the per-user cap.
func (m *MemoryStore) indexLocked(user string, h Hash) {
	if user == "" {
		return
	}
	set := m.users[user]
	if set == nil {
		set = make(map[Hash]struct{})
		m.users[user] = set
	}
	set[h] = struct{}{}
	for len(set) > m.cfg.maxPerUser {
		var oldest Hash
		var at time.Time
		found := false
		for o := range set {
			if o == h {
				continue
			}
			if c := m.entries[o].rec.CreatedAt; !found || c.Before(at) || (c.Equal(at) && string(o[:]) < string(oldest[:])) {
				oldest, at, found = o, c, true
			}
		}
		m.deleteLocked(oldest)
	}
}

func (m *MemoryStore) unindexLocked(user string, h Hash) {
	if set := m.users[user]; set != nil {
		delete(set, h)
		if len(set) == 0 {
			delete(m.users, user)
		}
	}
}

func (m *MemoryStore) sweepLocked(now time.Time) {
	for h, e := range m.entries {
		if !now.Before(e.expires) {
			m.deleteLocked(h)
		}
	}
	m.nextSweep = now.Add(m.cfg.sweepEvery)
}
