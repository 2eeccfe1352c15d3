package token

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

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
