package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/internal/rediskey"
	"github.com/authkit-go/authkit/core/mfa"
)

// DefaultPrefix starts every key the store writes unless WithPrefix says
// otherwise.
const DefaultPrefix = "authkit:mfa:"

// forget is how long an attempt counter outlives its last charge or lock,
// so the keys of users who never come back do not stay for ever.
const forget = 30 * 24 * time.Hour

// Store is an mfa.Store on Redis through a redis.UniversalClient, so a
// single server, Sentinel and Cluster all work. Each user's keys share one
// hash tag and every method is one round trip: a Lua script where it reads
// and writes.
//
// Locks are decided on the Redis server's TIME (read inside the script),
// not on the time the Manager passes: instances whose clocks disagree by
// more than a lock's length would otherwise miss each other's locks.
// WithClock passes the application's clock instead (tests). The Manager's
// time still checks TOTP codes and a pending enrolment's expiry.
type Store struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time // nil: the server's TIME
}

var _ mfa.Store = (*Store)(nil)

// Option configures New.
type Option func(*config)

type config struct {
	prefix string
	now    func() time.Time
}

// WithPrefix sets the prefix of every key the store writes, so several
// applications can share one Redis. It must not contain '{' or '}', which
// would break Cluster hash tags; New rejects such a prefix.
// Default: "authkit:mfa:".
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithClock makes the store decide locks on now instead of the Redis
// server's TIME. Every instance sharing the keys must then agree on the
// time; tests pass their fake clock (the Manager's) to reach exact
// boundaries. Default: the server's TIME.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// New returns a Store using c, which the caller keeps and closes.
func New(c redis.UniversalClient, opts ...Option) (*Store, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil Redis client", mfa.ErrInvalidConfig)
	}
	cfg := config{prefix: DefaultPrefix}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := rediskey.CheckPrefix(cfg.prefix); err != nil {
		return nil, fmt.Errorf("%w: %w", mfa.ErrInvalidConfig, err)
	}
	return &Store{client: c, prefix: cfg.prefix, now: cfg.now}, nil
}

// keys returns userID's keys, all under one hash tag: factor (hash),
// pending (hash), attempts (hash) and recovery codes (set).
func (s *Store) keys(userID string) []string {
	tag := rediskey.Tag("mfa", userID)
	return []string{s.prefix + "f:" + tag, s.prefix + "p:" + tag, s.prefix + "a:" + tag, s.prefix + "r:" + tag}
}

func ms(t time.Time) string       { return strconv.FormatInt(t.UnixMilli(), 10) }
func dms(d time.Duration) string  { return strconv.FormatInt(d.Milliseconds(), 10) }
func fromMS(v int64) time.Time    { return time.UnixMilli(v).UTC() }
func unavailable(err error) error { return rediskey.Unavailable(mfa.ErrUnavailable, err) }

// lockClock is the lock's time as a script argument: the store's clock in
// ms, or "" for the server's TIME.
func (s *Store) lockClock() string {
	if s.now == nil {
		return ""
	}
	return ms(s.now())
}

// limitArgs is the lock rule as script arguments: the lock's clock (see
// lockClock), max failures, the counter's lifetime, then every lockout in
// ms.
func (s *Store) limitArgs(lim mfa.Limits, args ...any) []any {
	args = append(args, s.lockClock(), lim.MaxFailures, forget.Milliseconds())
	for _, d := range lim.Lockouts {
		args = append(args, d.Milliseconds())
	}
	return args
}

// Key layout (KEYS): 1 factor, 2 pending, 3 attempts, 4 recovery codes.
//
// Factor and pending hashes: id, s (sealed secret), alg, dig, per (period,
// s), st (last step; factor), c (created, ms), x (expires, ms; pending),
// n (factor: the nonce of the last Activate, CommitStep or spent recovery
// code; see callNonce).
// Attempts hash: n (failures since the last lock), l (locks since the last
// success), u (locked until, ms).
//
// A pending enrolment's times come from the caller (the Manager's clock),
// so that its expiry agrees with it; a lock's come from lockNow, the
// server's TIME unless WithClock. PEXPIRE only collects garbage.

// chargeLua defines lockNow(argi), lockedUntil(now) and charge(now, argi):
// the lock rule of mfa.Store.Begin. ARGV[argi] is the lock's clock (ms, or
// "" for the server's TIME), ARGV[argi+1] the failure limit, ARGV[argi+2]
// the counter's lifetime and ARGV[argi+3...] the lockouts.
const chargeLua = `
local function lockNow(argi)
  if ARGV[argi] ~= '' then return tonumber(ARGV[argi]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function lockedUntil(now)
  local u = tonumber(redis.call('HGET', KEYS[3], 'u') or '0')
  if now < u then return u end
  return nil
end
local function charge(now, argi)
  local n = redis.call('HINCRBY', KEYS[3], 'n', 1)
  local u = 0
  if n >= tonumber(ARGV[argi + 1]) then
    local l = redis.call('HINCRBY', KEYS[3], 'l', 1)
    local lockouts = #ARGV - argi - 2
    u = now + tonumber(ARGV[argi + 2 + math.min(l, lockouts)])
    redis.call('HSET', KEYS[3], 'n', 0, 'u', u)
  end
  redis.call('PEXPIRE', KEYS[3], math.max(u - now, 0) + tonumber(ARGV[argi + 2]))
  return u
end
`

// setPendingScript: ARGV id, sealed, alg, dig, per, created, expires, ttl.
var setPendingScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'E' end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'id', ARGV[1], 's', ARGV[2], 'alg', ARGV[3], 'dig', ARGV[4], 'per', ARGV[5], 'c', ARGV[6], 'x', ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
return 'O'
`)

// beginScript: ARGV now (the pending enrolment's expiry), target ('f' or
// 'p'), then the limit arguments. Reply: {'L', until, lock now} | 'N' | 'P'
// | 'E' | {'O', until-or-0, id, s, alg, dig, per, st, c, x}.
var beginScript = redis.NewScript(chargeLua + `
local now = tonumber(ARGV[1])
local lnow = lockNow(3)
local u = lockedUntil(lnow)
if u then return {'L', u, lnow} end
local r
if ARGV[2] == 'f' then
  r = redis.call('HMGET', KEYS[1], 'id', 's', 'alg', 'dig', 'per', 'st', 'c', 'x')
  if not r[1] then return 'N' end
else
  if redis.call('EXISTS', KEYS[1]) == 1 then return 'E' end
  r = redis.call('HMGET', KEYS[2], 'id', 's', 'alg', 'dig', 'per', 'st', 'c', 'x')
  if not r[1] or tonumber(r[8]) <= now then return 'P' end
end
local locks = charge(lnow, 3)
return {'O', locks, r[1], r[2], r[3], r[4], r[5], r[6] or '-1', r[7], r[8] or '0'}
`)

// commitScript: ARGV factor id, step, resealed (empty for none), nonce.
var commitScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'id', 'st', 'n')
if f[1] ~= ARGV[1] then return 'N' end
if tonumber(f[2]) >= tonumber(ARGV[2]) then
  if f[2] == ARGV[2] and f[3] == ARGV[4] then return 'O' end
  return 'R'
end
redis.call('HSET', KEYS[1], 'st', ARGV[2], 'n', ARGV[4])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 's', ARGV[3]) end
redis.call('DEL', KEYS[3])
return 'O'
`)

// activateScript: ARGV now, id, sealed, alg, dig, per, step, created,
// nonce, then the recovery-code hashes.
var activateScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'n') == ARGV[9] then return 'O' end
  return 'E'
end
local p = redis.call('HMGET', KEYS[2], 'id', 'x')
if p[1] ~= ARGV[2] or tonumber(p[2]) <= tonumber(ARGV[1]) then return 'P' end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'id', ARGV[2], 's', ARGV[3], 'alg', ARGV[4], 'dig', ARGV[5], 'per', ARGV[6], 'st', ARGV[7], 'c', ARGV[8], 'n', ARGV[9])
for i = 10, #ARGV do redis.call('SADD', KEYS[4], ARGV[i]) end
return 'O'
`)

// useCodeScript: ARGV code hash, nonce, then the limit arguments.
// Reply: {'L', until, lock now} | 'N' | {'O', left} | {'W', until-or-0, left}.
var useCodeScript = redis.NewScript(chargeLua + `
if redis.call('HGET', KEYS[1], 'n') == ARGV[2] then
  return {'O', redis.call('SCARD', KEYS[4])}
end
local now = lockNow(3)
local u = lockedUntil(now)
if u then return {'L', u, now} end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'N' end
if redis.call('SREM', KEYS[4], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'n', ARGV[2])
  redis.call('DEL', KEYS[3])
  return {'O', redis.call('SCARD', KEYS[4])}
end
local locks = charge(now, 3)
return {'W', locks, redis.call('SCARD', KEYS[4])}
`)

// replaceCodesScript: ARGV the new hashes.
var replaceCodesScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'N' end
redis.call('DEL', KEYS[4])
for i = 1, #ARGV do redis.call('SADD', KEYS[4], ARGV[i]) end
return 'O'
`)

// codesLeftScript: the set's size if the factor exists.
var codesLeftScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('SCARD', KEYS[4])
`)

// deleteScript: 1 when a factor was removed.
var deleteScript = redis.NewScript(`
local had = redis.call('EXISTS', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
return had
`)

// status maps a script's one-letter refusal to its sentinel.
func status(v any) error {
	s, _ := v.(string)
	switch s {
	case "O":
		return nil
	case "E":
		return mfa.ErrAlreadyEnrolled
	case "N":
		return mfa.ErrNotEnrolled
	case "P":
		return mfa.ErrNothingPending
	case "R":
		return mfa.ErrReplayed
	}
	return fmt.Errorf("%w: unexpected script reply %v", mfa.ErrUnavailable, v)
}

// SetPending implements mfa.Store.
func (s *Store) SetPending(ctx context.Context, userID string, p mfa.Record, now time.Time) error {
	// x decides expiry by the caller's clock; the TTL only collects
	// garbage.
	ttl := max(p.Expires.Sub(now), time.Millisecond)
	v, err := setPendingScript.Run(ctx, s.client, s.keys(userID), p.ID, p.Sealed, string(p.Params.Algorithm),
		p.Params.Digits, int64(p.Params.Period/time.Second), ms(p.Created), ms(p.Expires), dms(ttl)).Result()
	if err != nil {
		return unavailable(err)
	}
	return status(v)
}

// Begin implements mfa.Store. now decides a pending enrolment's expiry;
// the lock runs on the lock clock (the server's TIME unless WithClock).
func (s *Store) Begin(ctx context.Context, userID string, target mfa.Target, lim mfa.Limits, now time.Time) (mfa.Attempt, error) {
	t := "f"
	if target == mfa.TargetPending {
		t = "p"
	}
	v, err := beginScript.Run(ctx, s.client, s.keys(userID), s.limitArgs(lim, now.UnixMilli(), t)...).Result()
	if err != nil {
		return mfa.Attempt{}, unavailable(err)
	}
	r, ok := v.([]any)
	if !ok {
		if err := status(v); err != nil {
			return mfa.Attempt{}, err
		}
		return mfa.Attempt{}, fmt.Errorf("%w: unexpected script reply %v", mfa.ErrUnavailable, v)
	}
	if locked, err := lockReply(r); locked {
		return mfa.Attempt{}, err
	}
	if len(r) != 10 {
		return mfa.Attempt{}, fmt.Errorf("%w: unexpected script reply of %d values", mfa.ErrUnavailable, len(r))
	}
	rec, err := parseRecord(r[2:])
	if err != nil {
		return mfa.Attempt{}, err
	}
	att := mfa.Attempt{Record: rec}
	if u, _ := r[1].(int64); u > 0 {
		att.Locks, att.LockedUntil = true, fromMS(u)
	}
	return att, nil
}

// lockReply reports whether r is a lock refusal, {'L', until, now}, both
// on the lock's clock.
func lockReply(r []any) (bool, error) {
	if len(r) == 3 && r[0] == "L" {
		u, _ := r[1].(int64)
		now, _ := r[2].(int64)
		return true, mfa.NewLockedError(fromMS(u), fromMS(now))
	}
	return false, nil
}

// parseRecord reads id, s, alg, dig, per, st, c, x.
func parseRecord(f []any) (mfa.Record, error) {
	str := func(i int) string { v, _ := f[i].(string); return v }
	num := func(i int) (int64, error) { return strconv.ParseInt(str(i), 10, 64) }
	digits, err1 := num(3)
	per, err2 := num(4)
	st, err3 := num(5)
	c, err4 := num(6)
	x, err5 := num(7)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return mfa.Record{}, fmt.Errorf("%w: corrupt record: %v", mfa.ErrUnavailable, err)
	}
	rec := mfa.Record{
		ID:       str(0),
		Sealed:   []byte(str(1)),
		Params:   mfa.Params{Algorithm: mfa.Algorithm(str(2)), Digits: int(digits), Period: time.Duration(per) * time.Second},
		LastStep: st,
		Created:  fromMS(c),
	}
	if x > 0 {
		rec.Expires = fromMS(x)
	}
	return rec, nil
}

// CommitStep implements mfa.Store.
func (s *Store) CommitStep(ctx context.Context, userID, factorID string, step int64, resealed []byte) error {
	n, err := callNonce()
	if err != nil {
		return err
	}
	v, err := commitScript.Run(ctx, s.client, s.keys(userID), factorID, step, resealed, n).Result()
	if err != nil {
		return unavailable(err)
	}
	return status(v)
}

// Activate implements mfa.Store.
func (s *Store) Activate(ctx context.Context, userID string, f mfa.Record, codes []mfa.CodeHash, now time.Time) error {
	n, err := callNonce()
	if err != nil {
		return err
	}
	args := make([]any, 0, 9+len(codes))
	args = append(args, now.UnixMilli(), f.ID, f.Sealed, string(f.Params.Algorithm), f.Params.Digits,
		int64(f.Params.Period/time.Second), f.LastStep, ms(f.Created), n)
	args = appendCodes(args, codes)
	v, err := activateScript.Run(ctx, s.client, s.keys(userID), args...).Result()
	if err != nil {
		return unavailable(err)
	}
	return status(v)
}

// callNonce returns a fresh random nonce for one call that spends
// something (Activate, CommitStep, UseRecoveryCode). The script records it
// with what it spent, so that the same call sent again — a client re-sends
// a command whose reply timed out (go-redis's MaxRetries, a ClusterClient's
// MaxRedirects), though Redis may have run it — answers as its first run
// did rather than refuse the user's own code as replayed or spent. Another
// call carries another nonce and is refused as before.
func callNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", unavailable(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func appendCodes(args []any, codes []mfa.CodeHash) []any {
	for _, c := range codes {
		args = append(args, c[:])
	}
	return args
}

// UseRecoveryCode implements mfa.Store. The lock runs on the lock clock
// (the server's TIME unless WithClock), not on the time passed.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, code mfa.CodeHash, lim mfa.Limits, _ time.Time) (mfa.RecoveryUse, error) {
	n, err := callNonce()
	if err != nil {
		return mfa.RecoveryUse{}, err
	}
	v, err := useCodeScript.Run(ctx, s.client, s.keys(userID), s.limitArgs(lim, code[:], n)...).Result()
	if err != nil {
		return mfa.RecoveryUse{}, unavailable(err)
	}
	r, ok := v.([]any)
	if !ok {
		return mfa.RecoveryUse{}, status(v)
	}
	if locked, err := lockReply(r); locked {
		return mfa.RecoveryUse{}, err
	}
	switch {
	case len(r) == 2 && r[0] == "O":
		left, _ := r[1].(int64)
		return mfa.RecoveryUse{Left: int(left)}, nil
	case len(r) == 3 && r[0] == "W":
		u, _ := r[1].(int64)
		left, _ := r[2].(int64)
		use := mfa.RecoveryUse{Left: int(left)}
		if u > 0 {
			use.Locks, use.LockedUntil = true, fromMS(u)
		}
		return use, mfa.ErrInvalidCode
	}
	return mfa.RecoveryUse{}, fmt.Errorf("%w: unexpected script reply %v", mfa.ErrUnavailable, v)
}

// ReplaceRecoveryCodes implements mfa.Store.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, codes []mfa.CodeHash) error {
	v, err := replaceCodesScript.Run(ctx, s.client, s.keys(userID), appendCodes(nil, codes)...).Result()
	if err != nil {
		return unavailable(err)
	}
	return status(v)
}

// RecoveryCodesLeft implements mfa.Store.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	n, err := codesLeftScript.Run(ctx, s.client, s.keys(userID)).Int()
	if err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}

// Enabled implements mfa.Store.
func (s *Store) Enabled(ctx context.Context, userID string) (bool, error) {
	n, err := s.client.Exists(ctx, s.keys(userID)[0]).Result()
	if err != nil {
		return false, unavailable(err)
	}
	return n == 1, nil
}

// Delete implements mfa.Store.
func (s *Store) Delete(ctx context.Context, userID string) error {
	had, err := deleteScript.Run(ctx, s.client, s.keys(userID)).Int()
	if err != nil {
		return unavailable(err)
	}
	if had == 0 {
		return mfa.ErrNotEnrolled
	}
	return nil
}
