package token

import (
	"encoding/json"
	"fmt"

	"github.com/authkit-go/authkit/core/strictjson"
)

// ParseJWKS reads a JWK Set ({"keys":[...]}). With a non-empty alg, keys
// that do not suit alg (another kty or curve, another explicit alg, use
// "enc") are skipped; with an empty alg, each key's own alg is used and
// keys without one are skipped. It fails when no usable key remains or when
// a suitable key is malformed or too weak: keys an application configures
// itself are held to that strictly. (A RemoteKeySet, reading a set someone
// else publishes, skips such keys instead.)
func ParseJWKS(data []byte, alg Algorithm) ([]*Key, error) {
	return parseJWKS(data, alg, nil)
}

// parseJWKS is ParseJWKS; with a non-nil skip, a suitable key that cannot
// be used is reported to skip (its kid and why) and left out instead of
// failing the whole set.
func parseJWKS(data []byte, alg Algorithm, skip func(kid string, err error)) ([]*Key, error) {
	if err := strictjson.Check(data); err != nil {
		return nil, fmt.Errorf("%w: JWKS: %v", ErrInvalidKey, err)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("%w: JWKS: %v", ErrInvalidKey, err)
	}
	var keys []*Key
	for _, raw := range set.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			err = fmt.Errorf("%w: JWKS: %v", ErrInvalidKey, err)
			if skip == nil {
				return nil, err
			}
			skip(j.Kid, err)
			continue
		}
		if !j.suits(alg) {
			continue
		}
		k, err := j.key(alg)
		if err != nil {
			if skip == nil {
				return nil, err
			}
			skip(j.Kid, err)
			continue
		}
		keys = append(keys, k.Public())
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: JWKS holds no usable key", ErrInvalidKey)
	}
	return keys, nil
}
