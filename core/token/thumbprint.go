package token

import (
	"crypto/sha256"
	"fmt"
)

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
