package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/internal/batch"
	"github.com/authkit-go/authkit/core/internal/redisbatch"
	"github.com/authkit-go/authkit/core/internal/rediskey"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// DefaultPrefix starts every key the store writes unless WithPrefix says
// otherwise.
const DefaultPrefix = "authkit:tok:"

// Store is the shared tokenstore.Store, for several instances of an
// application. It works with a single server, Sentinel and Cluster through
// redis.UniversalClient; see the package documentation for the key layout.
// Every Redis error is returned wrapped in tokenstore.ErrUnavailable.
type Store struct {
	c      redis.UniversalClient
	sender batch.Sender // nil: Revoked is never prepared
	prefix string
	now    func() time.Time
}

var _ tokenstore.Store = (*Store)(nil)

type config struct {
	prefix string
	now    func() time.Time
}

// Option configures New.
type Option func(*config)

// WithPrefix sets the prefix of every key the store writes, so several
// applications can share one Redis. It must not contain '{' or '}', which
// would break Cluster hash tags; New rejects such a prefix.
// Default: "authkit:tok:".
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithClock sets the clock the store computes TTLs with (exp − now), while
// Redis expires keys by its own clock. A nil clock is ignored.
// Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// New returns a Store keeping its state in Redis through c, which the
// caller keeps and closes. A nil c or a prefix with a hash-tag brace is
// tokenstore.ErrInvalidConfig.
func New(c redis.UniversalClient, opts ...Option) (*Store, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil Redis client", tokenstore.ErrInvalidConfig)
	}
	cfg := config{prefix: DefaultPrefix, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := rediskey.CheckPrefix(cfg.prefix); err != nil {
		return nil, fmt.Errorf("%w: %w", tokenstore.ErrInvalidConfig, err)
	}
	return &Store{c: c, sender: redisbatch.SenderOf(c), prefix: cfg.prefix, now: cfg.now}, nil
}

// A family's value is <state><H(current jti)>:<gen>[:<replays>]: state
// "a" (active) or "r" (revoked), the 43-character hash of its current
// refresh jti, the generation the family lives in (the subject's when it
// started, raised for the family RevokeSubjectExcept keeps), and after a
// replay the count of replays. famfields reads gen and replays (from
// byte 45, after state and hash).
const famLua = `
local function famfields(v)
  local fg, n = string.match(v, '^:(%d+):?(%d*)$', 45)
  if not fg then return nil end
  return tonumber(fg), tonumber(n) or 0
end
`

// revokeSubjectScript raises the generation (KEYS[1]) and keeps it for at
// least ARGV[1] ms. With KEYS[2], the family to keep, it lifts that family
// into the new generation in the same step: 0 when it did, 1 when the
// family is unknown, 2 when it is revoked or was ended by an earlier
// generation (it is marked revoked then). Without KEYS[2] it returns 0.
var revokeSubjectScript = redis.NewScript(famLua + `
local c = redis.call('GET', KEYS[1])
if c and not tonumber(c) then return redis.error_reply('malformed generation') end
local g = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if not KEYS[2] then return 0 end
local v = redis.call('GET', KEYS[2])
if not v then return 1 end
if string.sub(v, 1, 1) ~= 'a' then return 2 end
local fg = famfields(v)
if not fg then return redis.error_reply('malformed family') end
if fg < tonumber(c or '0') then
  redis.call('SETRANGE', KEYS[2], 0, 'r')
  return 2
end
redis.call('SET', KEYS[2], string.sub(v, 1, 44) .. ':' .. g, 'KEEPTTL')
return 0
`)

// startScript: KEYS[1] family, KEYS[2] generation; ARGV[1] the hash of
// the family's first jti, ARGV[2] TTL in ms. Returns the generation, or -1
// if the family exists. The family records the generation it starts in.
// The generation key is written (0) when absent and kept at least as long
// as every family of the subject, so a generation can never lapse while a
// family started before it lives.
var startScript = redis.NewScript(`
local g = redis.call('GET', KEYS[2])
if g and not tonumber(g) then return redis.error_reply('malformed generation') end
if not redis.call('SET', KEYS[1], 'a' .. ARGV[1] .. ':' .. (g or '0'), 'NX', 'PX', ARGV[2]) then return -1 end
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
// generation (the later of the token's and the family's own) is revoked on
// the spot. A family whose current jti is already ARGV[2] is this call's
// own first run, sent again by the client after its reply timed out (the
// next jti is fresh for each call, so no other call carries it): it is run
// again as if the used jti were current, which rewrites the same value and
// answers as the first run did, where a reuse would have ended the family.
var rotateScript = redis.NewScript(famLua + `
local v = redis.call('GET', KEYS[1])
if not v then return {1, 0} end
local fg, n = famfields(v)
if not fg then return redis.error_reply('malformed family') end
local cur = string.sub(v, 2, 44)
if cur ~= ARGV[1] and cur ~= ARGV[2] then
  n = n + 1
  redis.call('SET', KEYS[1], 'r' .. cur .. ':' .. fg .. ':' .. n, 'KEEPTTL')
  return {3, n}
end
if string.sub(v, 1, 1) ~= 'a' then return {2, 0} end
local g = redis.call('GET', KEYS[2])
if g and not tonumber(g) then return redis.error_reply('malformed generation') end
g = tonumber(g or '0')
fg = math.max(fg, tonumber(ARGV[4]))
if fg < g then
  redis.call('SETRANGE', KEYS[1], 0, 'r')
  return {2, 0}
end
redis.call('SET', KEYS[1], 'a' .. ARGV[2] .. ':' .. fg, 'KEEPTTL')
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

// RevokeToken implements tokenstore.Store. One round trip (SET PX).
func (r *Store) RevokeToken(ctx context.Context, sub, jti string, exp time.Time) error {
	if sub == "" || jti == "" {
		return fmt.Errorf("%w: empty subject or jti", tokenstore.ErrInvalid)
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

// RevokeSubject implements tokenstore.Store. One round trip (one script).
func (r *Store) RevokeSubject(ctx context.Context, sub string, ttl time.Duration) error {
	return r.RevokeSubjectExcept(ctx, sub, "", ttl)
}

// RevokeSubjectExcept implements tokenstore.Store. One round trip: one
// script over the generation and the kept family, which share the
// subject's slot.
func (r *Store) RevokeSubjectExcept(ctx context.Context, sub, keep string, ttl time.Duration) error {
	if sub == "" {
		return fmt.Errorf("%w: empty subject", tokenstore.ErrInvalid)
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: generation ttl %v is not positive", tokenstore.ErrInvalid, ttl)
	}
	tag := r.subjectTag(sub)
	keys := []string{r.genKey(tag)}
	if keep != "" {
		keys = append(keys, r.familyKey(tag, keep))
	}
	res, err := revokeSubjectScript.Run(ctx, r.c, keys, ceilMilli(ttl)).Int64()
	if err != nil {
		return unavailable(err)
	}
	switch res {
	case 0:
		return nil
	case 1:
		return tokenstore.ErrFamilyUnknown
	case 2:
		return tokenstore.ErrFamilyRevoked
	}
	return unavailable(fmt.Errorf("revoke script returned %d", res))
}

// Revoked implements tokenstore.Store. One round trip (MGET of the jti, generation
// and family keys, which share a slot), none when the guard sent it ahead
// with the request's other store calls (PrepareRevoked). On error it
// answers true.
func (r *Store) Revoked(ctx context.Context, sub, jti, family string, gen uint64) (bool, error) {
	if sub == "" || jti == "" {
		return true, fmt.Errorf("%w: empty subject or jti", tokenstore.ErrInvalid)
	}
	var cmd *redis.SliceCmd
	if op, ok := batch.Take(ctx, func(o *revokedOp) bool {
		return o.r == r && o.sub == sub && o.jti == jti && o.family == family && o.gen == gen
	}); ok {
		cmd = op.cmd
	} else {
		cmd = r.c.MGet(ctx, r.revokedKeys(sub, jti, family)...)
	}
	vals, err := cmd.Result()
	if err != nil {
		return true, unavailable(err)
	}
	return judge(vals, family, gen)
}

// revokedKeys are the keys Revoked reads: jti, generation, and family when
// there is one.
func (r *Store) revokedKeys(sub, jti, family string) []string {
	tag := r.subjectTag(sub)
	keys := []string{r.jtiKey(tag, jti), r.genKey(tag)}
	if family != "" {
		keys = append(keys, r.familyKey(tag, family))
	}
	return keys
}

// revokedOp is a Revoked prepared for the guard's batch.
type revokedOp struct {
	r                *Store
	sub, jti, family string
	gen              uint64
	cmd              *redis.SliceCmd
}

// Sender implements batch.Op.
func (o *revokedOp) Sender() batch.Sender { return o.r.sender }

// Queue implements redisbatch.Queuer.
func (o *revokedOp) Queue(ctx context.Context, p redis.Pipeliner, again bool) bool {
	if again {
		return false
	}
	o.cmd = p.MGet(ctx, o.r.revokedKeys(o.sub, o.jti, o.family)...)
	return true
}

// PrepareRevoked returns Revoked(sub, jti, family, gen) as a batch.Op, for
// the guard: it sends the request's store calls ahead, together (one round
// trip with a rate-limit decision and a session load on the same client),
// and the Revoked that follows with the request's context takes the
// answer. Nil when the store's client cannot batch or sub or jti is empty.
func (r *Store) PrepareRevoked(sub, jti, family string, gen uint64) batch.Op {
	if r.sender == nil || sub == "" || jti == "" {
		return nil
	}
	return &revokedOp{r: r, sub: sub, jti: jti, family: family, gen: gen}
}

// judge reads Revoked's answer from the values of its keys.
func judge(vals []any, family string, gen uint64) (bool, error) {
	if n := 2 + min(len(family), 1); len(vals) != n {
		return true, unavailable(fmt.Errorf("MGET returned %d values", len(vals)))
	}
	if vals[0] != nil {
		return true, nil
	}
	var fam string
	if family != "" {
		fam, _ = vals[2].(string)
		if !strings.HasPrefix(fam, "a") { // absent or revoked
			return true, nil
		}
	}
	if vals[1] != nil {
		s, _ := vals[1].(string)
		cur, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			// A corrupted generation must not unrevoke anything.
			return true, unavailable(fmt.Errorf("malformed subject generation: %w", err))
		}
		if gen < cur && family != "" {
			// The family may live in a later generation than its tokens
			// carry: RevokeSubjectExcept kept it.
			fg, err := famGen(fam)
			if err != nil {
				return true, err
			}
			gen = max(gen, fg)
		}
		if gen < cur {
			return true, nil
		}
	}
	return false, nil
}

// famGen reads the generation from a family's value (see famLua).
func famGen(v string) (uint64, error) {
	if len(v) < 46 || v[44] != ':' {
		return 0, unavailable(errors.New("malformed family"))
	}
	rest := v[45:]
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	g, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return 0, unavailable(fmt.Errorf("malformed family: %w", err))
	}
	return g, nil
}

// StartFamily implements tokenstore.Store. One round trip (one script).
func (r *Store) StartFamily(ctx context.Context, f tokenstore.Family) (uint64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
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
	g, err := startScript.Run(ctx, r.c, []string{r.familyKey(tag, f.ID), r.genKey(tag)}, famJTI(f.JTI), ceilMilli(d)).Int64()
	if err != nil {
		return 0, unavailable(err)
	}
	if g < 0 {
		return 0, tokenstore.ErrFamilyExists
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

// RotateFamily implements tokenstore.Store. One round trip (one script, by EVALSHA;
// the first call after a script flush adds an EVAL).
func (r *Store) RotateFamily(ctx context.Context, rot tokenstore.Rotation) error {
	if err := rot.Validate(); err != nil {
		return err
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
		return tokenstore.ErrFamilyUnknown
	case rotateRevoked:
		return tokenstore.ErrFamilyRevoked
	case rotateReused:
		return &tokenstore.ReuseError{Count: res[1]}
	}
	return unavailable(fmt.Errorf("rotate script returned %d", res[0]))
}

// RevokeFamily implements tokenstore.Store. One round trip (one script).
func (r *Store) RevokeFamily(ctx context.Context, sub, family string) error {
	if sub == "" || family == "" {
		return fmt.Errorf("%w: empty subject or family", tokenstore.ErrInvalid)
	}
	if err := revokeFamilyScript.Run(ctx, r.c, []string{r.familyKey(r.subjectTag(sub), family)}).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

func unavailable(err error) error { return rediskey.Unavailable(tokenstore.ErrUnavailable, err) }

// Domain separators keep the hashes of different kinds of id apart.
const (
	kindJTI    = 'j' // revoked jti of a subject
	kindFamily = 'f' // refresh-token family, under the subject
	kindFamJTI = 'r' // refresh jti within a family
)

// hashed is base64url(sha256(kind || uvarint(len(id)) || id)): a key part
// of fixed length, whatever the bytes of id. Ids up to a few hundred bytes
// are hashed from a stack buffer.
func hashed(kind byte, id string) string {
	var buf [256]byte
	p := binary.AppendUvarint(append(buf[:0], kind), uint64(len(id)))
	sum := sha256.Sum256(append(p, id...))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func famJTI(jti string) string { return hashed(kindFamJTI, jti) }

// subjectTag is the subject's Cluster hash tag, braces included: every key
// of one subject carries it, so they share a slot.
func (r *Store) subjectTag(sub string) string { return rediskey.Tag("token", sub) }

func (r *Store) jtiKey(subjectTag, jti string) string {
	return r.prefix + subjectTag + ":jti:" + hashed(kindJTI, jti)
}

func (r *Store) genKey(subjectTag string) string { return r.prefix + subjectTag + ":gen" }

func (r *Store) familyKey(subjectTag, family string) string {
	return r.prefix + subjectTag + ":fam:" + hashed(kindFamily, family)
}

// ceilMilli rounds a positive duration up to whole milliseconds (at least 1)
// so Redis never expires an entry before the token it guards.
// The result stays within what a time.Duration of milliseconds can hold.
func ceilMilli(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 && ms < math.MaxInt64/int64(time.Millisecond) {
		ms++
	}
	return max(ms, 1)
}

// px is d rounded up to whole milliseconds, for SET PX.
func px(d time.Duration) time.Duration {
	return time.Duration(ceilMilli(d)) * time.Millisecond
}
