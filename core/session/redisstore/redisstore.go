package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/internal/batch"
	"github.com/authkit-go/authkit/core/internal/redisbatch"
	"github.com/authkit-go/authkit/core/internal/rediskey"
	"github.com/authkit-go/authkit/core/session"
)

// DefaultPrefix starts every key the store writes unless WithPrefix says
// otherwise.
const DefaultPrefix = "authkit:session:"

// Store keeps sessions in Redis through a redis.UniversalClient, so a
// single server, Sentinel and Cluster all work. With a *redis.Client (single
// server or Sentinel) multi-key updates are atomic Lua or MULTI; with a
// ClusterClient or Ring they run as ordered single-slot steps. See the
// package documentation for the key layout and the cost of each operation.
type Store struct {
	client  redis.UniversalClient
	sender  batch.Sender // nil: Load is never prepared
	prefix  string
	cluster bool
}

var _ session.Store = (*Store)(nil)

type config struct {
	prefix string
}

// Option configures New.
type Option func(*config)

// WithPrefix sets the prefix of every key the store writes, so several
// applications can share one Redis. It must not contain '{' or '}', which
// would break Cluster hash tags; New rejects such a prefix.
// Default: "authkit:session:".
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// New returns a Store using c, which the caller keeps and closes. A nil
// client or a prefix with a brace is session.ErrInvalidConfig.
func New(c redis.UniversalClient, opts ...Option) (*Store, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil Redis client", session.ErrInvalidConfig)
	}
	cfg := config{prefix: DefaultPrefix}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := rediskey.CheckPrefix(cfg.prefix); err != nil {
		return nil, fmt.Errorf("%w: %w", session.ErrInvalidConfig, err)
	}
	// Multi-key Lua and MULTI are only safe where every key lives on one
	// server: a *redis.Client (single server or Sentinel). A ClusterClient, a
	// Ring or anything else gets the single-slot steps.
	_, single := c.(*redis.Client)
	return &Store{client: c, sender: redisbatch.SenderOf(c), prefix: cfg.prefix, cluster: !single}, nil
}

// sessionKey is where the record of h lives: its own hash slot, the hash
// hex-encoded (it is a SHA-256 already, so it needs no tag derivation).
func (r *Store) sessionKey(h session.Hash) string {
	return r.prefix + "id:{" + h.String() + "}"
}

// userKey is the sorted set indexing userID's sessions (member: the hex hash,
// score: the absolute deadline in Unix ms), under the user's hash tag, so
// any user id makes a well-formed key.
func (r *Store) userKey(userID string) string {
	return r.prefix + "u:" + rediskey.Tag("session", userID)
}

// loadScript returns the record and slides its TTL in one round trip. It
// enforces the absolute lifetime and the idle timeout against the Manager's
// clock (ARGV[1]) and rewrites the LastSeen field of the header only when it
// is ARGV[4] ms old, so a read-only Load usually costs a PEXPIRE. The reply
// is the record prefixed with 'T' when LastSeen was rewritten, 'R' otherwise.
var loadScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
local i = string.find(v, ':', 1, true)
local j = i and string.find(v, ':', i + 1, true)
if not j then return redis.error_reply('ERR authkit session: corrupt record') end
local c = tonumber(string.sub(v, 1, i - 1))
local l = tonumber(string.sub(v, i + 1, j - 1))
local now, idle, abs, touch = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if not c or not l then return redis.error_reply('ERR authkit session: corrupt record') end
local ttl = math.min(idle, c + abs - now)
if ttl <= 0 or now - l >= idle + touch then
  redis.call('DEL', KEYS[1])
  return false
end
if now - l >= touch then
  v = string.sub(v, 1, i) .. ARGV[1] .. string.sub(v, j)
  redis.call('SET', KEYS[1], v, 'PX', ttl)
  return 'T' .. v
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 'R' .. v
`)

// rotateScript moves a record to a new key and its index entry to the new
// user, all or nothing; it returns 0 when the old key is gone.
var rotateScript = redis.NewScript(`
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if ARGV[7] == '1' then redis.call('ZREM', KEYS[3], ARGV[3]) end
if ARGV[8] == '1' then
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4])
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
end
return 1
`)

// Create implements session.Store: one MULTI round trip (Cluster: index
// first, then the record, so the index is always a superset of the live
// sessions).
func (r *Store) Create(ctx context.Context, h session.Hash, rec *session.Record, p session.Policy) error {
	val, ttl, err := encodeLive(rec, p)
	if err != nil {
		return err
	}
	key := r.sessionKey(h)
	if r.cluster {
		gen, err := r.indexForWrite(ctx, rec.UserID, h, p.Deadline(rec), p.Absolute)
		if err != nil {
			return wrapRedis(err)
		}
		ok, err := r.client.SetNX(ctx, key, val, ttl).Result()
		if err != nil {
			return wrapRedis(err)
		}
		if !ok {
			return fmt.Errorf("%w: id collision", session.ErrUnavailable)
		}
		return r.confirmWrite(ctx, rec.UserID, h, p.Deadline(rec), gen)
	}
	var set *redis.BoolCmd
	_, err = r.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		set = pipe.SetNX(ctx, key, val, ttl)
		if rec.UserID != "" {
			return r.index(ctx, pipe, rec.UserID, h, p.Deadline(rec), p.Absolute)
		}
		return nil
	})
	if err != nil {
		return wrapRedis(err)
	}
	if !set.Val() {
		return fmt.Errorf("%w: id collision", session.ErrUnavailable)
	}
	return nil
}

// index adds h to userID's index; the index lives as long as its newest
// possible member.
func (r *Store) index(ctx context.Context, c redis.Cmdable, userID string, h session.Hash, deadline time.Time, abs time.Duration) error {
	key := r.userKey(userID)
	if err := c.ZAdd(ctx, key, redis.Z{Score: float64(deadline.UnixMilli()), Member: h.String()}).Err(); err != nil {
		return err
	}
	return c.PExpire(ctx, key, abs).Err()
}

// Load implements session.Store: one round trip (EVALSHA of loadScript),
// none when the guard sent it ahead with the request's other store calls
// (PrepareLoad).
func (r *Store) Load(ctx context.Context, h session.Hash, p session.Policy) (*session.Record, error) {
	var cmd *redis.Cmd
	if op, ok := batch.Take(ctx, func(o *loadOp) bool { return o.r == r && o.h == h }); ok {
		cmd = op.Cmd
	} else {
		cmd = loadScript.Run(ctx, r.client, []string{r.sessionKey(h)}, loadArgs(p)...)
	}
	v, err := cmd.Text()
	if err != nil {
		return nil, wrapRedis(err)
	}
	if v == "" {
		return nil, errCorrupt
	}
	rec, err := decodeRecord(v[1:])
	if err != nil {
		return nil, err
	}
	rec.Touched = v[0] == 'T'
	return rec, nil
}

func loadArgs(p session.Policy) []any {
	return []any{p.Now.UnixMilli(), p.Idle.Milliseconds(), p.Absolute.Milliseconds(), p.TouchEvery.Milliseconds()}
}

// loadOp is a Load prepared for the guard's batch.
type loadOp struct {
	r   *Store
	h   session.Hash
	key [1]string // the Script's Keys
	redisbatch.Script
}

// Sender implements batch.Op.
func (o *loadOp) Sender() batch.Sender { return o.r.sender }

// PrepareLoad returns the Load of h under p as a batch.Op, for the guard:
// it sends the request's store calls ahead, together (one round trip with
// a rate-limit decision and a revocation check on the same client), and
// the Load that follows with the request's context takes the answer. Nil
// when the store's client cannot batch.
func (r *Store) PrepareLoad(h session.Hash, p session.Policy) batch.Op {
	if r.sender == nil {
		return nil
	}
	op := &loadOp{r: r, h: h, key: [1]string{r.sessionKey(h)}}
	op.Script = redisbatch.Script{Script: loadScript, Keys: op.key[:], Args: loadArgs(p)}
	return op
}

// Save implements session.Store: one SET XX, which fails if the key
// vanished, so a destroyed or rotated-away session is never written back.
func (r *Store) Save(ctx context.Context, h session.Hash, rec *session.Record, p session.Policy) error {
	val, ttl, err := encodeLive(rec, p)
	if err != nil {
		return err
	}
	if err := r.client.SetArgs(ctx, r.sessionKey(h), val, redis.SetArgs{Mode: "XX", TTL: ttl}).Err(); err != nil {
		return wrapRedis(err)
	}
	return nil
}

// Rotate implements session.Store: one Lua round trip; in Cluster mode the
// keys live in different slots, so it runs as steps ordered to fail closed
// (see the package documentation).
func (r *Store) Rotate(ctx context.Context, old, new session.Hash, oldUser string, rec *session.Record, p session.Policy) error {
	val, ttl, err := encodeLive(rec, p)
	if err != nil {
		return err
	}
	if r.cluster {
		return r.rotateCluster(ctx, old, new, oldUser, val, rec, ttl, p)
	}
	keys := []string{r.sessionKey(old), r.sessionKey(new), r.userKey(oldUser), r.userKey(rec.UserID)}
	n, err := rotateScript.Run(ctx, r.client, keys,
		val, ttl.Milliseconds(), old.String(), new.String(),
		p.Deadline(rec).UnixMilli(), p.Absolute.Milliseconds(),
		flag(oldUser != ""), flag(rec.UserID != "")).Int()
	if err != nil {
		return wrapRedis(err)
	}
	if n == 0 {
		return session.ErrNotFound
	}
	return nil
}

func (r *Store) rotateCluster(ctx context.Context, old, new session.Hash, oldUser string, val []byte, rec *session.Record, ttl time.Duration, p session.Policy) error {
	gen, err := r.indexForWrite(ctx, rec.UserID, new, p.Deadline(rec), p.Absolute)
	if err != nil {
		return wrapRedis(err)
	}
	n, err := r.client.Del(ctx, r.sessionKey(old)).Result()
	if err != nil {
		return wrapRedis(err)
	}
	if n == 0 {
		if rec.UserID != "" {
			_ = r.client.ZRem(ctx, r.userKey(rec.UserID), new.String()).Err() // a hint; List prunes it anyway
		}
		return session.ErrNotFound
	}
	if err := r.client.Set(ctx, r.sessionKey(new), val, ttl).Err(); err != nil {
		return wrapRedis(err) // the old id is dead already: fail closed, the user logs in again
	}
	if oldUser != "" {
		_ = r.client.ZRem(ctx, r.userKey(oldUser), old.String()).Err() // a hint; List prunes it anyway
	}
	return r.confirmWrite(ctx, rec.UserID, new, p.Deadline(rec), gen)
}

// genTTL bounds how long a user's log-out state (genKey) is kept after
// its last change. It only has to outlive the Cluster-mode Creates and
// Rotates running beside a DestroyUser, which take milliseconds, and a
// drain's batches refresh it; should a drain die half-way, its user's
// sign-ins are refused for at most this long.
const genTTL = time.Minute

// genKey is the user's log-out state, beside the index (same hash tag): a
// hash of g, bumped when a DestroyUser starts and when it ends, and d, the
// DestroyUsers draining the index now. Only the Cluster-mode steps use it.
func (r *Store) genKey(userID string) string { return r.userKey(userID) + ":gen" }

// logoutState is what a Cluster-mode write reads from genKey.
type logoutState struct {
	gen      string
	draining bool
}

func readLogoutState(cmd *redis.SliceCmd) logoutState {
	v := cmd.Val()
	if len(v) != 2 {
		return logoutState{draining: true} // unreadable: fail closed
	}
	g, _ := v[0].(string)
	d, _ := v[1].(string)
	n, err := strconv.ParseInt(d, 10, 64)
	return logoutState{gen: g, draining: d != "" && (err != nil || n > 0)}
}

// drainStartScript and drainEndScript bracket a DestroyUser on Cluster:
// KEYS[1] the user's genKey, ARGV[1] genTTL in ms.
var (
	drainStartScript = redis.NewScript(`
redis.call('HINCRBY', KEYS[1], 'g', 1)
redis.call('HINCRBY', KEYS[1], 'd', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
`)
	drainEndScript = redis.NewScript(`
redis.call('HINCRBY', KEYS[1], 'g', 1)
if redis.call('HINCRBY', KEYS[1], 'd', -1) < 0 then redis.call('HSET', KEYS[1], 'd', 0) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
`)
)

// indexForWrite, the first Cluster-mode step of a Create or Rotate for a
// user, indexes h and reads the user's log-out state, atomically in the
// index's slot. While a DestroyUser drains the index the write is refused
// (session.ErrNotFound: the user signs in again) and its entry removed.
func (r *Store) indexForWrite(ctx context.Context, userID string, h session.Hash, deadline time.Time, abs time.Duration) (string, error) {
	if userID == "" {
		return "", nil
	}
	var state *redis.SliceCmd
	_, err := r.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		if err := r.index(ctx, pipe, userID, h, deadline, abs); err != nil {
			return err
		}
		state = pipe.HMGet(ctx, r.genKey(userID), "g", "d")
		return nil
	})
	if err != nil {
		return "", wrapRedis(err)
	}
	st := readLogoutState(state)
	if st.draining {
		_ = r.client.ZRem(ctx, r.userKey(userID), h.String()).Err() // a hint; List prunes it anyway
		return "", session.ErrNotFound
	}
	return st.gen, nil
}

// confirmWrite, the last Cluster-mode step, closes the race with
// DestroyUser: the record of h is written in its own slot, so a "log out
// everywhere" running meanwhile may have missed it (or removed the index
// entry and the record before the record was written). DestroyUser bumps
// the user's generation when it starts and when it ends; if it moved since
// indexForWrite, or a drain is running now, the fresh record is deleted
// and the call fails with session.ErrNotFound (the user signs in again).
// Otherwise h is indexed once more (with its absolute deadline, as index
// does), in case a concurrent List pruned it while the record did not
// exist yet.
func (r *Store) confirmWrite(ctx context.Context, userID string, h session.Hash, deadline time.Time, gen string) error {
	if userID == "" {
		return nil
	}
	ukey := r.userKey(userID)
	var state *redis.SliceCmd
	var score *redis.FloatCmd
	_, err := r.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		state = pipe.HMGet(ctx, r.genKey(userID), "g", "d")
		score = pipe.ZScore(ctx, ukey, h.String())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return wrapRedis(err)
	}
	if st := readLogoutState(state); st.draining || st.gen != gen {
		if _, err := r.client.Del(ctx, r.sessionKey(h)).Result(); err != nil {
			return wrapRedis(err)
		}
		_ = r.client.ZRem(ctx, ukey, h.String()).Err() // a hint; List prunes it anyway
		return session.ErrNotFound
	}
	if errors.Is(score.Err(), redis.Nil) { // pruned by a List that ran before the record existed
		rec, err := r.client.PTTL(ctx, r.sessionKey(h)).Result()
		if err != nil {
			return wrapRedis(err)
		}
		if rec > 0 {
			if err := r.client.ZAdd(ctx, ukey, redis.Z{Score: float64(deadline.UnixMilli()), Member: h.String()}).Err(); err != nil {
				return wrapRedis(err)
			}
		}
	}
	return nil
}

// Destroy implements session.Store: one MULTI round trip (a plain pipeline
// in Cluster mode).
func (r *Store) Destroy(ctx context.Context, h session.Hash, userID string) error {
	_, err := r.pipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Del(ctx, r.sessionKey(h))
		if userID != "" {
			pipe.ZRem(ctx, r.userKey(userID), h.String())
		}
		return nil
	})
	return wrapRedis(err)
}

func (r *Store) pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	if r.cluster {
		return r.client.Pipelined(ctx, fn)
	}
	return r.client.TxPipelined(ctx, fn)
}

// List implements session.Store: two round trips, plus one to prune index
// entries whose record is gone.
func (r *Store) List(ctx context.Context, userID string, p session.Policy) ([]session.Stored, error) {
	ukey := r.userKey(userID)
	var members *redis.StringSliceCmd
	_, err := r.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error { // one key: fine in Cluster too
		pipe.ZRemRangeByScore(ctx, ukey, "-inf", strconv.FormatInt(p.Now.UnixMilli(), 10))
		members = pipe.ZRange(ctx, ukey, 0, -1)
		return nil
	})
	if err != nil {
		return nil, wrapRedis(err)
	}
	hashes := make([]session.Hash, 0, len(members.Val()))
	var stale []any
	for _, m := range members.Val() {
		if h, ok := session.ParseHash(m); ok {
			hashes = append(hashes, h)
		} else {
			stale = append(stale, m)
		}
	}
	gets := make([]*redis.StringCmd, len(hashes))
	if len(hashes) > 0 {
		_, err = r.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, h := range hashes {
				gets[i] = pipe.Get(ctx, r.sessionKey(h))
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, wrapRedis(err)
		}
	}
	var out []session.Stored
	for i, g := range gets {
		v, err := g.Result()
		if errors.Is(err, redis.Nil) {
			stale = append(stale, hashes[i].String())
			continue
		}
		if err != nil {
			return nil, wrapRedis(err)
		}
		rec, err := decodeRecord(v)
		if err != nil {
			return nil, err
		}
		if rec.UserID != userID || p.Expired(rec) {
			continue
		}
		out = append(out, session.Stored{Hash: hashes[i], Record: rec})
	}
	if len(stale) > 0 {
		if err := r.client.ZRem(ctx, ukey, stale...).Err(); err != nil {
			return nil, wrapRedis(err)
		}
	}
	return out, nil
}

// destroyBatch bounds how many sessions DestroyUser deletes per round trip.
const destroyBatch = 500

// DestroyUser implements session.Store. It drains the index in batches,
// removing only the members it deleted, so a session a concurrent Create or
// Rotate indexes meanwhile is caught by the next batch.
func (r *Store) DestroyUser(ctx context.Context, userID string) (int, error) {
	return r.DestroyUserExcept(ctx, userID, nil)
}

// DestroyUserExcept implements session.Store, as DestroyUser does, leaving
// the sessions in keep and their index entries alone: 2 round trips per
// 500 sessions + 1.
func (r *Store) DestroyUserExcept(ctx context.Context, userID string, keep []session.Hash) (total int, err error) {
	ukey := r.userKey(userID)
	kept := make(map[string]bool, len(keep))
	for _, h := range keep {
		kept[h.String()] = true
	}
	if r.cluster {
		// A Cluster-mode Create or Rotate whose steps overlap this run
		// sees the generation move or the drain running, and removes its
		// own record (indexForWrite, confirmWrite).
		gk := r.genKey(userID)
		if err := drainStartScript.Run(ctx, r.client, []string{gk}, genTTL.Milliseconds()).Err(); err != nil {
			return 0, wrapRedis(err)
		}
		defer func() {
			// Also after a failure, so the user is not refused for genTTL.
			end := drainEndScript.Run(context.WithoutCancel(ctx), r.client, []string{gk}, genTTL.Milliseconds()).Err()
			if err == nil && end != nil {
				err = wrapRedis(end)
			}
		}()
	}
	for {
		// Room for the kept members too, so a batch is never all kept.
		members, err := r.client.ZRange(ctx, ukey, 0, int64(destroyBatch+len(kept)-1)).Result()
		if err != nil {
			return total, wrapRedis(err)
		}
		members = slices.DeleteFunc(members, func(m string) bool { return kept[m] })
		if len(members) == 0 {
			return total, nil
		}
		dels := make([]*redis.IntCmd, 0, len(members))
		_, err = r.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			rem := make([]any, len(members))
			for i, m := range members {
				rem[i] = m
				if h, ok := session.ParseHash(m); ok {
					dels = append(dels, pipe.Del(ctx, r.sessionKey(h)))
				}
			}
			pipe.ZRem(ctx, ukey, rem...)
			if r.cluster {
				pipe.PExpire(ctx, r.genKey(userID), genTTL) // the drain is alive
			}
			return nil
		})
		if err != nil {
			return total, wrapRedis(err)
		}
		for _, d := range dels {
			total += int(d.Val())
		}
	}
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// wrapRedis maps redis.Nil to session.ErrNotFound and every other failure to
// session.ErrUnavailable, keeping the cause in the chain.
func wrapRedis(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return session.ErrNotFound
	default:
		return rediskey.Unavailable(session.ErrUnavailable, err)
	}
}

// recordBody is the JSON part of a stored record. The times live in the
// "created_ms:lastseen_ms:" header in front of it, where loadScript can read
// and rewrite them without decoding JSON.
type recordBody struct {
	UserID    string                     `json:"u,omitempty"`
	IP        string                     `json:"ip,omitempty"`
	UserAgent string                     `json:"ua,omitempty"`
	Values    map[string]json.RawMessage `json:"v,omitempty"`
	Link      string                     `json:"l,omitempty"`
}

func encodeRecord(rec *session.Record) ([]byte, error) {
	body, err := json.Marshal(recordBody{UserID: rec.UserID, IP: rec.IP, UserAgent: rec.UserAgent, Values: rec.Values, Link: rec.Link})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", session.ErrInvalidValue, err)
	}
	b := make([]byte, 0, len(body)+30)
	b = strconv.AppendInt(b, rec.CreatedAt.UnixMilli(), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, rec.LastSeen.UnixMilli(), 10)
	b = append(b, ':')
	return append(b, body...), nil
}

var errCorrupt = fmt.Errorf("%w: corrupt session record", session.ErrUnavailable)

// encodeLive encodes rec for storage with the expiry it has left under p,
// or fails with session.ErrExpired when it has none.
func encodeLive(rec *session.Record, p session.Policy) ([]byte, time.Duration, error) {
	ttl := p.TTL(rec.CreatedAt)
	if ttl < time.Millisecond {
		return nil, 0, session.ErrExpired
	}
	val, err := encodeRecord(rec)
	return val, ttl, err
}

func decodeRecord(v string) (*session.Record, error) {
	c, rest, ok1 := strings.Cut(v, ":")
	l, body, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return nil, errCorrupt
	}
	cms, err1 := strconv.ParseInt(c, 10, 64)
	lms, err2 := strconv.ParseInt(l, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, errCorrupt
	}
	var rb recordBody
	if err := json.Unmarshal([]byte(body), &rb); err != nil {
		return nil, errCorrupt
	}
	return &session.Record{
		UserID: rb.UserID, IP: rb.IP, UserAgent: rb.UserAgent, Values: rb.Values, Link: rb.Link,
		CreatedAt: time.UnixMilli(cms), LastSeen: time.UnixMilli(lms),
	}, nil
}
