package token

import (
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithm is a JWS signature algorithm name as written in the alg header
// (RFC 7518, RFC 8037). Comparison is exact and case-sensitive: "none",
// "None" and every other spelling is refused.
type Algorithm string

// The algorithms authkit signs and verifies.
//
// ES256 is the recommended default. RS256/384/512 (RSASSA-PKCS1-v1_5) are
// supported for interoperability only: OWASP ASVS 5.0 no longer approves
// PKCS#1 v1.5 signatures for new designs; prefer ES256, EdDSA or PS256.
const (
	HS256 Algorithm = "HS256"
	HS384 Algorithm = "HS384"
	HS512 Algorithm = "HS512"
	RS256 Algorithm = "RS256"
	RS384 Algorithm = "RS384"
	RS512 Algorithm = "RS512"
	PS256 Algorithm = "PS256"
	ES256 Algorithm = "ES256"
	ES384 Algorithm = "ES384"
	EdDSA Algorithm = "EdDSA"
)

// Algorithms lists every supported algorithm.
func Algorithms() []Algorithm {
	return []Algorithm{HS256, HS384, HS512, RS256, RS384, RS512, PS256, ES256, ES384, EdDSA}
}

type family int

const (
	famHMAC family = iota + 1
	famRSA
	famEC
	famOKP
)

type algInfo struct {
	fam    family
	method jwt.SigningMethod
	// minimum HMAC secret length in bytes, or EC curve bit size.
	size int
}

var algs = map[Algorithm]algInfo{
	HS256: {famHMAC, jwt.SigningMethodHS256, 32},
	HS384: {famHMAC, jwt.SigningMethodHS384, 48},
	HS512: {famHMAC, jwt.SigningMethodHS512, 64},
	RS256: {famRSA, jwt.SigningMethodRS256, 0},
	RS384: {famRSA, jwt.SigningMethodRS384, 0},
	RS512: {famRSA, jwt.SigningMethodRS512, 0},
	PS256: {famRSA, jwt.SigningMethodPS256, 0},
	ES256: {famEC, jwt.SigningMethodES256, 256},
	ES384: {famEC, jwt.SigningMethodES384, 384},
	EdDSA: {famOKP, jwt.SigningMethodEdDSA, 0},
}

func lookupAlg(a Algorithm) (algInfo, error) {
	info, ok := algs[a]
	if !ok {
		return algInfo{}, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, string(a))
	}
	return info, nil
}

// ParseAlgorithm returns the Algorithm named s, which must match exactly.
func ParseAlgorithm(s string) (Algorithm, error) {
	a := Algorithm(s)
	if _, err := lookupAlg(a); err != nil {
		return "", err
	}
	return a, nil
}

// IsSymmetric reports whether a is an HMAC algorithm.
func (a Algorithm) IsSymmetric() bool { return algs[a].fam == famHMAC }

// minRSABits is the smallest RSA modulus accepted for signing or verifying.
const minRSABits = 2048

// maxRSABits bounds RSA keys: a remote JWKS could otherwise publish a huge
// modulus and make every verification expensive. 8192 bits covers every
// key size in real use.
const maxRSABits = 8192

// minHMACBytes is the smallest HMAC secret accepted for any HS algorithm.
// RFC 7518 §3.2 asks for a secret at least as long as the hash output;
// GenerateKey and `authkit jwt keygen` follow that, while secrets from
// elsewhere are accepted from 32 bytes up so that HS384/HS512 tokens of
// other implementations still verify.
const minHMACBytes = 32
