package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authkit"
)

// User is the example's account record.
type User struct {
	// Name is the canonical (lower-case) username; it is also the token
	// subject.
	Name string
	// Hash is the password's encoded hash (a PHC string).
	Hash string
	// Roles are the roles the account was created with.
	Roles []string
	// Email is the account's address (account.ParseEmail's form), "" for
	// none; mail for the account goes there.
	Email string
	// EmailVerified says a verification token mailed to Email came back.
	EmailVerified bool
	// OAuthIssuer and OAuthSubject name the provider account that an
	// account made by an OAuth sign-in is linked to (flows_oauth.go); empty
	// for a local account. Such an account has no password (Hash is
	// empty), and its Name holds ":", which no username may.
	OAuthIssuer, OAuthSubject string
}

// Errors of a UserStore.
var (
	// ErrUserExists is returned by Create for a name already taken.
	ErrUserExists = errors.New("app: username taken")
	// ErrNoUser is returned for a name that has no account.
	ErrNoUser = errors.New("app: no such user")
	// ErrStoreUnavailable wraps a backend failure; answer 503. It wraps
	// authkit.ErrUnavailable, so guard.ProblemFor answers it.
	ErrStoreUnavailable = fmt.Errorf("app: user store unavailable: %w", authkit.ErrUnavailable)
	// ErrStale is returned by ChangeHash and VerifyEmail when the record
	// no longer holds what the caller read (a concurrent change won).
	ErrStale = errors.New("app: the account changed meanwhile")
)

// maxDevices is how many devices an account remembers for the new-device
// notice; the least recently seen is forgotten first.
const maxDevices = 32

// UserStore keeps the example's accounts: username → password hash and
// roles. Create is atomic: of two concurrent Creates of one name exactly
// one succeeds.
type UserStore interface {
	// Create stores u, or fails with ErrUserExists.
	Create(ctx context.Context, u User) error
	// Get returns the account named name, or ErrNoUser.
	Get(ctx context.Context, name string) (User, error)
	// SetHash replaces name's hash with newHash if it is still oldHash (a
	// rehash at login never overwrites a concurrent password change).
	SetHash(ctx context.Context, name, oldHash, newHash string) error
	// ChangeHash is SetHash that fails with ErrStale when the hash is no
	// longer oldHash (a password change or reset that must not be lost).
	ChangeHash(ctx context.Context, name, oldHash, newHash string) error
	// SetEmail gives name the address email, not verified yet.
	SetEmail(ctx context.Context, name, email string) error
	// VerifyEmail marks name's address verified if it is still email, else
	// ErrStale.
	VerifyEmail(ctx context.Context, name, email string) error
	// SeenDevice records that name signed in from device (an opaque id)
	// at now, and reports whether the device was known and whether it is
	// the account's first. At most maxDevices are kept.
	SeenDevice(ctx context.Context, name, device string, now time.Time) (known, first bool, err error)
}

// MemoryUserStore is a UserStore in a map, for one process; a restart
// loses every account.
type MemoryUserStore struct {
	mu      sync.RWMutex
	users   map[string]User
	devices map[string]map[string]time.Time // name → device → last seen
}

// NewMemoryUserStore returns an empty MemoryUserStore.
func NewMemoryUserStore() *MemoryUserStore {
	return &MemoryUserStore{users: make(map[string]User), devices: make(map[string]map[string]time.Time)}
}

// Create implements UserStore.
func (m *MemoryUserStore) Create(_ context.Context, u User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[u.Name]; ok {
		return ErrUserExists
	}
	u.Roles = slices.Clone(u.Roles)
	m.users[u.Name] = u
	return nil
}

// Get implements UserStore.
func (m *MemoryUserStore) Get(_ context.Context, name string) (User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, ok := m.users[name]
	if !ok {
		return User{}, ErrNoUser
	}
	u.Roles = slices.Clone(u.Roles)
	return u, nil
}

// SetHash implements UserStore.
func (m *MemoryUserStore) SetHash(ctx context.Context, name, oldHash, newHash string) error {
	if err := m.ChangeHash(ctx, name, oldHash, newHash); !errors.Is(err, ErrStale) {
		return err
	}
	return nil
}

// update applies f to name's record under the lock.
func (m *MemoryUserStore) update(name string, f func(u *User) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return ErrNoUser
	}
	if err := f(&u); err != nil {
		return err
	}
	m.users[name] = u
	return nil
}

// ChangeHash implements UserStore.
func (m *MemoryUserStore) ChangeHash(_ context.Context, name, oldHash, newHash string) error {
	return m.update(name, func(u *User) error {
		if u.Hash != oldHash {
			return ErrStale
		}
		u.Hash = newHash
		return nil
	})
}

// SetEmail implements UserStore.
func (m *MemoryUserStore) SetEmail(_ context.Context, name, email string) error {
	return m.update(name, func(u *User) error { u.Email, u.EmailVerified = email, false; return nil })
}

// VerifyEmail implements UserStore.
func (m *MemoryUserStore) VerifyEmail(_ context.Context, name, email string) error {
	return m.update(name, func(u *User) error {
		if u.Email == "" || u.Email != email {
			return ErrStale
		}
		u.EmailVerified = true
		return nil
	})
}

// SeenDevice implements UserStore.
func (m *MemoryUserStore) SeenDevice(_ context.Context, name, device string, now time.Time) (known, first bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ds := m.devices[name]
	if ds == nil {
		ds = make(map[string]time.Time)
		m.devices[name] = ds
	}
	_, known = ds[device]
	first = len(ds) == 0
	ds[device] = now
	for len(ds) > maxDevices {
		oldest := ""
		for d, at := range ds {
			if oldest == "" || at.Before(ds[oldest]) {
				oldest = d
			}
		}
		delete(ds, oldest)
	}
	return known, first, nil
}

// RedisUserStore keeps accounts in Redis, one hash per user under
// prefix+name with the fields "hash", "roles" (comma-separated), "email"
// and "verified" ("1") — and "oauth_iss" and "oauth_sub" for an account
// linked to a provider — and the devices seen in a sorted set under
// prefix+"devices:"+name. A username holds no ':' and an OAuth account's
// name starts "oidc:", so no account's key is a device set's, whatever an
// OAuth subject holds.
type RedisUserStore struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisUserStore returns a RedisUserStore writing keys under prefix.
func NewRedisUserStore(rdb redis.UniversalClient, prefix string) *RedisUserStore {
	return &RedisUserStore{rdb: rdb, prefix: prefix}
}

// createScript writes both fields only when the key does not exist: one
// atomic step, so two registrations of one name give one winner.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'roles', ARGV[2], 'email', ARGV[3], 'verified', '0')
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'oauth_iss', ARGV[4], 'oauth_sub', ARGV[5]) end
return 1`)

// setHashScript replaces the hash only if it is still the one verified:
// 1 replaced, 0 stale, -1 no such account.
var setHashScript = redis.NewScript(`
local h = redis.call('HGET', KEYS[1], 'hash')
if not h then return -1 end
if h == ARGV[1] then
  redis.call('HSET', KEYS[1], 'hash', ARGV[2])
  return 1
end
return 0`)

// setEmailScript sets the address, unverified, on an existing account.
var setEmailScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'email', ARGV[1], 'verified', '0')
return 1`)

// verifyEmailScript marks the address verified if it is still ARGV[1].
var verifyEmailScript = redis.NewScript(`
local e = redis.call('HGET', KEYS[1], 'email')
if not e then
  if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
  return 0
end
if e ~= '' and e == ARGV[1] then
  redis.call('HSET', KEYS[1], 'verified', '1')
  return 1
end
return 0`)

// seenDeviceScript records a device (score: last seen, ms) and keeps the
// ARGV[3] most recent: {known, first}.
var seenDeviceScript = redis.NewScript(`
local n = redis.call('ZCARD', KEYS[1])
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local keep = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) > keep then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -keep - 1)
end
return {known and 1 or 0, n == 0 and 1 or 0}`)

func (r *RedisUserStore) key(name string) string { return r.prefix + name }

func (r *RedisUserStore) devicesKey(name string) string { return r.prefix + "devices:" + name }

// Create implements UserStore.
func (r *RedisUserStore) Create(ctx context.Context, u User) error {
	n, err := createScript.Run(ctx, r.rdb, []string{r.key(u.Name)}, u.Hash, strings.Join(u.Roles, ","), u.Email, u.OAuthIssuer, u.OAuthSubject).Int()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	if n == 0 {
		return ErrUserExists
	}
	return nil
}

// Get implements UserStore.
func (r *RedisUserStore) Get(ctx context.Context, name string) (User, error) {
	vals, err := r.rdb.HMGet(ctx, r.key(name), "hash", "roles", "email", "verified", "oauth_iss", "oauth_sub").Result()
	if err != nil {
		return User{}, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	hash, _ := vals[0].(string)
	iss, _ := vals[4].(string)
	if hash == "" && iss == "" {
		return User{}, ErrNoUser
	}
	u := User{Name: name, Hash: hash, OAuthIssuer: iss}
	u.OAuthSubject, _ = vals[5].(string)
	if roles, _ := vals[1].(string); roles != "" {
		u.Roles = strings.Split(roles, ",")
	}
	u.Email, _ = vals[2].(string)
	verified, _ := vals[3].(string)
	u.EmailVerified = u.Email != "" && verified == "1"
	return u, nil
}

// SetHash implements UserStore.
func (r *RedisUserStore) SetHash(ctx context.Context, name, oldHash, newHash string) error {
	if err := r.ChangeHash(ctx, name, oldHash, newHash); !errors.Is(err, ErrStale) && !errors.Is(err, ErrNoUser) {
		return err
	}
	return nil
}

// run runs a script on name's key and maps its answer: -1 no account, 0
// stale, 1 done.
func (r *RedisUserStore) run(ctx context.Context, s *redis.Script, name string, args ...any) error {
	n, err := s.Run(ctx, r.rdb, []string{r.key(name)}, args...).Int()
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	case n < 0:
		return ErrNoUser
	case n == 0:
		return ErrStale
	}
	return nil
}

// ChangeHash implements UserStore.
func (r *RedisUserStore) ChangeHash(ctx context.Context, name, oldHash, newHash string) error {
	return r.run(ctx, setHashScript, name, oldHash, newHash)
}

// SetEmail implements UserStore.
func (r *RedisUserStore) SetEmail(ctx context.Context, name, email string) error {
	return r.run(ctx, setEmailScript, name, email)
}

// VerifyEmail implements UserStore.
func (r *RedisUserStore) VerifyEmail(ctx context.Context, name, email string) error {
	return r.run(ctx, verifyEmailScript, name, email)
}

// SeenDevice implements UserStore.
func (r *RedisUserStore) SeenDevice(ctx context.Context, name, device string, now time.Time) (known, first bool, err error) {
	res, err := seenDeviceScript.Run(ctx, r.rdb, []string{r.devicesKey(name)}, device, strconv.FormatInt(now.UnixMilli(), 10), maxDevices).Int64Slice()
	if err != nil || len(res) != 2 {
		return false, false, fmt.Errorf("%w: %v", ErrStoreUnavailable, err)
	}
	return res[0] == 1, res[1] == 1, nil
}
