package app

import (
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// The Redis client settings of the example servers, where REDIS_URL's
// query does not set them (dial_timeout, read_timeout, write_timeout,
// pool_timeout, max_retries). authkit's stores set no timeouts of their
// own: each call waits as long as the client lets it, and go-redis's
// defaults (5 s per read, 3 retries, 5 dial attempts) would let a frozen
// Redis hold a request for 20 s and more, past the servers' 15 s write
// timeout. With these, one store call against a Redis that stopped
// answering fails after about 500 ms (one attempt; up to 1 s when the
// network drops packets and the dial waits for DialTimeout), and the
// request answers 503.
const (
	// RedisDialTimeout bounds opening a connection (one dial attempt).
	RedisDialTimeout = time.Second
	// RedisReadTimeout bounds waiting for a reply. authkit's commands are
	// O(1) scripts that answer in well under a millisecond; this leaves
	// room for a Redis pausing to fork or for a loaded network.
	RedisReadTimeout = 500 * time.Millisecond
	// RedisWriteTimeout bounds sending a command.
	RedisWriteTimeout = 500 * time.Millisecond
	// RedisPoolTimeout bounds waiting for a free connection when every one
	// is busy (all stuck on a frozen Redis, say).
	RedisPoolTimeout = time.Second
	// RedisMaxRetries is go-redis's MaxRetries: -1, no retry. go-redis
	// sends a command again when its reply timed out or its connection
	// broke, yet Redis may have run it, only late: a refresh rotation run
	// twice reads its own first run as a reuse and ends the family (the
	// client that got the new pair is signed out), a registration run
	// twice answers 409 to its own new account, a TOTP step or a recovery
	// code spent by the first run is refused to the second. Without a
	// retry such a call fails (503) and the client knows it may have
	// happened. A connection that died while idle (a Redis restart) costs
	// no error all the same: the pool checks each one before handing it
	// out.
	RedisMaxRetries = -1
)

// redisClient is the client the App's stores use: cfg.Redis, or a new
// client for cfg.RedisURL with the settings above (ContextTimeoutEnabled
// too, so a request that ends — the client went away — stops waiting).
func (cfg Config) redisClient() (redis.UniversalClient, error) {
	if cfg.Redis != nil {
		return cfg.Redis, nil
	}
	opts, err := parseRedisURL(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(withTimeouts(opts, cfg.RedisURL)), nil
}

// withTimeouts gives opts the example's client settings where the URL raw
// (which parsed) does not set them.
func withTimeouts(opts *redis.Options, raw string) *redis.Options {
	var q url.Values
	if u, err := url.Parse(raw); err == nil {
		q = u.Query()
	}
	for _, d := range []struct {
		param string
		field *time.Duration
		value time.Duration
	}{
		{"dial_timeout", &opts.DialTimeout, RedisDialTimeout},
		{"read_timeout", &opts.ReadTimeout, RedisReadTimeout},
		{"write_timeout", &opts.WriteTimeout, RedisWriteTimeout},
		{"pool_timeout", &opts.PoolTimeout, RedisPoolTimeout},
	} {
		if !q.Has(d.param) {
			*d.field = d.value
		}
	}
	if !q.Has("max_retries") {
		opts.MaxRetries = RedisMaxRetries
	}
	opts.DialerRetries = 1 // the URL cannot set it
	opts.ContextTimeoutEnabled = true
	return opts
}
