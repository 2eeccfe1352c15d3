package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"

	"github.com/authkit-go/authkit/core/strictjson"
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
	if kid == "" {
		if alg.IsSymmetric() {
			k.kid, err = randomID(16)
		} else {
			k.kid, err = k.Thumbprint()
		}
		if err != nil {
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

// ParseKeyPEM reads the first key in PEM data and pins it to alg. It
// accepts PKCS#8 "PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" and "RSA PUBLIC
// KEY", SEC 1 "EC PRIVATE KEY", SPKI "PUBLIC KEY" and the public key of an
// X.509 "CERTIFICATE" (whose validity is NOT checked). Encrypted PEM is
// refused.
//
// An empty alg is inferred from the key: ES256 for P-256, ES384 for P-384,
// EdDSA for Ed25519 and RS256 for RSA (the only RSA choice other JWT
// libraries agree on; pass PS256 explicitly where both sides support it).
func ParseKeyPEM(data []byte, alg Algorithm, kid string) (*Key, error) {
	if alg != "" {
		if _, err := lookupAlg(alg); err != nil {
			return nil, err
		}
	}
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("%w: no PEM key found", ErrInvalidKey)
		}
		if _, encrypted := block.Headers["Proc-Type"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, fmt.Errorf("%w: encrypted PEM is not supported", ErrInvalidKey)
		}
		var (
			material any
			err      error
		)
		switch block.Type {
		case "PRIVATE KEY":
			material, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			material, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			material, err = x509.ParseECPrivateKey(block.Bytes)
		case "PUBLIC KEY":
			material, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			material, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			cert, err = x509.ParseCertificate(block.Bytes)
			if err == nil {
				material = cert.PublicKey
			}
		default:
			continue // e.g. "EC PARAMETERS" before an EC key
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidKey, block.Type, err)
		}
		if alg.IsSymmetric() {
			return nil, fmt.Errorf("%w: a PEM key cannot be an HMAC secret", ErrInvalidKey)
		}
		if alg == "" {
			if alg, err = inferAlgorithm(material); err != nil {
				return nil, err
			}
		}
		return newKey(alg, kid, material)
	}
}

// MarshalPEM encodes the key as PEM: PKCS#8 "PRIVATE KEY" for a signing
// key, SPKI "PUBLIC KEY" for a verify-only key. HMAC keys have no PEM form.
func (k *Key) MarshalPEM() ([]byte, error) {
	if k.alg.IsSymmetric() {
		return nil, fmt.Errorf("%w: an HMAC secret has no PEM form", ErrInvalidKey)
	}
	if k.priv != nil {
		der, err := x509.MarshalPKCS8PrivateKey(k.priv)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
	der, err := x509.MarshalPKIXPublicKey(k.pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// Secret returns a copy of an HMAC key's secret, or nil for other keys.
func (k *Key) Secret() []byte {
	if b, ok := k.pub.([]byte); ok {
		return append([]byte(nil), b...)
	}
	return nil
}

// jwk is the JSON form of one key (RFC 7517, RFC 7518 §6, RFC 8037).
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Kid string `json:"kid,omitempty"`
	Crv string `json:"crv,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	D   string `json:"d,omitempty"`
	P   string `json:"p,omitempty"`
	Q   string `json:"q,omitempty"`
	DP  string `json:"dp,omitempty"`
	DQ  string `json:"dq,omitempty"`
	QI  string `json:"qi,omitempty"`
	K   string `json:"k,omitempty"`
}

var b64 = base64.RawURLEncoding

func b64int(i *big.Int) string { return b64.EncodeToString(i.Bytes()) }

// toJWK renders the key; private material only when private is true.
func (k *Key) toJWK(private bool) (jwk, error) {
	j := jwk{Alg: string(k.alg), Kid: k.kid, Use: "sig"}
	switch pub := k.pub.(type) {
	case []byte:
		if !private {
			return jwk{}, fmt.Errorf("%w: an HMAC secret is never published", ErrInvalidKey)
		}
		j.Kty, j.K = "oct", b64.EncodeToString(pub)
	case *rsa.PublicKey:
		j.Kty, j.N, j.E = "RSA", b64int(pub.N), b64int(big.NewInt(int64(pub.E)))
		if priv, ok := k.priv.(*rsa.PrivateKey); ok && private {
			j.D = b64int(priv.D)
			if len(priv.Primes) == 2 {
				priv.Precompute()
				j.P, j.Q = b64int(priv.Primes[0]), b64int(priv.Primes[1])
				j.DP, j.DQ, j.QI = b64int(priv.Precomputed.Dp), b64int(priv.Precomputed.Dq), b64int(priv.Precomputed.Qinv)
			}
		}
	case *ecdsa.PublicKey:
		raw, err := pub.Bytes()
		if err != nil {
			return jwk{}, fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
		n := (len(raw) - 1) / 2
		j.Kty, j.Crv = "EC", pub.Curve.Params().Name
		j.X, j.Y = b64.EncodeToString(raw[1:1+n]), b64.EncodeToString(raw[1+n:])
		if priv, ok := k.priv.(*ecdsa.PrivateKey); ok && private {
			d, err := priv.Bytes()
			if err != nil {
				return jwk{}, fmt.Errorf("%w: %v", ErrInvalidKey, err)
			}
			j.D = b64.EncodeToString(d)
		}
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64.EncodeToString(pub)
		if priv, ok := k.priv.(ed25519.PrivateKey); ok && private {
			j.D = b64.EncodeToString(priv.Seed())
		}
	default:
		return jwk{}, fmt.Errorf("%w: unknown key type %T", ErrInvalidKey, k.pub)
	}
	return j, nil
}

// MarshalPublicJWK returns the public JWK of an asymmetric key. It refuses
// HMAC keys, whose secret must never be published.
func (k *Key) MarshalPublicJWK() ([]byte, error) {
	j, err := k.toJWK(false)
	if err != nil {
		return nil, err
	}
	return json.Marshal(j)
}

// MarshalPrivateJWK returns the private JWK of a signing key (kty "oct" for
// HMAC). TREAT THE RESULT AS A SECRET.
func (k *Key) MarshalPrivateJWK() ([]byte, error) {
	if k.priv == nil {
		return nil, fmt.Errorf("%w: key has no private part", ErrInvalidKey)
	}
	j, err := k.toJWK(true)
	if err != nil {
		return nil, err
	}
	return json.Marshal(j)
}

// Thumbprint returns the RFC 7638 SHA-256 JWK thumbprint of an asymmetric
// key, base64url-encoded.
func (k *Key) Thumbprint() (string, error) {
	j, err := k.toJWK(false)
	if err != nil {
		return "", err
	}
	var canon string
	switch j.Kty {
	case "RSA":
		canon = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, j.E, j.N)
	case "EC":
		canon = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, j.Crv, j.X, j.Y)
	case "OKP":
		canon = fmt.Sprintf(`{"crv":%q,"kty":"OKP","x":%q}`, j.Crv, j.X)
	}
	sum := sha256.Sum256([]byte(canon))
	return b64.EncodeToString(sum[:]), nil
}

// ParseJWK reads one JWK. alg pins the algorithm; when empty, the JWK's own
// "alg" member is used and must be present. A JWK whose alg differs from a
// non-empty alg, or whose kty does not suit it, is refused. A JWK with
// private members ("d", or "k" for oct) makes a signing key.
func ParseJWK(data []byte, alg Algorithm) (*Key, error) {
	if err := strictjson.Check(data); err != nil {
		return nil, fmt.Errorf("%w: JWK: %v", ErrInvalidKey, err)
	}
	var j jwk
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%w: JWK: %v", ErrInvalidKey, err)
	}
	return j.key(alg)
}

func (j *jwk) key(alg Algorithm) (*Key, error) {
	if alg == "" {
		if j.Alg == "" {
			return nil, fmt.Errorf("%w: JWK has no alg and none was given", ErrInvalidKey)
		}
		alg = Algorithm(j.Alg)
	} else if j.Alg != "" && j.Alg != string(alg) {
		return nil, fmt.Errorf("%w: JWK is for %q, not %s", ErrInvalidKey, j.Alg, alg)
	}
	info, err := lookupAlg(alg)
	if err != nil {
		return nil, err
	}
	if j.Use != "" && j.Use != "sig" {
		return nil, fmt.Errorf("%w: JWK use %q is not sig", ErrInvalidKey, j.Use)
	}
	dec := func(name, s string) ([]byte, error) {
		b, err := b64.Strict().DecodeString(s)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%w: JWK member %q is not base64url", ErrInvalidKey, name)
		}
		return b, nil
	}
	wrong := fmt.Errorf("%w: JWK kty %q does not suit %s", ErrInvalidKey, j.Kty, alg)
	var material any
	switch j.Kty {
	case "oct":
		if info.fam != famHMAC {
			return nil, wrong
		}
		k, err := dec("k", j.K)
		if err != nil {
			return nil, err
		}
		material = k
	case "RSA":
		if info.fam != famRSA {
			return nil, wrong
		}
		nb, err := dec("n", j.N)
		if err != nil {
			return nil, err
		}
		eb, err := dec("e", j.E)
		if err != nil {
			return nil, err
		}
		if len(eb) > 4 {
			return nil, fmt.Errorf("%w: RSA exponent too large", ErrInvalidKey)
		}
		pub := rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: int(new(big.Int).SetBytes(eb).Int64())}
		material = &pub
		if j.D != "" {
			d, err := dec("d", j.D)
			if err != nil {
				return nil, err
			}
			p, err := dec("p", j.P)
			if err != nil {
				return nil, err
			}
			q, err := dec("q", j.Q)
			if err != nil {
				return nil, err
			}
			priv := &rsa.PrivateKey{PublicKey: pub, D: new(big.Int).SetBytes(d),
				Primes: []*big.Int{new(big.Int).SetBytes(p), new(big.Int).SetBytes(q)}}
			priv.Precompute()
			material = priv
		}
	case "EC":
		if info.fam != famEC {
			return nil, wrong
		}
		curve := curveFor(alg)
		if j.Crv != curve.Params().Name {
			return nil, wrong
		}
		x, err := dec("x", j.X)
		if err != nil {
			return nil, err
		}
		y, err := dec("y", j.Y)
		if err != nil {
			return nil, err
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(x) != size || len(y) != size {
			return nil, fmt.Errorf("%w: EC coordinates of the wrong length", ErrInvalidKey)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
		material = pub
		if j.D != "" {
			d, err := dec("d", j.D)
			if err != nil {
				return nil, err
			}
			priv, err := ecdsa.ParseRawPrivateKey(curve, d)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
			}
			if !priv.PublicKey.Equal(pub) {
				return nil, fmt.Errorf("%w: EC private and public parts differ", ErrInvalidKey)
			}
			material = priv
		}
	case "OKP":
		if info.fam != famOKP || j.Crv != "Ed25519" {
			return nil, wrong
		}
		x, err := dec("x", j.X)
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key of the wrong length", ErrInvalidKey)
		}
		material = ed25519.PublicKey(x)
		if j.D != "" {
			d, err := dec("d", j.D)
			if err != nil {
				return nil, err
			}
			if len(d) != ed25519.SeedSize {
				return nil, fmt.Errorf("%w: Ed25519 seed of the wrong length", ErrInvalidKey)
			}
			priv := ed25519.NewKeyFromSeed(d)
			if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(x)) {
				return nil, fmt.Errorf("%w: Ed25519 private and public parts differ", ErrInvalidKey)
			}
			material = priv
		}
	default:
		return nil, fmt.Errorf("%w: unsupported JWK kty %q", ErrInvalidKey, j.Kty)
	}
	return newKey(alg, j.Kid, material)
}

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

// suits reports whether a JWK may be used for alg (or, when alg is empty,
// names a supported alg itself).
func (j *jwk) suits(alg Algorithm) bool {
	if j.Use != "" && j.Use != "sig" {
		return false
	}
	if alg == "" {
		_, err := lookupAlg(Algorithm(j.Alg))
		return err == nil
	}
	if j.Alg != "" && j.Alg != string(alg) {
		return false
	}
	switch algs[alg].fam {
	case famHMAC:
		return j.Kty == "oct"
	case famRSA:
		return j.Kty == "RSA"
	case famEC:
		return j.Kty == "EC" && j.Crv == curveFor(alg).Params().Name
	case famOKP:
		return j.Kty == "OKP" && j.Crv == "Ed25519"
	}
	return false
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

func randomID(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return b64.EncodeToString(b), nil
}
