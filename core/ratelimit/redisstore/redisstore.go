// Package redisstore is the Redis ratelimit.Store, through
// redis.UniversalClient: a single server, Sentinel and Cluster all work.
// It lives in its own package so that applications without Redis never
// link go-redis.
//
//	store, err := redisstore.New(redisClient) // the caller keeps and closes the client
//	if err != nil { ... }
//	perIP, err := ratelimit.New("ip", ratelimit.PerMinute(60), store)
//
// # Cost
//
// One decision is one round trip: an EVALSHA of one Lua script that reads
// the clock, applies GCRA to each key and writes the keys it charges. Several
// limits decided together (ratelimit.Decide, LoginThrottle.Begin) are one
// EVALSHA too on a single server or Sentinel. On Cluster the requests
// are grouped by hash slot, one EVALSHA per group, sent as one pipeline; a
// LoginThrottle keeps all of an account's keys in one slot. At the
// guard's rate-limit step, a store sharing its client with the session and
// token stores sends its decision in the same pipeline as their calls
// (guard.WithRateLimit): one round trip for the three.
//
// # Clock
//
// By default the script reads the Redis server's TIME, so instances whose
// clocks disagree still share one timeline; WithClock passes the
// application's clock instead (tests reach exact boundaries with it).
//
// # Timeouts
//
// A decision waits as long as the client lets it: go-redis bounds a
// command by its ReadTimeout and WriteTimeout (3 s by default) and honours
// the caller's context deadline only when the client was built with
// ContextTimeoutEnabled. Whatever ends the wait, the decision fails (closed,
// unless the limiter fails open).
//
// # Keys
//
// A bucket is one string key, prefix + {hash tag of its group} + a hash of
// the bucket's key, holding its TAT in microseconds since 1970, with its
// expiry set to that instant: Redis forgets a key as soon as its bucket is
// full again. No key ever holds a username or address in clear.
package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/internal/batch"
	"github.com/authkit-go/authkit/core/internal/redisbatch"
	"github.com/authkit-go/authkit/core/internal/rediskey"
	"github.com/authkit-go/authkit/core/ratelimit"
)

// DefaultPrefix is the key prefix unless WithPrefix says otherwise.
const DefaultPrefix = "authkit:rl:"

// Store is a ratelimit.Store on Redis. It is safe for concurrent use.
type Store struct {
	client  redis.UniversalClient
	sender  batch.Sender // nil: Take is never prepared
	prefix  string
	now     func() time.Time
	cluster bool
}

type config struct {
	prefix string
	now    func() time.Time
}

// Option configures a Store.
type Option func(*config)

// WithPrefix sets the prefix of every key the store writes. It must not
// contain '{' or '}', which would change the keys' Cluster hash slots.
// Default: "authkit:rl:".
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithClock makes the store decide on the application's clock instead of the
// Redis server's TIME. Every instance sharing the keys must then agree on
// the time. Default: the server's TIME.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// New returns a store using client, which the caller keeps and closes.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil Redis client", ratelimit.ErrInvalidConfig)
	}
	cfg := config{prefix: DefaultPrefix}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := rediskey.CheckPrefix(cfg.prefix); err != nil {
		return nil, fmt.Errorf("%w: %w", ratelimit.ErrInvalidConfig, err)
	}
	// One script may touch keys of several slots only where every key lives
	// on one server: a *redis.Client (single server or Sentinel).
	_, single := client.(*redis.Client)
	return &Store{client: client, sender: redisbatch.SenderOf(client), prefix: cfg.prefix, now: cfg.now, cluster: !single}, nil
}

// takeScript applies the GCRA step (see ratelimit.Store) to each key.
// ARGV[1] is now in microseconds, or "" for the server's TIME; then, per
// key, the tolerance (Burst×Interval) and the increment (Cost×Interval),
// in microseconds. It returns now, then per key 1 or 0 (admitted) and the
// TAT after the decision. Every number stays below 2^53, so Lua's doubles
// hold them exactly; TATs are written with %.0f, never in exponent form.
var takeScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local out = {now}
for i, key in ipairs(KEYS) do
  local tol, inc = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local tat = now
  local v = redis.call('GET', key)
  if v then
    local s = tonumber(v)
    if not s then return redis.error_reply('ERR authkit ratelimit: corrupt bucket') end
    if s > now then tat = s end
  end
  local ok, nxt = 1, tat + inc
  if inc < 0 then
    if nxt < now then nxt = now end
  elseif nxt - tol > now then
    ok, nxt = 0, tat
  end
  if ok == 1 and inc ~= 0 then
    if nxt > now then
      redis.call('SET', key, string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000))
    else
      redis.call('DEL', key)
    end
  end
  out[2 * i] = ok
  out[2 * i + 1] = nxt
end
return out
`)

// Take implements ratelimit.Store. When the guard sent the same requests
// ahead with the request's other store calls (PrepareTake), it takes their
// answer instead.
func (s *Store) Take(ctx context.Context, reqs []ratelimit.Request, res []ratelimit.Result) error {
	if len(res) != len(reqs) {
		return fmt.Errorf("%w: %d results for %d requests", ratelimit.ErrInvalidConfig, len(res), len(reqs))
	}
	if len(reqs) == 0 {
		return nil
	}
	if op, ok := batch.Take(ctx, func(o *takeOp) bool { return o.s == s && slices.Equal(o.reqs, reqs) }); ok {
		return op.read(res)
	}
	now := s.nowArg()
	if !s.cluster || oneGroup(reqs) {
		return s.run(ctx, s.client, reqs, res, now)
	}
	op := s.plan(reqs, now)
	redisbatch.Exec(ctx, s.client, op.parts)
	return op.read(res)
}

// nowArg is the script's ARGV[1]: the application's clock in
// microseconds, or "" for the server's TIME.
func (s *Store) nowArg() string {
	if s.now == nil {
		return ""
	}
	return strconv.FormatInt(s.now().UnixMicro(), 10)
}

func oneGroup(reqs []ratelimit.Request) bool {
	for i := 1; i < len(reqs); i++ {
		if group(reqs[i]) != group(reqs[0]) {
			return false
		}
	}
	return true
}

func group(r ratelimit.Request) string {
	if r.Group == "" {
		return r.Key
	}
	return r.Group
}

// key is where r's bucket lives. A request without a group is its own
// group, so the tag alone (132 bits of hash) names it.
func (s *Store) key(r ratelimit.Request) string {
	if r.Group == "" || r.Group == r.Key {
		return s.prefix + rediskey.Tag("rl", r.Key)
	}
	sum := sha256.Sum256([]byte(r.Key))
	return s.prefix + rediskey.Tag("rl", r.Group) + base64.RawURLEncoding.EncodeToString(sum[:])[:22]
}

func (s *Store) args(reqs []ratelimit.Request, now string) ([]string, []any) {
	keys := make([]string, len(reqs))
	args := make([]any, 1, 1+2*len(reqs))
	args[0] = now
	for i, r := range reqs {
		keys[i] = s.key(r)
		iv := r.Interval.Microseconds()
		args = append(args, int64(r.Burst)*iv, int64(r.Cost)*iv)
	}
	return keys, args
}

// run decides reqs in one EVALSHA (EVAL when the script is not loaded).
func (s *Store) run(ctx context.Context, c redis.Scripter, reqs []ratelimit.Request, res []ratelimit.Result, now string) error {
	keys, args := s.args(reqs, now)
	v, err := takeScript.Run(ctx, c, keys, args...).Slice()
	if err != nil {
		return rediskey.Unavailable(ratelimit.ErrUnavailable, err)
	}
	return parse(v, res)
}

// takeOp is a Take planned as script calls: one for all the requests on
// a single server or Sentinel, or when they share a group; on Cluster one
// per group (each group's keys share a slot), all in one pipeline, which
// go-redis sends to the nodes concurrently. It is also the batch.Op of a
// Take prepared for the guard (PrepareTake).
type takeOp struct {
	s     *Store
	reqs  []ratelimit.Request
	parts []*takePart
	// The one part of the usual case, and the parts slice holding it,
	// inline.
	one    takePart
	oneRef [1]*takePart
}

// takePart is the script call of some of a takeOp's requests.
type takePart struct {
	idx []int // into the op's reqs; nil: all of them, in order
	redisbatch.Script
}

// plan splits reqs into the script calls that decide them.
func (s *Store) plan(reqs []ratelimit.Request, now string) *takeOp {
	op := &takeOp{s: s, reqs: reqs}
	if !s.cluster || oneGroup(reqs) {
		op.oneRef[0] = &op.one
		op.parts = op.oneRef[:]
		op.one.Script = redisbatch.Script{Script: takeScript}
		op.one.Keys, op.one.Args = s.args(reqs, now)
		return op
	}
	byGroup := make(map[string]*takePart)
	for i, r := range reqs {
		g := group(r)
		p := byGroup[g]
		if p == nil {
			p = &takePart{}
			byGroup[g] = p
			op.parts = append(op.parts, p)
		}
		p.idx = append(p.idx, i)
	}
	for _, p := range op.parts {
		sub := make([]ratelimit.Request, len(p.idx))
		for j, i := range p.idx {
			sub[j] = reqs[i]
		}
		p.Script.Script = takeScript
		p.Keys, p.Args = s.args(sub, now)
	}
	return op
}

// Sender implements batch.Op.
func (o *takeOp) Sender() batch.Sender { return o.s.sender }

// Queue implements redisbatch.Queuer.
func (o *takeOp) Queue(ctx context.Context, p redis.Pipeliner, again bool) bool {
	queued := false
	for _, part := range o.parts {
		queued = part.Queue(ctx, p, again) || queued
	}
	return queued
}

// read scatters the parts' replies into res.
func (o *takeOp) read(res []ratelimit.Result) error {
	for _, p := range o.parts {
		v, err := p.Cmd.Slice()
		if err != nil {
			return rediskey.Unavailable(ratelimit.ErrUnavailable, err)
		}
		if p.idx == nil {
			if err := parse(v, res); err != nil {
				return err
			}
			continue
		}
		sub := make([]ratelimit.Result, len(p.idx))
		if err := parse(v, sub); err != nil {
			return err
		}
		for j, i := range p.idx {
			res[i] = sub[j]
		}
	}
	return nil
}

// PrepareTake returns Take(reqs) as a batch.Op, for the guard: it sends
// the request's store calls ahead, together (one round trip with a session
// load and a revocation check on the same client), and the Take that
// follows with the request's context and equal requests takes the answer.
// The op keeps reqs: the caller must not change them. Nil when the store's
// client cannot batch.
func (s *Store) PrepareTake(reqs []ratelimit.Request) batch.Op {
	if s.sender == nil || len(reqs) == 0 {
		return nil
	}
	return s.plan(reqs, s.nowArg())
}

var errReply = errors.New("malformed reply from the rate-limit script")

// parse reads the script's reply into res.
func parse(v []any, res []ratelimit.Result) error {
	if len(v) != 1+2*len(res) {
		return fmt.Errorf("%w: %w", ratelimit.ErrUnavailable, errReply)
	}
	nums := make([]int64, len(v))
	for i, x := range v {
		n, ok := x.(int64)
		if !ok {
			return fmt.Errorf("%w: %w", ratelimit.ErrUnavailable, errReply)
		}
		nums[i] = n
	}
	now := time.UnixMicro(nums[0])
	for i := range res {
		res[i] = ratelimit.Result{Allowed: nums[1+2*i] == 1, Now: now, TAT: time.UnixMicro(nums[2+2*i])}
	}
	return nil
}
