package token

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
)

// KeySource supplies the verification keys a token may be checked
// against. A Verifier calls it once per token with the token's kid (empty
// when the token has none). KeySet and RemoteKeySet implement it.
type KeySource interface {
	VerificationKeys(ctx context.Context, kid string) ([]*Key, error)
}

// KeySet holds one active signing key and any number of verify-only keys.
// It is safe for concurrent use, so keys rotate without downtime:
//
//  1. Add the new key (verify-only) and let every instance pick it up, and
//     any remote verifier refresh its JWKS.
//  2. Promote it: it signs from now on; the old key stays verify-only.
//  3. Retire the old key once its last token has expired (after the
//     longest token lifetime, e.g. the refresh TTL).
type KeySet struct {
	mu     sync.RWMutex
	active *Key
	keys   []*Key        // every key, the active one included
	gen    atomic.Uint64 // raised by every change, so verified-token caches empty
}

// NewKeySet returns a set whose active signing key is active, plus
// verify-only keys. Key ids must be unique.
func NewKeySet(active *Key, verifyOnly ...*Key) (*KeySet, error) {
	if active == nil || !active.CanSign() {
		return nil, fmt.Errorf("%w: the active key must be able to sign", ErrInvalidKey)
	}
	s := &KeySet{active: active, keys: []*Key{active}}
	for _, k := range verifyOnly {
		if err := s.Add(k); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// NewVerifyKeySet returns a set without a signing key, for services that
// only verify (the CLI, or a fixed list of trusted keys).
func NewVerifyKeySet(keys ...*Key) (*KeySet, error) {
	s := &KeySet{}
	for _, k := range keys {
		if err := s.Add(k); err != nil {
			return nil, err
		}
	}
	if len(s.keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrInvalidKey)
	}
	return s, nil
}

// Add adds k as a verify-only key. A non-empty kid must be new to the set.
func (s *KeySet) Add(k *Key) error {
	if k == nil {
		return fmt.Errorf("%w: nil key", ErrInvalidKey)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k.kid != "" {
		for _, have := range s.keys {
			if have.kid == k.kid {
				return fmt.Errorf("%w: duplicate kid %q", ErrInvalidKey, k.kid)
			}
		}
	}
	s.keys = append(s.keys, k)
	s.gen.Add(1)
	return nil
}

// Promote makes the key with this kid the active signing key. The
// previous active key stays in the set as verify-only.
func (s *KeySet) Promote(kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.kid == kid && kid != "" {
			if !k.CanSign() {
				return fmt.Errorf("%w: key %q cannot sign", ErrInvalidKey, kid)
			}
			s.active = k
			s.gen.Add(1)
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrKeyNotFound, kid)
}

// Retire removes the key with this kid. The active key cannot be retired.
func (s *KeySet) Retire(kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range s.keys {
		if k.kid == kid && kid != "" {
			if k == s.active {
				return fmt.Errorf("%w: cannot retire the active key %q", ErrInvalidKey, kid)
			}
			s.keys = append(s.keys[:i:i], s.keys[i+1:]...)
			s.gen.Add(1)
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrKeyNotFound, kid)
}

func (s *KeySet) generation() (uint64, bool) { return s.gen.Load(), true }

// Active returns the signing key, or nil for a verify-only set.
func (s *KeySet) Active() *Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.active
}

// Keys returns every key in the set.
func (s *KeySet) Keys() []*Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*Key(nil), s.keys...)
}

// VerificationKeys returns the keys with this kid; when there are none, or
// kid is empty, the keys without a kid (and for an empty kid every key).
// It implements KeySource.
func (s *KeySet) VerificationKeys(_ context.Context, kid string) ([]*Key, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return selectKeys(s.keys, kid)
}

func selectKeys(keys []*Key, kid string) ([]*Key, error) {
	if kid == "" {
		return keys, nil
	}
	// The common case, one key with this kid, is answered with a
	// capacity-limited subslice: the set never writes into its slice
	// (Retire copies), so this is as safe as returning keys itself.
	match, n := -1, 0
	for i, k := range keys {
		if k.kid == kid {
			match, n = i, n+1
		}
	}
	if n == 1 {
		return keys[match : match+1 : match+1], nil
	}
	var out []*Key
	for _, k := range keys {
		if k.kid == kid {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		for _, k := range keys {
			if k.kid == "" {
				out = append(out, k)
			}
		}
	}
	if len(out) == 0 {
		return nil, reject(ErrUnknownKey, "no key for the token's kid")
	}
	return out, nil
}

// PublicJWKS returns the public keys of the set as a JWK Set. HMAC keys
// are never included: their secret is the verification key.
func (s *KeySet) PublicJWKS() ([]byte, error) {
	type set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	out := set{Keys: []json.RawMessage{}}
	for _, k := range s.Keys() {
		if k.alg.IsSymmetric() {
			continue
		}
		j, err := k.MarshalPublicJWK()
		if err != nil {
			return nil, err
		}
		out.Keys = append(out.Keys, j)
	}
	return json.Marshal(out)
}

// JWKSHandler serves PublicJWKS for GET and HEAD (mount it at
// /.well-known/jwks.json), with Content-Type application/jwk-set+json and
// Cache-Control public, max-age=300. Other methods get 405.
func (s *KeySet) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := s.PublicJWKS()
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/jwk-set+json")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}
