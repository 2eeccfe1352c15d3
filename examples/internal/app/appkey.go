package app

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// MinAppKeyBytes is the shortest application key the servers accept.
const MinAppKeyBytes = 32

// AppKeyEnv names the variable that may hold the application key (base64).
const AppKeyEnv = "AUTHKIT_APP_KEY"

// The purposes an application key is split into. Each label yields an
// independent key (HKDF-SHA-256), so a key leaked from one use (a log
// pseudonym, say) reveals nothing about another (the MFA sealing key).
const (
	PurposeMFASeal    = "authkit-example/v1/mfa-seal"
	PurposeOAuthState = "authkit-example/v1/oauth-state"
	PurposeAudit      = "authkit-example/v1/audit"
	PurposeDevice     = "authkit-example/v1/device" // keys the device ids of the new-device notice
)

// AppKey is the secret the servers derive their MFA sealing, OAuth state and
// audit keys from. It never leaves the process except, as a demo
// convenience, in Redis (see loadAppKey).
type AppKey struct{ secret []byte }

// ParseAppKey decodes a base64 (standard or URL alphabet, padded or not)
// application key of at least MinAppKeyBytes bytes. Surrounding white space,
// such as the newline of a key file, is ignored. The error never repeats the
// input.
func ParseAppKey(s string) (AppKey, error) {
	s = strings.TrimSpace(s)
	var b []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return AppKey{}, errors.New("the application key is not base64")
	}
	if len(b) < MinAppKeyBytes {
		return AppKey{}, fmt.Errorf("the application key has %d bytes; it needs at least %d random bytes", len(b), MinAppKeyBytes)
	}
	return AppKey{secret: b}, nil
}

// NewAppKey returns a fresh random application key.
func NewAppKey() AppKey {
	b := make([]byte, MinAppKeyBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return AppKey{secret: b}
}

// String encodes the key in base64, as ParseAppKey reads it. It is a
// secret: never log it.
func (k AppKey) String() string { return base64.StdEncoding.EncodeToString(k.secret) }

// Derive returns the 32-byte key for purpose (one of the Purpose constants).
func (k AppKey) Derive(purpose string) []byte {
	out, err := hkdf.Key(sha256.New, k.secret, nil, purpose, 32)
	if err != nil { // only an output longer than 255 hash lengths can fail
		panic("app: hkdf: " + err.Error())
	}
	return out
}

// loadAppKey returns the application key: from the -app-key file, else from
// AUTHKIT_APP_KEY, else (on Redis) the one kept in Redis, else a fresh one.
//
// Keeping it in Redis is A DEMO CONVENIENCE, like the signing key: restarts
// and several instances then agree on it, but anyone who can read that Redis
// can open the sealed MFA secrets. In production give every instance the key
// from a secret manager (-app-key or AUTHKIT_APP_KEY).
func loadAppKey(ctx context.Context, file, env string, rdb redis.UniversalClient, redisKey string) (AppKey, error) {
	switch {
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return AppKey{}, fmt.Errorf("-app-key: %w", err)
		}
		k, err := ParseAppKey(string(data))
		if err != nil {
			return AppKey{}, fmt.Errorf("-app-key %s: %w", file, err)
		}
		return k, nil
	case env != "":
		k, err := ParseAppKey(env)
		if err != nil {
			return AppKey{}, fmt.Errorf("%s: %w", AppKeyEnv, err)
		}
		return k, nil
	case rdb != nil:
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := rdb.SetNX(ctx, redisKey, NewAppKey().String(), 0).Err(); err != nil {
			return AppKey{}, fmt.Errorf("storing the application key in Redis: %w", err)
		}
		stored, err := rdb.Get(ctx, redisKey).Result()
		if err != nil {
			return AppKey{}, fmt.Errorf("reading the application key from Redis: %w", err)
		}
		k, err := ParseAppKey(stored)
		if err != nil {
			return AppKey{}, fmt.Errorf("the application key in Redis (%s): %w", redisKey, err)
		}
		return k, nil
	}
	return NewAppKey(), nil
}
