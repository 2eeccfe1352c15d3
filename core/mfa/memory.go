package mfa

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is the in-process Store: one mutex over a map of users. It is
// for tests, development and single-process apps that accept losing every
// enrolment on restart; anything else uses redisstore.
//
// It holds at most WithMaxUsers users. When full, users with nothing but
// an expired pending enrolment or a spent attempt counter make room; an
// enrolled user is never dropped (that would switch their MFA off), so a
// new enrolment is refused with ErrFull instead.
type MemoryStore struct {
	mu       sync.Mutex
	users    map[string]*memUser
	maxUsers int
}

type memUser struct {
	factor  *Record
	pending *Record
	codes   map[CodeHash]struct{}
	att     attempts
}

// attempts is the lock rule of Store.Begin as the memory store keeps it.
type attempts struct {
	failures, level int
	lockedUntil     time.Time
}

func (a *attempts) lockedAt(now time.Time) bool { return now.Before(a.lockedUntil) }

// charge counts one attempt; when it reaches the limit the next lock starts
// and the count begins again.
func (a *attempts) charge(lim Limits, now time.Time) (locks bool, until time.Time) {
	a.failures++
	if a.failures < lim.MaxFailures {
		return false, time.Time{}
	}
	a.level++
	a.failures = 0
	a.lockedUntil = now.Add(lim.Lockout(a.level))
	return true, a.lockedUntil
}

// MemoryOption configures NewMemoryStore.
type MemoryOption func(*memoryConfig)

type memoryConfig struct{ maxUsers int }

const defaultMaxUsers = 100_000

// WithMaxUsers bounds the number of users a MemoryStore keeps (enrolled
// users, pending enrolments and attempt counters together; each costs a few
// hundred bytes). Values below 1 are ignored. Default: 100000.
func WithMaxUsers(n int) MemoryOption {
	return func(c *memoryConfig) {
		if n >= 1 {
			c.maxUsers = n
		}
	}
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	c := memoryConfig{maxUsers: defaultMaxUsers}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return &MemoryStore{users: make(map[string]*memUser), maxUsers: c.maxUsers}
}

func copyRecord(r *Record) Record {
	c := *r
	c.Sealed = slices.Clone(r.Sealed)
	return c
}

// idle reports whether u holds nothing worth keeping at now: no factor, no
// live pending enrolment, no lock. (Failures counted against a lapsed
// enrolment check nothing any more.)
func (u *memUser) idle(now time.Time) bool {
	return u.factor == nil && (u.pending == nil || !now.Before(u.pending.Expires)) && !u.att.lockedAt(now)
}

// SetPending implements Store.
func (m *MemoryStore) SetPending(_ context.Context, userID string, p Record, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[userID]
	if u == nil {
		if len(m.users) >= m.maxUsers {
			for id, v := range m.users {
				if v.idle(now) {
					delete(m.users, id)
				}
			}
			if len(m.users) >= m.maxUsers {
				return ErrFull
			}
		}
		u = &memUser{}
		m.users[userID] = u
	}
	if u.factor != nil {
		return ErrAlreadyEnrolled
	}
	rec := copyRecord(&p)
	u.pending = &rec
	return nil
}

// unlocked returns userID's entry (nil if none), or the lock in force at
// now. The caller holds m.mu.
func (m *MemoryStore) unlocked(userID string, now time.Time) (*memUser, error) {
	u := m.users[userID]
	if u != nil && u.att.lockedAt(now) {
		return nil, NewLockedError(u.att.lockedUntil, now)
	}
	return u, nil
}

// Begin implements Store.
func (m *MemoryStore) Begin(_ context.Context, userID string, target Target, lim Limits, now time.Time) (Attempt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.unlocked(userID, now)
	if err != nil {
		return Attempt{}, err
	}
	var rec *Record
	switch {
	case u == nil && target == TargetFactor:
		return Attempt{}, ErrNotEnrolled
	case u == nil:
		return Attempt{}, ErrNothingPending
	case target == TargetFactor:
		if u.factor == nil {
			return Attempt{}, ErrNotEnrolled
		}
		rec = u.factor
	default:
		if u.factor != nil {
			return Attempt{}, ErrAlreadyEnrolled
		}
		if u.pending == nil || !now.Before(u.pending.Expires) {
			return Attempt{}, ErrNothingPending
		}
		rec = u.pending
	}
	locks, until := u.att.charge(lim, now)
	return Attempt{Record: copyRecord(rec), Locks: locks, LockedUntil: until}, nil
}

// CommitStep implements Store.
func (m *MemoryStore) CommitStep(_ context.Context, userID, factorID string, step int64, resealed []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[userID]
	if u == nil || u.factor == nil || u.factor.ID != factorID {
		return ErrNotEnrolled
	}
	if step <= u.factor.LastStep {
		return ErrReplayed
	}
	u.factor.LastStep = step
	if resealed != nil {
		u.factor.Sealed = slices.Clone(resealed)
	}
	u.att = attempts{}
	return nil
}

// Activate implements Store.
func (m *MemoryStore) Activate(_ context.Context, userID string, f Record, codes []CodeHash, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[userID]
	if u != nil && u.factor != nil {
		return ErrAlreadyEnrolled
	}
	if u == nil || u.pending == nil || u.pending.ID != f.ID || !now.Before(u.pending.Expires) {
		return ErrNothingPending
	}
	rec := copyRecord(&f)
	rec.Expires = time.Time{}
	u.factor, u.pending = &rec, nil
	u.codes = codeSet(codes)
	u.att = attempts{}
	return nil
}

func codeSet(codes []CodeHash) map[CodeHash]struct{} {
	s := make(map[CodeHash]struct{}, len(codes))
	for _, c := range codes {
		s[c] = struct{}{}
	}
	return s
}

// UseRecoveryCode implements Store.
func (m *MemoryStore) UseRecoveryCode(_ context.Context, userID string, code CodeHash, lim Limits, now time.Time) (RecoveryUse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.unlocked(userID, now)
	if err != nil {
		return RecoveryUse{}, err
	}
	if u == nil || u.factor == nil {
		return RecoveryUse{}, ErrNotEnrolled
	}
	if _, ok := u.codes[code]; ok {
		delete(u.codes, code)
		u.att = attempts{}
		return RecoveryUse{Left: len(u.codes)}, nil
	}
	locks, until := u.att.charge(lim, now)
	return RecoveryUse{Left: len(u.codes), Locks: locks, LockedUntil: until}, ErrInvalidCode
}

// ReplaceRecoveryCodes implements Store.
func (m *MemoryStore) ReplaceRecoveryCodes(_ context.Context, userID string, codes []CodeHash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[userID]
	if u == nil || u.factor == nil {
		return ErrNotEnrolled
	}
	u.codes = codeSet(codes)
	return nil
}

// RecoveryCodesLeft implements Store.
func (m *MemoryStore) RecoveryCodesLeft(_ context.Context, userID string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u := m.users[userID]; u != nil && u.factor != nil {
		return len(u.codes), nil
	}
	return 0, nil
}

// Enabled implements Store.
func (m *MemoryStore) Enabled(_ context.Context, userID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[userID]
	return u != nil && u.factor != nil, nil
}

// Delete implements Store.
func (m *MemoryStore) Delete(_ context.Context, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[userID]
	if u == nil {
		return ErrNotEnrolled
	}
	had := u.factor != nil
	u.factor, u.pending, u.codes = nil, nil, nil
	if u.att == (attempts{}) {
		delete(m.users, userID)
	}
	if !had {
		return ErrNotEnrolled
	}
	return nil
}
