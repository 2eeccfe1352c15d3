package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

// TestKeyMismatchSaysWhatIsWrong: a key of the wrong kind for an
// algorithm is refused with a message naming both the key given and the
// key the algorithm needs.
func TestKeyMismatchSaysWhatIsWrong(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKeys, err := ParseKey(readTestdata(t, "interop", "RS256.key.pem"), RS256, "")
	if err != nil {
		t.Fatal(err)
	}
	rsaPub := rsaKeys[0].Public().pub
	for _, tt := range []struct {
		name     string
		material any
		alg      Algorithm
		want     string
	}{
		{"EC key for RS256", p256, RS256, "an ECDSA key on curve P-256 cannot be used with RS256, which needs an RSA key"},
		{"EC public key for PS256", &p256.PublicKey, PS256, "an ECDSA key on curve P-256 cannot be used with PS256, which needs an RSA key"},
		{"P-384 key for ES256", p384, ES256, "an ECDSA key on curve P-384 cannot be used with ES256, which needs an ECDSA key on curve P-256"},
		{"P-256 key for ES384", &p256.PublicKey, ES384, "an ECDSA key on curve P-256 cannot be used with ES384, which needs an ECDSA key on curve P-384"},
		{"RSA key for ES256", rsaPub, ES256, "an RSA key cannot be used with ES256, which needs an ECDSA key on curve P-256"},
		{"Ed25519 key for RS256", ed, RS256, "an Ed25519 key cannot be used with RS256, which needs an RSA key"},
		{"EC key for EdDSA", p256, EdDSA, "an ECDSA key on curve P-256 cannot be used with EdDSA, which needs an Ed25519 key"},
		{"EC key for HS256", p256, HS256, "an ECDSA key on curve P-256 cannot be used with HS256, which needs an HMAC secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKey(tt.material, tt.alg, "")
			if !errors.Is(err, ErrInvalidKey) || !strings.HasSuffix(err.Error(), tt.want) {
				t.Fatalf("NewKey = %v, want ErrInvalidKey ending %q", err, tt.want)
			}
		})
	}
}
