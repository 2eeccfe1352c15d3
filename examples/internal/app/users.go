package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
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
}

// Errors of a UserStore.
var (
	// ErrUserExists is returned by Create for a name already taken.
	ErrUserExists = errors.New("app: username taken")
	// ErrNoUser is returned for a name that has no account.
	ErrNoUser = errors.New("app: no such user")
	// ErrStoreUnavailable wraps a backend failure; answer 503.
	ErrStoreUnavailable = errors.New("app: user store unavailable")
)

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
}

// MemoryUserStore is a UserStore in a map, for one process; a restart
// loses every account.
type MemoryUserStore struct {
	mu    sync.RWMutex
	users map[string]User
}

// NewMemoryUserStore returns an empty MemoryUserStore.
func NewMemoryUserStore() *MemoryUserStore {
	return &MemoryUserStore{users: make(map[string]User)}
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
func (m *MemoryUserStore) SetHash(_ context.Context, name, oldHash, newHash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return ErrNoUser
	}
	if u.Hash == oldHash {
		u.Hash = newHash
		m.users[name] = u
	}
	return nil
}

// RedisUserStore keeps accounts in Redis, one hash per user under
// prefix+name with the fields "hash" and "roles" (comma-separated).
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
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'roles', ARGV[2])
return 1`)

// setHashScript replaces the hash only if it is still the one verified.
var setHashScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'hash') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'hash', ARGV[2])
  return 1
end
return 0`)

func (r *RedisUserStore) key(name string) string { return r.prefix + name }

// Create implements UserStore.
func (r *RedisUserStore) Create(ctx context.Context, u User) error {
	n, err := createScript.Run(ctx, r.rdb, []string{r.key(u.Name)}, u.Hash, strings.Join(u.Roles, ",")).Int()
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
	vals, err := r.rdb.HMGet(ctx, r.key(name), "hash", "roles").Result()
	if err != nil {
		return User{}, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	hash, _ := vals[0].(string)
	if hash == "" {
		return User{}, ErrNoUser
	}
	u := User{Name: name, Hash: hash}
	if roles, _ := vals[1].(string); roles != "" {
		u.Roles = strings.Split(roles, ",")
	}
	return u, nil
}

// SetHash implements UserStore.
func (r *RedisUserStore) SetHash(ctx context.Context, name, oldHash, newHash string) error {
	if err := setHashScript.Run(ctx, r.rdb, []string{r.key(name)}, oldHash, newHash).Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	return nil
}
