package tokenstore

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryStore is the embedded Store: bounded, safe for concurrent use, and
// without background goroutines. Its state is lost on restart and not
// shared between processes: production, and anything with more than one
// instance, uses the Redis store.
//
// Capacity (WithMaxEntries) is shared by families, subject records and
// revoked-jti markers, with these rules:
//   - revoking never needs room: logging out (RevokeFamily) and logging out
//     everywhere (RevokeSubject) change the subject's existing records; the
//     last tenth of the capacity is reserved for the markers that do need
//     an entry (a revoked token without a family, the generation of a
//     subject that holds no family);
//   - a subject holds at most WithMaxFamiliesPerSubject live sign-ins:
//     signing in once more ends that subject's oldest sign-in. Purpose
//     tokens are capped likewise on their own, and never end a sign-in;
//   - only expired entries are evicted, never another subject's: when the
//     store is full, a new sign-in fails with ErrFull (503) while logouts
//     keep working.
//
// Every write removes up to a few dozen expired entries, so expired entries
// are swept as the store is used; reads ignore them.
type MemoryStore struct {
	now        func() time.Time
	max        int // entries in all
	families   int // entries families and subject records may fill
	perSubject int

	mu    sync.RWMutex
	items [numKinds]map[ids]*entry // by key: kind, then ids
	byExp expiryHeap               // every item, soonest expiry first
}

type entryKind uint8

const (
	jtiEntry entryKind = iota
	subjectEntry
	familyEntry
	numKinds
)

// entry is one revoked jti, subject record or family. Its key holds at
// most maxRawIDs bytes of ids (see idsOf) and cur a hash, so an entry's
// size is bounded whatever the ids it stands for.
type entry struct {
	key key
	exp int64 // unix ns; the entry is dead once now >= exp
	idx int   // position in byExp

	// subject: its generation; family: the generation it lives in (the
	// subject's when it started, raised by RevokeSubjectExcept for the
	// family kept)
	gen uint64

	// family
	cur     [sha256.Size]byte
	revoked bool
	purpose bool
	reuses  int64
	owner   *entry // the subject record

	// subject; its exp is at least that of each of its families
	signIns  []*entry // live sign-in families, oldest first
	purposes []*entry // live purpose families, oldest first
}

// NewMemoryStore returns an empty in-memory Store.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	c := newMemoryConfig(opts)
	m := &MemoryStore{
		now: c.now, max: c.maxEntries, families: c.maxEntries - (c.maxEntries+9)/10,
		perSubject: c.maxPerSubject,
	}
	for k := range m.items {
		m.items[k] = make(map[ids]*entry)
	}
	return m
}

// Memory is the former name of MemoryStore.
//
// Deprecated: use MemoryStore.
type Memory = MemoryStore

// NewMemory is the former name of NewMemoryStore.
//
// Deprecated: use NewMemoryStore.
func NewMemory(opts ...MemoryOption) *MemoryStore { return NewMemoryStore(opts...) }

// Len reports how many entries the store holds, expired ones not yet swept
// included.
func (m *MemoryStore) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.len()
}

func (m *MemoryStore) len() int {
	return len(m.items[jtiEntry]) + len(m.items[subjectEntry]) + len(m.items[familyEntry])
}

func jtiKey(sub, jti string) key {
	return key{jtiEntry, idsOf(kindJTI, sub, jti)}
}

func subjectKey(sub string) key {
	return key{subjectEntry, idsOf(kindGen, sub, "")}
}

func familyKey(sub, family string) key {
	return key{familyEntry, idsOf(kindFamily, sub, family)}
}

// RevokeToken implements Store.
func (m *MemoryStore) RevokeToken(_ context.Context, sub, jti string, exp time.Time) error {
	if sub == "" || jti == "" {
		return fmt.Errorf("%w: empty subject or jti", ErrInvalid)
	}
	now := unixNano(m.now())
	end := unixNano(exp)
	if end <= now {
		return nil
	}
	key := jtiKey(sub, jti)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if e := m.live(key, now); e != nil {
		m.extend(e, end)
		return nil
	}
	if !m.room(1, m.max, now) {
		return ErrFull
	}
	m.add(&entry{key: key, exp: end})
	return nil
}

// RevokeSubject implements Store.
func (m *MemoryStore) RevokeSubject(ctx context.Context, sub string, ttl time.Duration) error {
	return m.RevokeSubjectExcept(ctx, sub, "", ttl)
}

// RevokeSubjectExcept implements Store. It never needs room unless the
// subject holds no family (then only a marker for family-less tokens).
func (m *MemoryStore) RevokeSubjectExcept(_ context.Context, sub, keep string, ttl time.Duration) error {
	if err := checkRevokeSubject(sub, ttl); err != nil {
		return err
	}
	now := unixNano(m.now())
	end := addNano(now, ttl)
	key := subjectKey(sub)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	s := m.live(key, now)
	if s == nil {
		// No record: the subject holds no family, so only tokens without
		// one can be affected; the reserve holds this marker.
		if !m.room(1, m.max, now) {
			return ErrFull
		}
		m.add(&entry{key: key, exp: end, gen: 1})
		if keep != "" {
			return ErrFamilyUnknown
		}
		return nil
	}
	before := s.gen
	s.gen++
	m.extend(s, end)
	if keep == "" {
		return nil
	}
	f := m.live(familyKey(sub, keep), now)
	switch {
	case f == nil:
		return ErrFamilyUnknown
	case f.revoked:
		return ErrFamilyRevoked
	case f.gen < before: // ended by an earlier RevokeSubject already
		f.revoked = true
		return ErrFamilyRevoked
	}
	f.gen = s.gen
	return nil
}

func checkRevokeSubject(sub string, ttl time.Duration) error {
	if sub == "" {
		return fmt.Errorf("%w: empty subject", ErrInvalid)
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: generation ttl %v is not positive", ErrInvalid, ttl)
	}
	return nil
}

// Revoked implements Store.
func (m *MemoryStore) Revoked(_ context.Context, sub, jti, family string, gen uint64) (bool, error) {
	if sub == "" || jti == "" {
		return true, fmt.Errorf("%w: empty subject or jti", ErrInvalid)
	}
	now := unixNano(m.now())
	m.mu.RLock()
	defer m.mu.RUnlock()
	if e := m.get(jtiKey(sub, jti)); e != nil && now < e.exp {
		return true, nil
	}
	if family != "" {
		f := m.get(familyKey(sub, family))
		if f == nil || now >= f.exp || f.revoked {
			return true, nil
		}
		gen = max(gen, f.gen) // a family kept by RevokeSubjectExcept lives in a later one
	}
	if s := m.get(subjectKey(sub)); s != nil && now < s.exp && s.gen > gen {
		return true, nil
	}
	return false, nil
}

// StartFamily implements Store.
func (m *MemoryStore) StartFamily(_ context.Context, f Family) (uint64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	now := unixNano(m.now())
	end := unixNano(f.Exp)
	skey, fkey := subjectKey(f.Subject), familyKey(f.Subject, f.ID)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	s := m.live(skey, now)
	var gen uint64
	if s != nil {
		gen = s.gen
	}
	if end <= now {
		return gen, nil
	}
	if m.live(fkey, now) != nil {
		return 0, ErrFamilyExists
	}
	need := 2 // the family and a new subject record
	var oldest *entry
	if s != nil {
		need = 1
		if list := s.list(f.Purpose); len(list) >= m.perSubject {
			oldest, need = list[0], 0
		}
	}
	if !m.room(need, m.families, now) {
		return 0, ErrFull
	}
	if oldest != nil {
		m.remove(oldest) // the subject's own oldest sign-in (or purpose token) ends
	}
	if s == nil {
		s = &entry{key: skey, exp: end}
		m.add(s)
	}
	e := &entry{key: fkey, exp: end, gen: gen, cur: digest(kindFamJTI, f.JTI, ""), purpose: f.Purpose, owner: s}
	m.add(e)
	if f.Purpose {
		s.purposes = append(s.purposes, e)
	} else {
		s.signIns = append(s.signIns, e)
	}
	m.extend(s, end)
	return gen, nil
}

// RotateFamily implements Store.
func (m *MemoryStore) RotateFamily(_ context.Context, r Rotation) error {
	if err := r.Validate(); err != nil {
		return err
	}
	now := unixNano(m.now())
	usedKey, nextKey := digest(kindFamJTI, r.Used, ""), digest(kindFamJTI, r.Next, "")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	e := m.live(familyKey(r.Subject, r.Family), now)
	switch {
	case e == nil:
		return ErrFamilyUnknown
	case e.cur != usedKey && e.cur != nextKey:
		// Neither current nor r's own successor (r sent again after it
		// ran, which succeeds again: see Store.RotateFamily): a reuse.
		e.revoked = true
		e.reuses++
		return &ReuseError{Count: e.reuses}
	case e.revoked:
		return ErrFamilyRevoked
	}
	s := m.live(subjectKey(r.Subject), now)
	if s != nil && max(r.Gen, e.gen) < s.gen {
		e.revoked = true
		return ErrFamilyRevoked
	}
	e.cur = nextKey
	end := unixNano(r.Exp)
	m.extend(e, end)
	if s != nil {
		m.extend(s, end)
	}
	return nil
}

// RevokeFamily implements Store. It never adds an entry: an unknown family
// is revoked already.
func (m *MemoryStore) RevokeFamily(_ context.Context, sub, family string) error {
	if sub == "" || family == "" {
		return fmt.Errorf("%w: empty subject or family", ErrInvalid)
	}
	now := unixNano(m.now())
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.live(familyKey(sub, family), now); e != nil {
		e.revoked = true
	}
	return nil
}

// list is the subject record's list of sign-in or purpose families.
func (s *entry) list(purpose bool) []*entry {
	if purpose {
		return s.purposes
	}
	return s.signIns
}

// get returns the entry under k, expired or not. m.mu must be held.
func (m *MemoryStore) get(k key) *entry { return m.items[k.kind][k.ids] }

// live returns the unexpired entry under k, removing an expired one.
// m.mu must be held for writing.
func (m *MemoryStore) live(k key, now int64) *entry {
	e := m.get(k)
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
func (m *MemoryStore) sweep(now int64) {
	for i := 0; i < sweepPerWrite && len(m.byExp) > 0 && now >= m.byExp[0].exp; i++ {
		m.remove(m.byExp[0])
	}
}

// room reports whether n more entries fit under limit, first dropping as
// many expired entries as that takes. Live entries are never evicted here:
// dropping a revocation would re-allow a revoked token (fail open), and
// dropping another subject's family would sign that subject out.
func (m *MemoryStore) room(n, limit int, now int64) bool {
	for m.len()+n > limit && len(m.byExp) > 0 && now >= m.byExp[0].exp {
		m.remove(m.byExp[0])
	}
	return m.len()+n <= limit
}

// add inserts e, first giving its key its own copy of the ids, so that an
// entry never pins the buffer an id was sliced from (a request's, say).
func (m *MemoryStore) add(e *entry) {
	e.key.ids = e.key.ids.owned()
	m.items[e.key.kind][e.key.ids] = e
	heap.Push(&m.byExp, e)
}

func (m *MemoryStore) remove(e *entry) {
	heap.Remove(&m.byExp, e.idx)
	delete(m.items[e.key.kind], e.key.ids)
	if s := e.owner; s != nil {
		del := func(l []*entry) []*entry {
			if i := slices.Index(l, e); i >= 0 {
				return slices.Delete(l, i, i+1)
			}
			return l
		}
		if e.purpose {
			s.purposes = del(s.purposes)
		} else {
			s.signIns = del(s.signIns)
		}
	}
}

// extend moves e's expiry to end if that is later; entries never shrink.
func (m *MemoryStore) extend(e *entry, end int64) {
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

var _ Store = (*MemoryStore)(nil)

// key is where an entry lives: the map of its kind, under its ids.
type key struct {
	kind entryKind
	ids  ids
}

// ids are an entry's ids as its map holds them: the subject and the jti or
// family id ("" for a subject record), verbatim while they are at most
// maxRawIDs bytes together. Go's map hashes them with its own seeded hash
// and compares both in full, so a lookup needs neither SHA-256 nor an
// allocation, and ids a byte apart, prefixes of one another or split
// differently between sub and id never share an entry. (Two strings and
// nothing else: with a third field Go hashes the key about three times
// slower, 35 ns rather than 11, so the kind picks a map instead.)
type ids struct{ sub, id string }

// maxRawIDs bounds the bytes of ids an entry holds verbatim; an email
// address as subject and a family id fit. Longer ids are hashed, so no
// caller's ids can make an entry large.
const maxRawIDs = 512

// hashedID marks hashed ids: {SHA-256 of the ids, hashedID} is longer than
// maxRawIDs, so no verbatim ids equal it.
var hashedID = strings.Repeat("#", maxRawIDs)

// idsOf is the ids of the entry of kind for sub and id. Verbatim ids alias
// sub and id; add copies them. Only ids over maxRawIDs cost a SHA-256 and
// an allocation per lookup.
func idsOf(kind byte, sub, id string) ids {
	if len(sub)+len(id) <= maxRawIDs {
		return ids{sub, id}
	}
	d := digest(kind, sub, id)
	return ids{string(d[:]), hashedID}
}

// owned is k with its own copy of verbatim ids (hashed ones are fresh
// already, and hashedID is shared).
func (k ids) owned() ids {
	if len(k.sub)+len(k.id) > maxRawIDs {
		return k
	}
	return ids{strings.Clone(k.sub), strings.Clone(k.id)}
}

// Domain separators keep hashes of different kinds of id apart.
const (
	kindJTI    = 'j' // revoked jti of a subject
	kindGen    = 'g' // subject record (generation, sign-ins)
	kindFamily = 'f' // refresh-token family, under the subject
	kindFamJTI = 'r' // refresh jti within a family
)

// digest hashes kind || uvarint(len(a)) || a || b. Ids up to a few hundred
// bytes are hashed from a stack buffer without allocating.
func digest(kind byte, a, b string) [sha256.Size]byte {
	var buf [256]byte
	p := append(buf[:0], kind)
	p = binary.AppendUvarint(p, uint64(len(a)))
	p = append(p, a...)
	p = append(p, b...)
	return sha256.Sum256(p)
}

// unixNano is t in nanoseconds since the epoch, saturating instead of
// overflowing for times outside 1678..2262.
func unixNano(t time.Time) int64 {
	switch {
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	}
	return t.UnixNano()
}

// addNano is now+d, saturating.
func addNano(now int64, d time.Duration) int64 {
	if d > 0 && now > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return now + int64(d)
}
