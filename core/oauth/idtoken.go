package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"hash"
	"strings"

	"github.com/authkit-go/authkit/core/token"
)

// idExtra are the ID token claims authkit checks beyond core/token's.
type idExtra struct {
	Nonce  *string `json:"nonce"`
	AZP    *string `json:"azp"`
	AtHash *string `json:"at_hash"`
}

// verifyIDToken checks an ID token (OpenID Connect Core §3.1.3.7): the
// signature with a key of the provider's JWKS, pinned to the alg the JWKS
// names for it (core/token; symmetric keys are never taken from a JWKS);
// iss equal to the issuer; aud containing the client id; exp and iat
// within the leeway (iat required); a sub of 1 to 255 printable ASCII
// characters (OpenID Connect Core §2 allows 255 ASCII); azp equal to the
// client id when present and required when aud has several values; nonce
// equal to the attempt's (compared in constant time; when nonce is "", as
// on refresh, a nonce in the token is not checked); at_hash, when present,
// matching the access token.
func (c *Client) verifyIDToken(ctx context.Context, raw, nonce, accessToken string) (*token.Claims, error) {
	claims, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		if errors.Is(err, token.ErrUnavailable) {
			return nil, fail(CodeProviderUnavailable, errors.New("provider keys unavailable"))
		}
		return nil, fail(CodeIDTokenInvalid, err)
	}
	if err := c.checkIDClaims(claims, raw, nonce, accessToken); err != nil {
		return nil, fail(CodeIDTokenInvalid, err)
	}
	return claims, nil
}

func (c *Client) checkIDClaims(claims *token.Claims, raw, nonce, accessToken string) error {
	if !vschars(claims.Subject, 255) {
		return errors.New("sub missing, longer than 255 characters or not printable ASCII")
	}
	if claims.IssuedAt.IsZero() {
		return errors.New("iat missing")
	}
	var x idExtra
	if err := claims.DecodeExtra(&x); err != nil {
		return errors.New("nonce, azp or at_hash is not a string")
	}
	if len(claims.Audience) > 1 && x.AZP == nil {
		return errors.New("several audiences and no azp")
	}
	if x.AZP != nil && *x.AZP != c.clientID {
		return errors.New("azp is another client")
	}
	if nonce != "" && (x.Nonce == nil || subtle.ConstantTimeCompare([]byte(*x.Nonce), []byte(nonce)) != 1) {
		return errors.New("nonce differs from the attempt's")
	}
	if x.AtHash != nil {
		alg, err := headerAlg(raw)
		if err != nil {
			return err
		}
		want, ok := leftHalfHash(alg, accessToken)
		if !ok {
			return errors.New("at_hash for an algorithm without a known hash")
		}
		if subtle.ConstantTimeCompare([]byte(*x.AtHash), []byte(want)) != 1 {
			return errors.New("at_hash does not match the access token")
		}
	}
	return nil
}

// headerAlg reads the alg of a JWS whose signature has been verified.
func headerAlg(raw string) (string, error) {
	seg, _, _ := strings.Cut(raw, ".")
	hdr, err := b64.DecodeString(seg)
	if err != nil {
		return "", errors.New("header is not base64url")
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hdr, &h); err != nil {
		return "", errors.New("header does not parse")
	}
	return h.Alg, nil
}

// leftHalfHash is the at_hash/c_hash of s for alg (OpenID Connect Core
// §3.1.3.6): base64url of the left half of the hash that alg uses; SHA-512
// for EdDSA (Ed25519), as OpenID providers do.
func leftHalfHash(alg, s string) (string, bool) {
	var h hash.Hash
	switch alg {
	case "RS256", "ES256", "PS256":
		h = sha256.New()
	case "RS384", "ES384", "PS384":
		h = sha512.New384()
	case "RS512", "ES512", "PS512", "EdDSA":
		h = sha512.New()
	default:
		return "", false
	}
	h.Write([]byte(s))
	sum := h.Sum(nil)
	return b64.EncodeToString(sum[:len(sum)/2]), true
}
