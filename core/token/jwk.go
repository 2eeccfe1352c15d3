package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/authkit-go/authkit/core/strictjson"
)

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
	// dec decodes the base64url member name. The first member that does
	// not decode is remembered in decErr, which callers check once after
	// the members they need; dec returns nil for it and every one after.
	var decErr error
	dec := func(name, s string) []byte {
		if decErr != nil {
			return nil
		}
		b, err := b64.Strict().DecodeString(s)
		if err != nil || len(b) == 0 {
			decErr = fmt.Errorf("%w: JWK member %q is not base64url", ErrInvalidKey, name)
			return nil
		}
		return b
	}
	wrong := fmt.Errorf("%w: JWK kty %q does not suit %s", ErrInvalidKey, j.Kty, alg)
	var material any
	switch j.Kty {
	case "oct":
		if info.fam != famHMAC {
			return nil, wrong
		}
		k := dec("k", j.K)
		if decErr != nil {
			return nil, decErr
		}
		material = k
	case "RSA":
		if info.fam != famRSA {
			return nil, wrong
		}
		nb, eb := dec("n", j.N), dec("e", j.E)
		if decErr != nil {
			return nil, decErr
		}
		if len(eb) > 4 {
			return nil, fmt.Errorf("%w: RSA exponent too large", ErrInvalidKey)
		}
		pub := rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: int(new(big.Int).SetBytes(eb).Int64())}
		material = &pub
		if j.D != "" {
			d, p, q := dec("d", j.D), dec("p", j.P), dec("q", j.Q)
			if decErr != nil {
				return nil, decErr
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
		x, y := dec("x", j.X), dec("y", j.Y)
		if decErr != nil {
			return nil, decErr
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
			d := dec("d", j.D)
			if decErr != nil {
				return nil, decErr
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
		x := dec("x", j.X)
		if decErr != nil {
			return nil, decErr
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key of the wrong length", ErrInvalidKey)
		}
		material = ed25519.PublicKey(x)
		if j.D != "" {
			d := dec("d", j.D)
			if decErr != nil {
				return nil, decErr
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
