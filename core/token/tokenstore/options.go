package tokenstore

import (
	"time"
)

// Defaults, kept in one place.
const (
	defaultMaxEntries = 100_000
	defaultPrefix     = "authkit:tok:"
	sweepPerWrite     = 64 // expired entries a Memory write removes at most
)

type memoryConfig struct {
	maxEntries int
	now        func() time.Time
}

type redisConfig struct {
	prefix string
	now    func() time.Time
}

func newMemoryConfig(opts []MemoryOption) memoryConfig {
	c := memoryConfig{maxEntries: defaultMaxEntries, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.applyMemory(&c)
		}
	}
	return c
}

func newRedisConfig(opts []RedisOption) redisConfig {
	c := redisConfig{prefix: defaultPrefix, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.applyRedis(&c)
		}
	}
	return c
}

// MemoryOption configures NewMemory.
type MemoryOption interface {
	applyMemory(*memoryConfig)
}

// RedisOption configures NewRedis.
type RedisOption interface {
	applyRedis(*redisConfig)
}

// Option is accepted by both NewMemory and NewRedis.
type Option interface {
	MemoryOption
	RedisOption
}

type memoryOption func(*memoryConfig)

func (o memoryOption) applyMemory(c *memoryConfig) { o(c) }

type redisOption func(*redisConfig)

func (o redisOption) applyRedis(c *redisConfig) { o(c) }

type clockOption func() time.Time

func (o clockOption) applyMemory(c *memoryConfig) { c.now = o }
func (o clockOption) applyRedis(c *redisConfig)   { c.now = o }

// WithClock sets the clock the store reads the current time from. The Memory
// store decides expiry with it; the Redis store computes TTLs (exp - now)
// with it, while Redis itself expires keys by its own clock. A nil clock is
// ignored. Default: time.Now.
func WithClock(now func() time.Time) Option {
	if now == nil {
		return clockOption(time.Now)
	}
	return clockOption(now)
}

// WithMaxEntries bounds the number of entries (revoked jtis, subject
// cut-offs and families together) a Memory store holds. When it is full,
// expired entries are dropped; if none is, a new entry is refused with
// ErrFull (which matches ErrUnavailable, so the Issuer answers 503): a live
// revocation is never evicted, since that would re-allow a revoked token.
// Size it for the revocations and live refresh families you expect within
// one refresh lifetime, with headroom; each entry costs roughly 200 bytes.
// A single process at scale should use the Redis store. Values below 1 are
// ignored. Default: 100000.
func WithMaxEntries(n int) MemoryOption {
	return memoryOption(func(c *memoryConfig) {
		if n >= 1 {
			c.maxEntries = n
		}
	})
}

// WithPrefix sets the prefix of every Redis key the store writes, so several
// applications can share one Redis. It must not contain '{' or '}', which
// would break Cluster hash tags; NewRedis rejects such a prefix.
// Default: "authkit:tok:".
func WithPrefix(prefix string) RedisOption {
	return redisOption(func(c *redisConfig) { c.prefix = prefix })
}
