package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/token"
)

// signingKey returns the key tokens are signed with: the -key file, else
// (on Redis) the key kept in Redis, else a fresh ES256 key.
func (a *App) signingKey(ctx context.Context) (*token.Key, error) {
	if a.cfg.KeyFile != "" {
		data, err := os.ReadFile(a.cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("-key: %w", err)
		}
		k, err := LoadKeyPEM(data)
		if err != nil {
			return nil, fmt.Errorf("-key %s: %w", a.cfg.KeyFile, err)
		}
		return k, nil
	}
	if a.redis != nil {
		return sharedKey(ctx, a.redis, a.cfg.RedisPrefix+"signing-key")
	}
	return token.GenerateKey(token.ES256, "")
}

// LoadKeyPEM reads a PEM private key (PKCS#8, SEC 1 or PKCS#1) and picks
// the algorithm from its type: P-256 → ES256, P-384 → ES384, Ed25519 →
// EdDSA, RSA → RS256. The key id is the key's RFC 7638 thumbprint.
func LoadKeyPEM(data []byte) (*token.Key, error) {
	k, err := token.ParseKeyPEM(data, "", "")
	if err != nil {
		return nil, err
	}
	if !k.CanSign() {
		return nil, errors.New("the key file holds a public key; the server needs the private key")
	}
	kid, err := k.Thumbprint()
	if err != nil {
		return nil, err
	}
	return k.WithKID(kid), nil
}

// sharedKey returns the ES256 key kept in Redis under key, storing a fresh
// one first if there is none (SET NX, so instances starting together agree
// on one key).
//
// A DEMO CONVENIENCE: the private key then sits in Redis in clear, readable
// by anyone who can read that Redis. In production give every instance the
// key with -key from a secret manager.
func sharedKey(ctx context.Context, rdb redis.UniversalClient, key string) (*token.Key, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	fresh, err := token.GenerateKey(token.ES256, "")
	if err != nil {
		return nil, err
	}
	pemBytes, err := fresh.MarshalPEM()
	if err != nil {
		return nil, err
	}
	if err := rdb.SetNX(ctx, key, pemBytes, 0).Err(); err != nil {
		return nil, fmt.Errorf("storing the signing key in Redis: %w", err)
	}
	stored, err := rdb.Get(ctx, key).Bytes()
	if err != nil {
		return nil, fmt.Errorf("reading the signing key from Redis: %w", err)
	}
	k, err := LoadKeyPEM(stored)
	if err != nil {
		return nil, fmt.Errorf("the signing key in Redis (%s): %w", key, err)
	}
	return k, nil
}
