package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
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
// the algorithm from its type: P-256 → ES256, Ed25519 → EdDSA, RSA → RS256.
// The key id is the key's RFC 7638 thumbprint.
func LoadKeyPEM(data []byte) (*token.Key, error) {
	var material any
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			material, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			material, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			material, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted PEM is not supported")
		default:
			continue // "EC PARAMETERS", certificates, public keys
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", block.Type, err)
		}
		break
	}
	var alg token.Algorithm
	switch k := material.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ECDSA curve %s is not supported: use P-256", k.Curve.Params().Name)
		}
		alg = token.ES256
	case ed25519.PrivateKey:
		alg = token.EdDSA
	case *rsa.PrivateKey:
		alg = token.RS256
	default:
		return nil, fmt.Errorf("unsupported private key type %T", material)
	}
	k, err := token.NewKey(material, alg, "")
	if err != nil {
		return nil, err
	}
	kid, err := k.Thumbprint()
	if err != nil {
		return nil, err
	}
	return token.NewKey(material, alg, kid)
}

// sharedKey returns the ES256 key kept in Redis under key, storing a fresh
// one first if there is none (SET NX, so instances starting together agree
// on one key).
//
// A DEMO CONVENIENCE: the private key then sits in Redis in clear, readable
// by anyone who can read that Redis. In production give every instance the
// key with -key from a secret manager.
func sharedKey(ctx context.Context, rdb *redis.Client, key string) (*token.Key, error) {
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
