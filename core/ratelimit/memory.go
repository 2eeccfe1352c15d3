package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/bits"
	"slices"
	"sync"
	"time"
)

// MemoryStore is the embedded Store for a single process: the keys spread
// over independently locked shards, each key one int64 (its TAT in
// microseconds).
//
// It is bounded. A key whose TAT has passed is the same as an absent one and
// is swept out when a new key arrives (each shard at most once a minute,
// and whenever it is full). A shard that is full of live keys evicts the eighth of its keys
// closest to recovery (smallest TAT): those a reset favours least, so a
// flood of new keys cannot buy back a busy key's state, and the store
// never refuses a request for want of room.
type MemoryStore struct {
	shards   []memShard
	mask     uint64
	seed     maphash.Seed
	now      func() int64 // microseconds since 1970
	perShard int
}

type memShard struct {
	mu        sync.Mutex
	tats      map[string]*int64 // a pointer, so an update needs no key string
	nextSweep int64
	scratch   []int64
	_         [64]byte // keep neighbouring shards' locks off one cache line
}

type memoryConfig struct {
	maxKeys  int
	now      func() time.Time
	clockSet bool
}

// MemoryOption configures a MemoryStore.
type MemoryOption func(*memoryConfig)

// WithMaxKeys caps how many keys the store holds (rounded up to a multiple
// of its shard count). Default: 100000.
func WithMaxKeys(n int) MemoryOption { return func(c *memoryConfig) { c.maxKeys = n } }

// WithClock sets the store's clock; tests pass a settable one to reach
// exact boundaries. Default: the wall clock at NewMemoryStore advanced by
// the monotonic clock, so stepping the system clock moves no bucket.
func WithClock(now func() time.Time) MemoryOption {
	return func(c *memoryConfig) { c.now, c.clockSet = now, true }
}

// memSweepEvery is how often a shard sweeps out passed keys on a write.
const memSweepEvery = int64(time.Minute / time.Microsecond)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts ...MemoryOption) (*MemoryStore, error) {
	cfg := memoryConfig{maxKeys: 100_000}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.maxKeys <= 0 {
		return nil, fmt.Errorf("%w: max keys %d must be positive", ErrInvalidConfig, cfg.maxKeys)
	}
	if cfg.clockSet && cfg.now == nil {
		return nil, fmt.Errorf("%w: nil clock", ErrInvalidConfig)
	}
	now := func() int64 { return cfg.now().UnixMicro() }
	if !cfg.clockSet {
		// time.Since reads only the monotonic clock: half the cost of
		// time.Now, and immune to steps of the system clock.
		base := time.Now()
		baseMicro := base.UnixMicro()
		now = func() int64 { return baseMicro + int64(time.Since(base)/time.Microsecond) }
	}
	// 64 shards keep contention negligible on any core count we meet; a
	// tiny store gets fewer so its cap stays close to what was asked.
	n := 64
	if cfg.maxKeys < n*8 {
		n = 1 << (bits.Len(uint(cfg.maxKeys/8+1)) - 1)
	}
	s := &MemoryStore{
		shards:   make([]memShard, n),
		mask:     uint64(n - 1),
		seed:     maphash.MakeSeed(),
		now:      now,
		perShard: (cfg.maxKeys + n - 1) / n,
	}
	for i := range s.shards {
		s.shards[i].tats = make(map[string]*int64)
	}
	return s, nil
}

// Len reports how many keys the store holds, passed ones not yet swept
// included.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.tats)
		sh.mu.Unlock()
	}
	return n
}

// Take implements Store. It never fails.
func (s *MemoryStore) Take(_ context.Context, reqs []Request, res []Result) error {
	if len(res) != len(reqs) {
		return fmt.Errorf("%w: %d results for %d requests", ErrInvalidConfig, len(res), len(reqs))
	}
	now := s.now()
	t := time.UnixMicro(now)
	for i := range reqs {
		r := &reqs[i]
		sh := &s.shards[maphash.String(s.seed, r.Key)&s.mask]
		sh.mu.Lock()
		tat, allowed := sh.step(r.Key, now, r.Interval.Microseconds(), r.Burst, r.Cost, s.perShard)
		sh.mu.Unlock()
		res[i] = Result{Allowed: allowed, Now: t, TAT: time.UnixMicro(tat)}
	}
	return nil
}

// takeParts is Take for one request whose key is name NUL kind NUL value
// (Limiter.storeKey), without building the key string unless the key is
// new: the Limiter's fast path.
// It returns the store's time and the TAT in microseconds.
func (s *MemoryStore) takeParts(name string, k Key, interval int64, burst, cost int) (now, tat int64, allowed bool) {
	var buf [128]byte
	key := append(append(append(append(append(buf[:0], name...), 0), k.Kind...), 0), k.Value...)
	now = s.now()
	sh := &s.shards[maphash.Bytes(s.seed, key)&s.mask]
	sh.mu.Lock()
	tat, allowed = sh.stepBytes(key, now, interval, burst, cost, s.perShard)
	sh.mu.Unlock()
	return now, tat, allowed
}

// step applies the GCRA step to key; the shard is locked.
func (sh *memShard) step(key string, now, interval int64, burst, cost, limit int) (int64, bool) {
	p := sh.tats[key]
	var stored int64
	if p != nil {
		stored = *p
	}
	tat, allowed := step(stored, now, interval, burst, cost)
	if allowed && cost != 0 {
		switch {
		case tat <= now:
			delete(sh.tats, key)
		case p != nil:
			*p = tat
		default:
			sh.insert(key, tat, now, limit)
		}
	}
	return tat, allowed
}

// stepBytes is step for a key held in bytes: it makes the key's string only
// when the key is new.
func (sh *memShard) stepBytes(key []byte, now, interval int64, burst, cost, limit int) (int64, bool) {
	p := sh.tats[string(key)] // a lookup converts without allocating
	if p != nil || cost == 0 {
		var stored int64
		if p != nil {
			stored = *p
		}
		tat, allowed := step(stored, now, interval, burst, cost)
		if allowed && cost != 0 {
			if tat <= now {
				delete(sh.tats, string(key))
			} else {
				*p = tat
			}
		}
		return tat, allowed
	}
	return sh.step(string(key), now, interval, burst, cost, limit)
}

// insert adds a new key, making room first when the shard is full or a
// sweep is due.
func (sh *memShard) insert(key string, tat, now int64, limit int) {
	if now >= sh.nextSweep || len(sh.tats) >= limit {
		sh.sweep(now)
	}
	if len(sh.tats) >= limit {
		sh.evict(limit)
	}
	sh.tats[key] = &tat
}

// sweep drops every key whose TAT has passed.
func (sh *memShard) sweep(now int64) {
	for k, tat := range sh.tats {
		if *tat <= now {
			delete(sh.tats, k)
		}
	}
	sh.nextSweep = now + memSweepEvery
}

// evict drops an eighth of a full shard (at least one key): the keys with
// the smallest TATs, closest to a full bucket.
func (sh *memShard) evict(limit int) {
	sh.scratch = sh.scratch[:0]
	for _, tat := range sh.tats {
		sh.scratch = append(sh.scratch, *tat)
	}
	slices.Sort(sh.scratch)
	n := max(1, limit/8)
	cut := sh.scratch[n-1]
	// Drop every key below cut, and of those at cut only as many as make n.
	first, _ := slices.BinarySearch(sh.scratch[:n], cut)
	ties := n - first
	for k, p := range sh.tats {
		if tat := *p; tat < cut {
			delete(sh.tats, k)
		} else if tat == cut && ties > 0 {
			delete(sh.tats, k)
			ties--
		}
	}
}
