package tokenstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the shared Store, for several instances of an application. It
// works with a single server, Sentinel and Cluster through
// redis.UniversalClient.
//
// Key layout (P is the prefix, S and F are base64url(sha256(id))[:22] of the
// subject and family, so any byte in an id is safe in a key and a hash tag):
//
//	P{S}:jti:<base64url(sha256(jti))>  revoked jti, TTL = remaining lifetime
//	P{S}:cut                           subject cut-off in unix ms, TTL = marker ttl
//	P{F}:fam                           "a" or "r" (active/revoked) + hash of the current refresh jti
//	P{S}:famrev:<base64url(sha256(F))> tokens of sub carrying a revoked family, TTL = until
//
// Keys of one subject share a hash tag, so Revoked is one MGET in one slot.
// Every Redis error is returned wrapped in ErrUnavailable.
type Redis struct {
	c      redis.UniversalClient
	prefix string
	now    func() time.Time
}

// NewRedis returns a Store keeping its state in Redis through c. It fails if
// c is nil or the prefix contains a hash-tag brace.
func NewRedis(c redis.UniversalClient, opts ...RedisOption) (*Redis, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil Redis client", ErrInvalid)
	}
	cfg := newRedisConfig(opts)
	if strings.ContainsAny(cfg.prefix, "{}") {
		return nil, fmt.Errorf("%w: key prefix %q contains '{' or '}'", ErrInvalid, cfg.prefix)
	}
	return &Redis{c: c, prefix: cfg.prefix, now: cfg.now}, nil
}

// revokeSubject raises the cut-off (never lowers it) and keeps the marker for
// the longer of its remaining TTL and ARGV[2] ms.
var revokeSubjectScript = redis.NewScript(`
local ttl = tonumber(ARGV[2])
local p = redis.call('PTTL', KEYS[1])
if p > ttl then ttl = p end
local v = ARGV[1]
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) and tonumber(cur) > tonumber(v) then v = cur end
redis.call('SET', KEYS[1], v, 'PX', ttl)
return 1
`)

// Result codes of rotateScript.
const (
	rotateOK = iota
	rotateUnknown
	rotateRevoked
	rotateReused
)

// rotateScript: ARGV[1] hash of the used jti, ARGV[2] hash of the next one,
// ARGV[3] new TTL in ms (<= 0: keep). Reuse is checked before revocation so
// that a replayed token is reported as reuse even once the family is revoked.
var rotateScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 1 end
if string.sub(v, 2) ~= ARGV[1] then
  redis.call('SETRANGE', KEYS[1], 0, 'r')
  return 3
end
if string.sub(v, 1, 1) ~= 'a' then return 2 end
redis.call('SET', KEYS[1], 'a' .. ARGV[2], 'KEEPTTL')
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  local p = redis.call('PTTL', KEYS[1])
  if p >= 0 and p < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return 0
`)

// revokeFamilyScript flips the state byte; SETRANGE keeps the TTL.
var revokeFamilyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SETRANGE', KEYS[1], 0, 'r') end
return 0
`)

// RevokeToken implements Store. One round trip (SET PX).
func (r *Redis) RevokeToken(ctx context.Context, sub, jti string, exp time.Time) error {
	if sub == "" || jti == "" {
		return fmt.Errorf("%w: empty subject or jti", ErrInvalid)
	}
	d := exp.Sub(r.now())
	if d <= 0 {
		return nil
	}
	tag := r.subjectTag(sub)
	if err := r.c.Set(ctx, r.jtiKey(tag, jti), "1", px(d)).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// RevokeSubject implements Store. One round trip (one script).
func (r *Redis) RevokeSubject(ctx context.Context, sub string, before time.Time, ttl time.Duration) error {
	if sub == "" {
		return fmt.Errorf("%w: empty subject", ErrInvalid)
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: subject marker ttl %v is not positive", ErrInvalid, ttl)
	}
	key := r.cutKey(r.subjectTag(sub))
	err := revokeSubjectScript.Run(ctx, r.c, []string{key}, unixMilli(before), ceilMilli(ttl)).Err()
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Revoked implements Store. One round trip (MGET of the jti and cut-off
// keys, which share a slot). On error it answers true.
func (r *Redis) Revoked(ctx context.Context, sub, jti, family string, issuedAt time.Time) (bool, error) {
	if sub == "" || jti == "" {
		return true, fmt.Errorf("%w: empty subject or jti", ErrInvalid)
	}
	tag := r.subjectTag(sub)
	keys := []string{r.jtiKey(tag, jti), r.cutKey(tag)}
	if family != "" {
		keys = append(keys, r.famRevKey(tag, family))
	}
	vals, err := r.c.MGet(ctx, keys...).Result()
	if err != nil {
		return true, unavailable(err)
	}
	if len(vals) != len(keys) {
		return true, unavailable(fmt.Errorf("MGET returned %d values", len(vals)))
	}
	if vals[0] != nil || (len(vals) == 3 && vals[2] != nil) {
		return true, nil
	}
	if vals[1] == nil {
		return false, nil
	}
	s, _ := vals[1].(string)
	cut, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// A corrupted marker must not unrevoke anything.
		return true, unavailable(fmt.Errorf("malformed subject cut-off: %w", err))
	}
	return unixMilli(issuedAt) < cut, nil
}

// StartFamily implements Store. One round trip (SET NX PX).
func (r *Redis) StartFamily(ctx context.Context, family, sub, jti string, exp time.Time) error {
	if family == "" || sub == "" || jti == "" {
		return fmt.Errorf("%w: empty family, subject or jti", ErrInvalid)
	}
	d := exp.Sub(r.now())
	if d <= 0 {
		return nil
	}
	ok, err := r.c.SetNX(ctx, r.familyKey(family), "a"+famJTI(jti), px(d)).Result()
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return ErrFamilyExists
	}
	return nil
}

// RotateFamily implements Store. One round trip (one script, by EVALSHA;
// the first call after a script flush adds an EVAL).
func (r *Redis) RotateFamily(ctx context.Context, family, used, next string, exp time.Time) error {
	if family == "" || used == "" || next == "" {
		return fmt.Errorf("%w: empty family or jti", ErrInvalid)
	}
	if used == next {
		return fmt.Errorf("%w: next jti equals the used one", ErrInvalid)
	}
	var ttl int64
	if d := exp.Sub(r.now()); d > 0 {
		ttl = ceilMilli(d)
	}
	code, err := rotateScript.Run(ctx, r.c, []string{r.familyKey(family)}, famJTI(used), famJTI(next), ttl).Int()
	if err != nil {
		return unavailable(err)
	}
	switch code {
	case rotateOK:
		return nil
	case rotateUnknown:
		return ErrFamilyUnknown
	case rotateRevoked:
		return ErrFamilyRevoked
	case rotateReused:
		return ErrReused
	}
	return unavailable(fmt.Errorf("rotate script returned %d", code))
}

// RevokeFamily implements Store. One round trip (one script).
func (r *Redis) RevokeFamily(ctx context.Context, sub, family string, until time.Time) error {
	if sub == "" || family == "" {
		return fmt.Errorf("%w: empty subject or family", ErrInvalid)
	}
	// The marker goes first: were the second step to fail, the family's
	// tokens would already be refused. The two keys sit in different slots
	// on a Cluster, so this is a plain pipeline, one round trip.
	_, err := r.c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		if d := until.Sub(r.now()); d > 0 {
			// Never shortens a marker: issuers sharing the store may have
			// different access TTLs.
			markScript.Eval(ctx, pipe, []string{r.famRevKey(r.subjectTag(sub), family)}, px(d).Milliseconds())
		}
		revokeFamilyScript.Eval(ctx, pipe, []string{r.familyKey(family)}) // EVAL: a pipeline cannot fall back from EVALSHA
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

func unavailable(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// tag is base64url(sha256(kind || id))[:22]: 132 bits, no braces.
func tag(kind byte, id string) string {
	sum := digest(kind, id, "")
	return base64.RawURLEncoding.EncodeToString(sum[:])[:22]
}

func famJTI(jti string) string {
	sum := digest(kindFamJTI, jti, "")
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (r *Redis) subjectTag(sub string) string { return tag(kindSubject, sub) }

func (r *Redis) jtiKey(subjectTag, jti string) string {
	sum := digest(kindJTI, jti, "")
	return r.prefix + "{" + subjectTag + "}:jti:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

func (r *Redis) cutKey(subjectTag string) string {
	return r.prefix + "{" + subjectTag + "}:cut"
}

// markScript sets KEYS[1] with a TTL of ARGV[1] ms unless it already
// lives longer: a marker's expiry only ever grows.
var markScript = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
`)

func (r *Redis) famRevKey(subjectTag, family string) string {
	sum := digest(kindFamRev, family, "")
	return r.prefix + "{" + subjectTag + "}:famrev:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

func (r *Redis) familyKey(family string) string {
	return r.prefix + "{" + tag(kindFamily, family) + "}:fam"
}
