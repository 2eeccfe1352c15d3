package tokenstore

import (
	"time"
)

// Defaults, kept in one place.
const (
	defaultMaxEntries = 100_000
	defaultPerSubject = 32
	sweepPerWrite     = 64 // expired entries a MemoryStore write removes at most
)

type memoryConfig struct {
	maxEntries    int
	maxPerSubject int
	now           func() time.Time
}

func newMemoryConfig(opts []MemoryOption) memoryConfig {
	c := memoryConfig{maxEntries: defaultMaxEntries, maxPerSubject: defaultPerSubject, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// MemoryOption configures NewMemoryStore. (The Redis store's options live
// in core/token/tokenstore/redisstore.)
type MemoryOption func(*memoryConfig)

// WithClock sets the clock the store reads the current time from; it
// decides expiry with it. A nil clock is ignored. Default: time.Now.
func WithClock(now func() time.Time) MemoryOption {
	return func(c *memoryConfig) {
		if now != nil {
			c.now = now
		}
	}
}

// WithMaxEntries bounds the number of entries (families, subject records
// and revoked-jti markers together) a Memory store holds; each costs
// roughly 300 bytes plus its ids (the subject and the jti or family id, up
// to 512 bytes together; longer ids are held as a 32-byte hash), so at
// most about 800 bytes. Families may fill nine tenths of it; the last
// tenth is kept for revocations, so that logging out and logging out
// everywhere never fail for lack of room (they mostly change existing
// entries and need none). Only expired entries are ever evicted: when the store is full, a
// new sign-in fails with ErrFull (which matches ErrUnavailable, so the
// Issuer answers 503) while logouts keep working. Size it for the sign-ins
// you expect within one refresh lifetime, with headroom. THE MEMORY STORE IS
// FOR A SINGLE PROCESS AND FOR DEVELOPMENT: production uses the Redis store,
// which is shared and bounded by Redis itself. Values below 1 are ignored.
// Default: 100000.
func WithMaxEntries(n int) MemoryOption {
	return func(c *memoryConfig) {
		if n >= 1 {
			c.maxEntries = n
		}
	}
}

// WithMaxFamiliesPerSubject caps the live sign-ins (refresh families) one
// subject holds in a Memory store: a sign-in beyond it ends that subject's
// oldest sign-in, whose tokens are refused from then on. Purpose tokens
// (password reset, email verification) are capped separately by the same
// number, ending the subject's oldest purpose token; they never count
// towards the sign-ins nor end one. So no single account can fill the
// store. Values below 1 are ignored. Default: 32.
func WithMaxFamiliesPerSubject(n int) MemoryOption {
	return func(c *memoryConfig) {
		if n >= 1 {
			c.maxPerSubject = n
		}
	}
}
