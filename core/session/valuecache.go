package session

import (
	"encoding/json"
	"sync"
)

// ValueCache decodes a session value that is read on every request (the
// guard's principal) once per distinct encoding rather than once per
// request: it keeps what Get[T] decoded, keyed by the exact JSON bytes
// stored. A value that changes is other bytes, so it is never served
// stale, whatever the store and however the change was made. It is safe for
// concurrent use.
//
// The T that Get returns is shared with the cache and with every other
// caller: copy its slices, maps and pointers before handing it to code that
// may change them.
type ValueCache[T any] struct {
	mu         sync.RWMutex
	m          map[string]T
	size       int // estimated bytes held
	maxEntries int
	maxBytes   int
}

// Encodings longer than maxCachedValue are decoded on every Get, so that a
// few large values cannot take the cache's memory.
const maxCachedValue = 1024

// cachedValueOverhead estimates what an entry holds besides its key and
// what was decoded from it: the map slot, T itself, headers.
const cachedValueOverhead = 256

// cachedCost bounds what an entry for an n-byte encoding holds: the key (n
// bytes), and what decoding can make of n bytes — at worst a 16-byte string
// header for every 3 bytes (`"",` in an array) plus the strings' bytes, under
// 7n. Counting less would let a value of many empty strings hold five times
// what the cache is allowed.
func cachedCost(n int) int { return 8*n + cachedValueOverhead }

// NewValueCache returns a cache that holds at most maxEntries values and
// at most about maxBytes of memory (counting eight bytes per byte of each
// entry's encoding, what its key and its decoded value can hold at worst,
// plus some overhead); when full, arbitrary
// entries go to make room. Values encoded in more than 1 KiB are not kept.
// Non-positive bounds cache nothing.
func NewValueCache[T any](maxEntries, maxBytes int) *ValueCache[T] {
	return &ValueCache[T]{m: make(map[string]T), maxEntries: maxEntries, maxBytes: maxBytes}
}

// Get returns what Get[T](s, key) returns, decoding only encodings it has
// not kept.
func (c *ValueCache[T]) Get(s *Session, key string) (T, bool) {
	var zero T
	if s == nil {
		return zero, false
	}
	raw, ok := s.rec.Values[key]
	if !ok {
		return zero, false
	}
	c.mu.RLock()
	v, ok := c.m[string(raw)] // a lookup by string(raw) does not copy raw
	c.mu.RUnlock()
	if ok {
		return v, true
	}
	d := new(T) // only here: v would escape through &v and cost every hit
	if err := json.Unmarshal(raw, d); err != nil {
		return zero, false // not kept: such bytes are rare, and cheap to refuse again
	}
	c.add(raw, *d)
	return *d, true
}

// add keeps v for raw, making room by dropping arbitrary entries.
func (c *ValueCache[T]) add(raw json.RawMessage, v T) {
	n := cachedCost(len(raw))
	if len(raw) > maxCachedValue || n > c.maxBytes || c.maxEntries <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[string(raw)]; ok {
		return // another request decoded it meanwhile
	}
	for k := range c.m { // map order is randomised: a random victim
		if len(c.m) < c.maxEntries && c.size+n <= c.maxBytes {
			break
		}
		c.size -= cachedCost(len(k))
		delete(c.m, k)
	}
	c.m[string(raw)] = v
	c.size += n
}

// Len reports how many values the cache holds.
func (c *ValueCache[T]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
