package token

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authkit-go/authkit/core/port"
)

// The verified-token cache (as Envoy's jwt_authn jwt_cache_config): the
// claims of tokens that passed one full verification, keyed by the exact
// token bytes, so that a repeated token skips the signature check and the
// parsing. A token is never accepted without one full verification: a token
// one byte away from a cached one is another key, and a miss. On every hit
// exp, nbf and iat are checked again against the clock (the revocation
// store is asked by the caller, cached or not); a change of the key source
// (KeySet.Add, Promote, Retire; a RemoteKeySet refresh, or its keys going
// stale) empties the cache; an entry is never served past its expiry and is
// dropped at the latest by the next insertion.
const (
	// DefaultVerifiedCacheEntries is how many verified tokens the cache
	// keeps by default.
	DefaultVerifiedCacheEntries = 10_000
	// DefaultVerifiedCacheBytes bounds the cache's estimated memory by
	// default (about 1 KiB per typical access token).
	DefaultVerifiedCacheBytes = 16 << 20
)

// WithVerifiedCache sizes the verified-token cache: at most maxEntries
// tokens and about maxBytes of memory (token, claims and bookkeeping
// estimated per entry); when either is reached, the entry closest to its
// expiry goes. Only key sources that report their changes (KeySet,
// RemoteKeySet) are cached; with any other KeySource every token is
// verified in full. Applies to Verifier and Issuer (access tokens only:
// refresh and purpose tokens are single-use). Default: on, 10,000 entries,
// 16 MiB.
func WithVerifiedCache(maxEntries, maxBytes int) Option {
	return option(func(c *config) error {
		if maxEntries < 1 || maxBytes < 1 {
			return fmt.Errorf("%w: verified-token cache bounds must be positive", ErrInvalidConfig)
		}
		c.cacheEntries, c.cacheBytes = maxEntries, maxBytes
		return nil
	})
}

// WithoutVerifiedCache turns the verified-token cache off: every token is
// verified in full, signature included. Applies to Verifier and Issuer.
// Default: the cache is on (WithVerifiedCache).
func WithoutVerifiedCache() Option {
	return option(func(c *config) error {
		c.cacheEntries = 0
		return nil
	})
}

// generational is a key source that tells when its keys change. ok is false
// while the source cannot vouch for its keys (a remote set gone stale): the
// cache is then bypassed, so that the full verification refreshes them.
type generational interface {
	generation() (gen uint64, ok bool)
}

// verifiedCache holds verified claims by token. Safe for concurrent use;
// hits take the read lock only.
type verifiedCache struct {
	src        generational
	maxEntries int
	maxBytes   int

	mu      sync.RWMutex
	gen     uint64 // the source generation every entry was verified under
	entries map[string]*cacheEntry
	byExp   expiryHeap
	bytes   int

	hits, misses atomic.Uint64 // for tests
}

// cacheEntry is one verified token. Nothing in it changes after insertion.
type cacheEntry struct {
	raw       string
	claims    *Claims
	principal port.Principal
	until     int64 // Unix ns from which the token no longer verifies (exp + leeway)
	size      int
	index     int // in byExp; -1 once removed
}

// entryOverhead estimates what an entry costs beyond its strings: the
// entry, the Claims, the map slot and the heap slot.
const entryOverhead = 512

// newVerifiedCache returns the cache cfg asks for over src, or nil when it
// is off or src cannot tell its changes.
func newVerifiedCache(cfg *config, src KeySource) *verifiedCache {
	g, ok := src.(generational)
	if !ok || cfg.cacheEntries == 0 {
		return nil
	}
	return &verifiedCache{src: g, maxEntries: cfg.cacheEntries, maxBytes: cfg.cacheBytes, entries: make(map[string]*cacheEntry)}
}

// lookup returns the entry for exactly raw when it is still valid at now,
// and the source generation to verify under on a miss (ok false: do not
// store the result). A nil cache always misses.
func (vc *verifiedCache) lookup(raw string, cfg *config, now time.Time) (e *cacheEntry, gen uint64, ok bool) {
	if vc == nil {
		return nil, 0, false
	}
	gen, ok = vc.src.generation()
	if !ok {
		return nil, 0, false
	}
	vc.mu.RLock()
	same := vc.gen == gen
	if same {
		e = vc.entries[raw]
	}
	stale := len(vc.byExp) > 0 && vc.byExp[0].until <= now.UnixNano()
	vc.mu.RUnlock()
	switch {
	case !same:
		vc.reset(gen)
	case stale && vc.mu.TryLock():
		vc.dropExpiredLocked(now.UnixNano())
		vc.mu.Unlock()
	}
	if e != nil && checkTimes(e.claims, cfg, now) != nil {
		// Expired (or, on a clock set back, not yet valid): the full
		// verification says why.
		vc.remove(e)
		e = nil
	}
	if e == nil {
		vc.misses.Add(1)
		return nil, gen, true
	}
	vc.hits.Add(1)
	return e, gen, true
}

// store records c, verified from raw under generation gen, and returns its
// entry; nil when it is not kept (the source changed meanwhile, or the
// token is too large for the cache).
func (vc *verifiedCache) store(raw string, c *Claims, gen uint64, cfg *config, now time.Time) *cacheEntry {
	if vc == nil {
		return nil
	}
	e := &cacheEntry{claims: c, principal: c.Principal(), until: c.ExpiresAt.Add(cfg.leeway).UnixNano()}
	e.size = entryOverhead + 2*len(raw) + len(c.Raw) + len(c.Extra) + stringsSize(c.Audience) + stringsSize(c.Roles) +
		stringsSize(c.AMR) + stringsSize(e.principal.Scopes) + len(c.Issuer) + len(c.Subject) + len(c.ID) + len(c.Scope) + len(c.family) + len(c.purpose)
	if e.size > vc.maxBytes {
		return nil
	}
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.gen != gen {
		return nil // verified under keys that have changed since
	}
	if have := vc.entries[raw]; have != nil {
		return have
	}
	vc.dropExpiredLocked(now.UnixNano())
	for len(vc.entries) >= vc.maxEntries || vc.bytes+e.size > vc.maxBytes {
		vc.removeLocked(vc.byExp[0])
	}
	e.raw = strings.Clone(raw) // raw may point into a framework's reused buffer
	vc.entries[e.raw] = e
	heap.Push(&vc.byExp, e)
	vc.bytes += e.size
	return e
}

// reset empties the cache for generation gen.
func (vc *verifiedCache) reset(gen uint64) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.gen == gen {
		return
	}
	vc.gen, vc.entries, vc.byExp, vc.bytes = gen, make(map[string]*cacheEntry), nil, 0
}

func (vc *verifiedCache) remove(e *cacheEntry) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if e.index >= 0 && vc.entries[e.raw] == e {
		vc.removeLocked(e)
	}
}

func (vc *verifiedCache) removeLocked(e *cacheEntry) {
	heap.Remove(&vc.byExp, e.index)
	delete(vc.entries, e.raw)
	vc.bytes -= e.size
}

// dropExpiredLocked removes every entry that no longer verifies at now.
func (vc *verifiedCache) dropExpiredLocked(now int64) {
	for len(vc.byExp) > 0 && vc.byExp[0].until <= now {
		vc.removeLocked(vc.byExp[0])
	}
}

// len is the number of entries, for tests.
func (vc *verifiedCache) len() int {
	vc.mu.RLock()
	defer vc.mu.RUnlock()
	return len(vc.entries)
}

func stringsSize(ss []string) int {
	n := 16 * len(ss)
	for _, s := range ss {
		n += len(s)
	}
	return n
}

// principalCopy is the entry's principal with slices of its own, so that a
// handler changing them cannot change the cache: one allocation.
func (e *cacheEntry) principalCopy() port.Principal { return e.principal.Clone() }

// claimsCopy is the entry's claims with slices and JSON of their own.
func (e *cacheEntry) claimsCopy() *Claims {
	c := *e.claims
	if n := len(c.Audience) + len(c.Roles) + len(c.AMR); n > 0 {
		buf := make([]string, 0, n)
		buf, c.Audience = appendCapped(buf, c.Audience)
		buf, c.Roles = appendCapped(buf, c.Roles)
		_, c.AMR = appendCapped(buf, c.AMR)
	}
	c.Raw = append(json.RawMessage(nil), c.Raw...)
	if c.Extra != nil {
		c.Extra = append(json.RawMessage(nil), c.Extra...)
	}
	return &c
}

// appendCapped appends ss to buf and returns buf and the appended part,
// capped so that an append to it reallocates instead of overwriting the
// next part; nil stays nil.
func appendCapped(buf, ss []string) ([]string, []string) {
	if ss == nil {
		return buf, nil
	}
	n := len(buf)
	buf = append(buf, ss...)
	return buf, buf[n:len(buf):len(buf)]
}

// expiryHeap orders entries by until, soonest first.
type expiryHeap []*cacheEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until < h[j].until }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*cacheEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}
