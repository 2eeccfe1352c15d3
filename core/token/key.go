package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/authkit-go/authkit/core/internal/random"
)

// Key is one signing or verification key pinned to exactly one algorithm,
// with an optional key id (kid). A Key is immutable and safe for concurrent
// use. Its String and Format methods never print key material.
type Key struct {
	kid string
	alg Algorithm
	// priv is the signing key: []byte (HMAC), *rsa.PrivateKey,
	// *ecdsa.PrivateKey or ed25519.PrivateKey; nil for verify-only keys.
	priv any
	// pub is the verification key: []byte (HMAC), *rsa.PublicKey,
	// *ecdsa.PublicKey or ed25519.PublicKey.
	pub any
}

// KID returns the key id, which may be empty.
func (k *Key) KID() string { return k.kid }

// WithKID returns a copy of k with the key id kid, for example its
// Thumbprint when the source gave none.
func (k *Key) WithKID(kid string) *Key {
	c := *k
	c.kid = kid
	return &c
}

// inferAlgorithm picks the algorithm ParseKeyPEM uses when none is given.
func inferAlgorithm(material any) (Algorithm, error) {
	var curve elliptic.Curve
	switch m := material.(type) {
	case *ecdsa.PrivateKey:
		curve = m.Curve
	case *ecdsa.PublicKey:
		curve = m.Curve
	case ed25519.PrivateKey, ed25519.PublicKey:
		return EdDSA, nil
	case *rsa.PrivateKey, *rsa.PublicKey:
		return RS256, nil
	default:
		return "", fmt.Errorf("%w: unsupported key type %T", ErrInvalidKey, material)
	}
	switch curve {
	case elliptic.P256():
		return ES256, nil
	case elliptic.P384():
		return ES384, nil
	}
	return "", fmt.Errorf("%w: unsupported curve %s", ErrInvalidKey, curve.Params().Name)
}

// Algorithm returns the one algorithm this key signs and verifies.
func (k *Key) Algorithm() Algorithm { return k.alg }

// CanSign reports whether the key holds private (or HMAC) material.
func (k *Key) CanSign() bool { return k.priv != nil }

// Public returns a verify-only copy of k. For an HMAC key the copy still
// holds the secret (verification needs it) but CanSign reports false.
func (k *Key) Public() *Key { return &Key{kid: k.kid, alg: k.alg, pub: k.pub} }

// String describes the key without revealing any material.
func (k *Key) String() string {
	kind := "public"
	if k.priv != nil {
		kind = "private"
	}
	if k.alg.IsSymmetric() {
		kind = "secret"
	}
	return fmt.Sprintf("token.Key{alg: %s, kid: %q, %s}", k.alg, k.kid, kind)
}

// GoString is String, so %#v cannot print key material either.
func (k *Key) GoString() string { return k.String() }

// Format prints String for every verb, so no verb (%d, %x, %+v) can print
// key material.
func (k *Key) Format(f fmt.State, verb rune) { fmt.Fprint(f, k.String()) }

// GenerateKey makes a new random key for alg using crypto/rand: a secret as
// long as the hash output for HS*, RSA 2048 bits for RS*/PS256, the
// algorithm's curve for ES*, Ed25519 for EdDSA. An empty kid is replaced by
// the RFC 7638 thumbprint of the public key (a random id for HMAC keys).
func GenerateKey(alg Algorithm, kid string) (*Key, error) {
	info, err := lookupAlg(alg)
	if err != nil {
		return nil, err
	}
	var priv any
	switch info.fam {
	case famHMAC:
		secret := make([]byte, info.size)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		priv = secret
	case famRSA:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case famEC:
		priv, err = ecdsa.GenerateKey(curveFor(alg), rand.Reader)
	case famOKP:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	k, err := newKey(alg, kid, priv)
	if err != nil {
		return nil, err
	}
	switch {
	case kid != "": // the caller's
	case alg.IsSymmetric():
		k.kid = random.Base64URL(16)
	default:
		if k.kid, err = k.Thumbprint(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// NewHMACKey returns an HMAC key for alg (HS256, HS384 or HS512). The
// secret must be at least 32 bytes; shorter secrets are refused. The slice
// is copied.
func NewHMACKey(secret []byte, alg Algorithm, kid string) (*Key, error) {
	if !alg.IsSymmetric() {
		return nil, fmt.Errorf("%w: %s is not an HMAC algorithm", ErrInvalidKey, alg)
	}
	return newKey(alg, kid, append([]byte(nil), secret...))
}

// NewKey wraps an existing crypto key for alg: a private key
// (*rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey) makes a signing
// key, a public key (*rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey) a
// verify-only key, and []byte an HMAC key. The key must suit alg.
func NewKey(material any, alg Algorithm, kid string) (*Key, error) {
	if b, ok := material.([]byte); ok {
		return NewHMACKey(b, alg, kid)
	}
	return newKey(alg, kid, material)
}

// newKey validates material against alg and builds the Key.
func newKey(alg Algorithm, kid string, material any) (*Key, error) {
	info, err := lookupAlg(alg)
	if err != nil {
		return nil, err
	}
	k := &Key{kid: kid, alg: alg}
	bad := func(why string) (*Key, error) {
		return nil, fmt.Errorf("%w: %s for %s", ErrInvalidKey, why, alg)
	}
	// mismatch says which kind of key was given and which alg needs.
	mismatch := func(have string) (*Key, error) {
		return nil, fmt.Errorf("%w: %s cannot be used with %s, which needs %s", ErrInvalidKey, have, alg, keyKindFor(alg, info.fam))
	}
	switch m := material.(type) {
	case []byte:
		if info.fam != famHMAC {
			return mismatch("an HMAC secret")
		}
		if len(m) < minHMACBytes {
			return bad(fmt.Sprintf("an HMAC secret of %d bytes (minimum %d)", len(m), minHMACBytes))
		}
		k.priv, k.pub = m, m
	case *rsa.PrivateKey:
		if info.fam != famRSA {
			return mismatch("an RSA key")
		}
		if err := m.Validate(); err != nil {
			return bad("an inconsistent RSA key")
		}
		if n := m.N.BitLen(); n < minRSABits || n > maxRSABits {
			return bad(fmt.Sprintf("an RSA key of %d bits (%d to %d allowed)", n, minRSABits, maxRSABits))
		}
		k.priv, k.pub = m, &m.PublicKey
	case *rsa.PublicKey:
		if info.fam != famRSA {
			return mismatch("an RSA key")
		}
		if m.N == nil || m.N.BitLen() < minRSABits || m.N.BitLen() > maxRSABits {
			return bad(fmt.Sprintf("an RSA key outside %d to %d bits", minRSABits, maxRSABits))
		}
		if m.E < 3 || m.E%2 == 0 {
			return bad("an RSA key with a bad exponent")
		}
		k.pub = m
	case *ecdsa.PrivateKey:
		if info.fam != famEC || m.Curve != curveFor(alg) {
			return mismatch(ecdsaKind(m.Curve))
		}
		k.priv, k.pub = m, &m.PublicKey
	case *ecdsa.PublicKey:
		if info.fam != famEC || m.Curve != curveFor(alg) {
			return mismatch(ecdsaKind(m.Curve))
		}
		k.pub = m
	case ed25519.PrivateKey:
		if info.fam != famOKP {
			return mismatch("an Ed25519 key")
		}
		if len(m) != ed25519.PrivateKeySize {
			return bad("an Ed25519 key of the wrong length")
		}
		k.priv, k.pub = m, m.Public().(ed25519.PublicKey)
	case ed25519.PublicKey:
		if info.fam != famOKP {
			return mismatch("an Ed25519 key")
		}
		if len(m) != ed25519.PublicKeySize {
			return bad("an Ed25519 key of the wrong length")
		}
		k.pub = m
	case *ed25519.PrivateKey:
		return newKey(alg, kid, *m)
	default:
		return bad(fmt.Sprintf("a key of type %T", material))
	}
	return k, nil
}

// keyKindFor names the kind of key alg needs, for error messages.
func keyKindFor(alg Algorithm, fam family) string {
	switch fam {
	case famHMAC:
		return "an HMAC secret"
	case famRSA:
		return "an RSA key"
	case famEC:
		return ecdsaKind(curveFor(alg))
	}
	return "an Ed25519 key"
}

// ecdsaKind names an ECDSA key by its curve.
func ecdsaKind(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "an ECDSA key"
	}
	return "an ECDSA key on curve " + c.Params().Name
}

func curveFor(alg Algorithm) elliptic.Curve {
	switch alg {
	case ES256:
		return elliptic.P256()
	case ES384:
		return elliptic.P384()
	}
	return nil
}

// Secret returns a copy of an HMAC key's secret, or nil for other keys.
func (k *Key) Secret() []byte {
	if b, ok := k.pub.([]byte); ok {
		return append([]byte(nil), b...)
	}
	return nil
}

// ParseKey reads key material in any form authkit knows, as the CLI's --key
// does: PEM (see ParseKeyPEM), a JWK or a JWK Set (a set yields all usable
// keys), or, for HS* algorithms only, the raw bytes as the secret with one
// trailing newline ("\n" or "\r\n") removed. kid applies to PEM and raw
// secrets; JWKs carry their own.
func ParseKey(data []byte, alg Algorithm, kid string) ([]*Key, error) {
	if _, err := lookupAlg(alg); err != nil {
		return nil, err
	}
	trimmed := strings.TrimSpace(string(data))
	switch {
	case strings.HasPrefix(trimmed, "-----BEGIN"):
		k, err := ParseKeyPEM(data, alg, kid)
		if err != nil {
			return nil, err
		}
		return []*Key{k}, nil
	case strings.HasPrefix(trimmed, "{"):
		var probe struct {
			Keys json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal([]byte(trimmed), &probe); err == nil && probe.Keys != nil {
			return ParseJWKS([]byte(trimmed), alg)
		}
		k, err := ParseJWK([]byte(trimmed), alg)
		if err != nil {
			return nil, err
		}
		return []*Key{k}, nil
	case alg.IsSymmetric():
		secret := data
		if n := len(secret); n > 0 && secret[n-1] == '\n' {
			secret = secret[:n-1]
			if n := len(secret); n > 0 && secret[n-1] == '\r' {
				secret = secret[:n-1]
			}
		}
		k, err := NewHMACKey(secret, alg, kid)
		if err != nil {
			return nil, err
		}
		return []*Key{k}, nil
	}
	return nil, fmt.Errorf("%w: not PEM, JWK or JWKS", ErrInvalidKey)
}

// signer returns the material golang-jwt's signing method expects.
func (k *Key) signer() (any, error) {
	switch p := k.priv.(type) {
	case nil:
		return nil, fmt.Errorf("%w: key %q cannot sign", ErrInvalidKey, k.kid)
	case ed25519.PrivateKey:
		return crypto.Signer(p), nil
	default:
		return p, nil
	}
}
