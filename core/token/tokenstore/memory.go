package tokenstore

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// Memory is the embedded Store: bounded (see WithMaxEntries), safe for
// concurrent use, and without background goroutines. Every write removes up
// to a few dozen expired entries, so expired entries are swept as the store
// is used; reads simply ignore them. Its state is lost on restart and not
// shared between processes: run several instances behind a load balancer
// with the Redis store instead.
type Memory struct {
	now func() time.Time
	max int

	mu    sync.RWMutex
	items map[[sha256.Size]byte]*entry
	byExp expiryHeap // every item, soonest expiry first
}

// entry is one revoked jti, subject cut-off or family. Keys are hashes, so
// an entry's size does not depend on the ids it stands for.
type entry struct {
	key     [sha256.Size]byte
	exp     int64 // unix ns; the entry is dead once now >= exp
	idx     int   // position in byExp
	cut     int64 // subject cut-off, unix ms
	cur     [sha256.Size]byte
	revoked bool // family revoked
}

// NewMemory returns an empty in-memory Store.
func NewMemory(opts ...MemoryOption) *Memory {
	c := newMemoryConfig(opts)
	return &Memory{now: c.now, max: c.maxEntries, items: make(map[[sha256.Size]byte]*entry)}
}

// Len reports how many entries the store holds, expired ones not yet swept
// included.
func (m *Memory) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.items)
}

// RevokeToken implements Store.
func (m *Memory) RevokeToken(_ context.Context, sub, jti string, exp time.Time) error {
	if sub == "" || jti == "" {
		return fmt.Errorf("%w: empty subject or jti", ErrInvalid)
	}
	now := unixNano(m.now())
	end := unixNano(exp)
	if end <= now {
		return nil
	}
	key := digest(kindJTI, sub, jti)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if e := m.live(key, now); e != nil {
		m.extend(e, end)
		return nil
	}
	return m.insert(&entry{key: key, exp: end}, now)
}

// RevokeSubject implements Store.
func (m *Memory) RevokeSubject(_ context.Context, sub string, before time.Time, ttl time.Duration) error {
	if sub == "" {
		return fmt.Errorf("%w: empty subject", ErrInvalid)
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: subject marker ttl %v is not positive", ErrInvalid, ttl)
	}
	now := unixNano(m.now())
	end := addNano(now, ttl)
	cut := unixMilli(before)
	key := digest(kindCut, sub, "")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if e := m.live(key, now); e != nil {
		e.cut = max(e.cut, cut)
		m.extend(e, end)
		return nil
	}
	return m.insert(&entry{key: key, exp: end, cut: cut}, now)
}

// Revoked implements Store.
func (m *Memory) Revoked(_ context.Context, sub, jti, family string, issuedAt time.Time) (bool, error) {
	if sub == "" || jti == "" {
		return true, fmt.Errorf("%w: empty subject or jti", ErrInvalid)
	}
	now := unixNano(m.now())
	jkey := digest(kindJTI, sub, jti)
	ckey := digest(kindCut, sub, "")
	iat := unixMilli(issuedAt)
	m.mu.RLock()
	defer m.mu.RUnlock()
	if e := m.items[jkey]; e != nil && now < e.exp {
		return true, nil
	}
	if e := m.items[ckey]; e != nil && now < e.exp && iat < e.cut {
		return true, nil
	}
	if family != "" {
		if e := m.items[digest(kindFamRev, sub, family)]; e != nil && now < e.exp {
			return true, nil
		}
	}
	return false, nil
}

// StartFamily implements Store.
func (m *Memory) StartFamily(_ context.Context, family, sub, jti string, exp time.Time) error {
	if family == "" || sub == "" || jti == "" {
		return fmt.Errorf("%w: empty family, subject or jti", ErrInvalid)
	}
	now := unixNano(m.now())
	end := unixNano(exp)
	if end <= now {
		return nil
	}
	key := digest(kindFamily, family, "")
	cur := digest(kindFamJTI, jti, "")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if m.live(key, now) != nil {
		return ErrFamilyExists
	}
	return m.insert(&entry{key: key, exp: end, cur: cur}, now)
}

// RotateFamily implements Store.
func (m *Memory) RotateFamily(_ context.Context, family, used, next string, exp time.Time) error {
	if family == "" || used == "" || next == "" {
		return fmt.Errorf("%w: empty family or jti", ErrInvalid)
	}
	if used == next {
		return fmt.Errorf("%w: next jti equals the used one", ErrInvalid)
	}
	now := unixNano(m.now())
	key := digest(kindFamily, family, "")
	usedKey := digest(kindFamJTI, used, "")
	nextKey := digest(kindFamJTI, next, "")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	e := m.live(key, now)
	switch {
	case e == nil:
		return ErrFamilyUnknown
	case e.cur != usedKey:
		e.revoked = true
		return ErrReused
	case e.revoked:
		return ErrFamilyRevoked
	}
	e.cur = nextKey
	m.extend(e, unixNano(exp))
	return nil
}

// RevokeFamily implements Store.
func (m *Memory) RevokeFamily(_ context.Context, sub, family string, until time.Time) error {
	if sub == "" || family == "" {
		return fmt.Errorf("%w: empty subject or family", ErrInvalid)
	}
	now := unixNano(m.now())
	key := digest(kindFamily, family, "")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if e := m.live(key, now); e != nil {
		e.revoked = true
	}
	end := unixNano(until)
	if end <= now {
		return nil
	}
	mkey := digest(kindFamRev, sub, family)
	if e := m.live(mkey, now); e != nil {
		m.extend(e, end)
		return nil
	}
	return m.insert(&entry{key: mkey, exp: end}, now)
}

// live returns the unexpired entry under key, removing an expired one.
// m.mu must be held for writing.
func (m *Memory) live(key [sha256.Size]byte, now int64) *entry {
	e := m.items[key]
	if e == nil {
		return nil
	}
	if now >= e.exp {
		m.remove(e)
		return nil
	}
	return e
}

// sweep removes up to sweepPerWrite expired entries, so that a write's
// latency stays bounded even after a large batch expires at once.
func (m *Memory) sweep(now int64) {
	for i := 0; i < sweepPerWrite && len(m.byExp) > 0 && now >= m.byExp[0].exp; i++ {
		m.remove(m.byExp[0])
	}
}

// insert adds e. A full store first drops every expired entry; if it is
// still full it refuses with ErrFull rather than evict a live entry, since
// dropping a revocation would re-allow a revoked token (fail open).
func (m *Memory) insert(e *entry, now int64) error {
	for len(m.items) >= m.max && len(m.byExp) > 0 && now >= m.byExp[0].exp {
		m.remove(m.byExp[0])
	}
	if len(m.items) >= m.max {
		return ErrFull
	}
	m.items[e.key] = e
	heap.Push(&m.byExp, e)
	return nil
}

func (m *Memory) remove(e *entry) {
	heap.Remove(&m.byExp, e.idx)
	delete(m.items, e.key)
}

// extend moves e's expiry to end if that is later; entries never shrink.
func (m *Memory) extend(e *entry, end int64) {
	if end > e.exp {
		e.exp = end
		heap.Fix(&m.byExp, e.idx)
	}
}

// expiryHeap is a min-heap of entries by expiry.
type expiryHeap []*entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp < h[j].exp }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}

func (h *expiryHeap) Push(x any) {
	e := x.(*entry)
	e.idx = len(*h)
	*h = append(*h, e)
}

func (h *expiryHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}
