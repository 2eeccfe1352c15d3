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
// Key layout (P is the prefix, S is base64url(sha256(subject))[:22], so any
// byte in an id is safe in a key and a hash tag):
//
//	P{S}:jti:<base64url(sha256(jti))>  revoked jti, TTL = remaining lifetime
//	P{S}:gen                           the subject's generation (decimal), TTL >= each of its families'
//	P{S}:fam:<base64url(sha256(fam))>  family: "a" or "r" (active/revoked), the hash of the
//	                                   current refresh jti, then the replay count if any
//
// Every key of one subject shares its hash tag, so Revoked is one MGET and
// each family operation one script, in one Cluster slot. The family sits
// beside the generation so that rotating it checks the generation
// atomically: log-out-everywhere and a concurrent refresh are ordered by
// Redis, not by any host's clock.
//
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

// revokeSubjectScript raises the generation (KEYS[1]) and keeps it for at
// least ARGV[1] ms.
var revokeSubjectScript = redis.NewScript(`
local g = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return g
`)

// startScript: KEYS[1] family, KEYS[2] generation; ARGV[1] the family's
// value, ARGV[2] TTL in ms. Returns the generation, or -1 if the family
// exists. The generation key is written (0) when absent and kept at least
// as long as every family of the subject, so a generation can never lapse
// while a family started before it lives.
var startScript = redis.NewScript(`
local g = redis.call('GET', KEYS[2])
if g and not tonumber(g) then return redis.error_reply('malformed generation') end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
if not g then
  redis.call('SET', KEYS[2], '0', 'PX', ARGV[2])
  return 0
end
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return tonumber(g)
`)

// Result codes of rotateScript.
const (
	rotateOK = iota
	rotateUnknown
	rotateRevoked
	rotateReused
)

// rotateScript: KEYS[1] family, KEYS[2] generation; ARGV[1] hash of the
// used jti, ARGV[2] hash of the next one, ARGV[3] new TTL in ms (<= 0:
// keep), ARGV[4] the presented token's generation. Returns {code, replays}.
// Reuse is checked before revocation so that a replayed token is reported
// as reuse even once the family is revoked; a family of an earlier
// generation is revoked on the spot.
var rotateScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return {1, 0} end
local cur = string.sub(v, 2, 44)
if cur ~= ARGV[1] then
  local n = (tonumber(string.sub(v, 45)) or 0) + 1
  redis.call('SET', KEYS[1], 'r' .. cur .. n, 'KEEPTTL')
  return {3, n}
end
if string.sub(v, 1, 1) ~= 'a' then return {2, 0} end
local g = redis.call('GET', KEYS[2])
if g and not tonumber(g) then return redis.error_reply('malformed generation') end
g = tonumber(g or '0')
if tonumber(ARGV[4]) < g then
  redis.call('SETRANGE', KEYS[1], 0, 'r')
  return {2, 0}
end
redis.call('SET', KEYS[1], 'a' .. ARGV[2], 'KEEPTTL')
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  local p = redis.call('PTTL', KEYS[1])
  if p >= 0 and p < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
  if redis.call('PTTL', KEYS[2]) < ttl then redis.call('SET', KEYS[2], g, 'PX', ttl) end
end
return {0, 0}
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
	if err := r.c.Set(ctx, r.jtiKey(r.subjectTag(sub), jti), "1", px(d)).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// RevokeSubject implements Store. One round trip (one script).
func (r *Redis) RevokeSubject(ctx context.Context, sub string, ttl time.Duration) error {
	if sub == "" {
		return fmt.Errorf("%w: empty subject", ErrInvalid)
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: generation ttl %v is not positive", ErrInvalid, ttl)
	}
	if err := revokeSubjectScript.Run(ctx, r.c, []string{r.genKey(r.subjectTag(sub))}, ceilMilli(ttl)).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// Revoked implements Store. One round trip (MGET of the jti, generation
// and family keys, which share a slot). On error it answers true.
func (r *Redis) Revoked(ctx context.Context, sub, jti, family string, gen uint64) (bool, error) {
	if sub == "" || jti == "" {
		return true, fmt.Errorf("%w: empty subject or jti", ErrInvalid)
	}
	tag := r.subjectTag(sub)
	keys := []string{r.jtiKey(tag, jti), r.genKey(tag)}
	if family != "" {
		keys = append(keys, r.familyKey(tag, family))
	}
	vals, err := r.c.MGet(ctx, keys...).Result()
	if err != nil {
		return true, unavailable(err)
	}
	if len(vals) != len(keys) {
		return true, unavailable(fmt.Errorf("MGET returned %d values", len(vals)))
	}
	if vals[0] != nil {
		return true, nil
	}
	if vals[1] != nil {
		s, _ := vals[1].(string)
		cur, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			// A corrupted generation must not unrevoke anything.
			return true, unavailable(fmt.Errorf("malformed subject generation: %w", err))
		}
		if gen < cur {
			return true, nil
		}
	}
	if family != "" {
		s, _ := vals[2].(string)
		if !strings.HasPrefix(s, "a") { // absent or revoked
			return true, nil
		}
	}
	return false, nil
}

// StartFamily implements Store. One round trip (one script).
func (r *Redis) StartFamily(ctx context.Context, f Family) (uint64, error) {
	if f.ID == "" || f.Subject == "" || f.JTI == "" {
		return 0, fmt.Errorf("%w: empty family, subject or jti", ErrInvalid)
	}
	tag := r.subjectTag(f.Subject)
	d := f.Exp.Sub(r.now())
	if d <= 0 {
		s, err := r.c.Get(ctx, r.genKey(tag)).Result()
		if errors.Is(err, redis.Nil) {
			return 0, nil
		}
		if err != nil {
			return 0, unavailable(err)
		}
		return parseGen(s)
	}
	g, err := startScript.Run(ctx, r.c, []string{r.familyKey(tag, f.ID), r.genKey(tag)}, "a"+famJTI(f.JTI), ceilMilli(d)).Int64()
	if err != nil {
		return 0, unavailable(err)
	}
	if g < 0 {
		return 0, ErrFamilyExists
	}
	return uint64(g), nil
}

func parseGen(s string) (uint64, error) {
	g, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, unavailable(fmt.Errorf("malformed subject generation: %w", err))
	}
	return g, nil
}

// RotateFamily implements Store. One round trip (one script, by EVALSHA;
// the first call after a script flush adds an EVAL).
func (r *Redis) RotateFamily(ctx context.Context, rot Rotation) error {
	if rot.Subject == "" || rot.Family == "" || rot.Used == "" || rot.Next == "" {
		return fmt.Errorf("%w: empty subject, family or jti", ErrInvalid)
	}
	if rot.Used == rot.Next {
		return fmt.Errorf("%w: next jti equals the used one", ErrInvalid)
	}
	var ttl int64
	if d := rot.Exp.Sub(r.now()); d > 0 {
		ttl = ceilMilli(d)
	}
	tag := r.subjectTag(rot.Subject)
	res, err := rotateScript.Run(ctx, r.c, []string{r.familyKey(tag, rot.Family), r.genKey(tag)},
		famJTI(rot.Used), famJTI(rot.Next), ttl, strconv.FormatUint(rot.Gen, 10)).Int64Slice()
	if err != nil {
		return unavailable(err)
	}
	if len(res) != 2 {
		return unavailable(fmt.Errorf("rotate script returned %d values", len(res)))
	}
	switch res[0] {
	case rotateOK:
		return nil
	case rotateUnknown:
		return ErrFamilyUnknown
	case rotateRevoked:
		return ErrFamilyRevoked
	case rotateReused:
		return &ReuseError{Count: res[1]}
	}
	return unavailable(fmt.Errorf("rotate script returned %d", res[0]))
}

// RevokeFamily implements Store. One round trip (one script).
func (r *Redis) RevokeFamily(ctx context.Context, sub, family string) error {
	if sub == "" || family == "" {
		return fmt.Errorf("%w: empty subject or family", ErrInvalid)
	}
	if err := revokeFamilyScript.Run(ctx, r.c, []string{r.familyKey(r.subjectTag(sub), family)}).Err(); err != nil {
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

func (r *Redis) genKey(subjectTag string) string {
	return r.prefix + "{" + subjectTag + "}:gen"
}

func (r *Redis) familyKey(subjectTag, family string) string {
	sum := digest(kindFamily, family, "")
	return r.prefix + "{" + subjectTag + "}:fam:" + base64.RawURLEncoding.EncodeToString(sum[:])
}
