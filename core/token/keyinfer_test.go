package token_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	bigpkg "math/big"
	"testing"

	"github.com/authkit-go/authkit/core/token"
)

func TestParseKeyPEMInfersAlgorithm(t *testing.T) {
	for _, alg := range []token.Algorithm{token.ES256, token.ES384, token.EdDSA, token.RS256} {
		t.Run(string(alg), func(t *testing.T) {
			k, err := token.GenerateKey(alg, "")
			if err != nil {
				t.Fatal(err)
			}
			pemBytes, err := k.MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			got, err := token.ParseKeyPEM(pemBytes, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if got.Algorithm() != alg || !got.CanSign() {
				t.Errorf("inferred %s (can sign %v), want %s", got.Algorithm(), got.CanSign(), alg)
			}
			pub, err := got.Public().MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			if gotPub, err := token.ParseKeyPEM(pub, "", ""); err != nil || gotPub.Algorithm() != alg || gotPub.CanSign() {
				t.Errorf("public key: %v, %v", gotPub, err)
			}
		})
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(p521)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := token.ParseKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "", ""); !errors.Is(err, token.ErrInvalidKey) {
		t.Errorf("P-521: err = %v, want ErrInvalidKey", err)
	}
}

func TestWithKID(t *testing.T) {
	k, err := token.GenerateKey(token.EdDSA, "a")
	if err != nil {
		t.Fatal(err)
	}
	c := k.WithKID("b")
	if k.KID() != "a" || c.KID() != "b" || c.Algorithm() != token.EdDSA || !c.CanSign() {
		t.Errorf("WithKID: original %q, copy %q %s", k.KID(), c.KID(), c.Algorithm())
	}
}

func TestRSAKeySizeBounds(t *testing.T) {
	big := &rsa.PublicKey{N: new(bigpkg.Int).Lsh(bigpkg.NewInt(1), 8200), E: 65537}
	if _, err := token.NewKey(big, token.RS256, ""); !errors.Is(err, token.ErrInvalidKey) {
		t.Errorf("an 8201-bit RSA key: %v, want ErrInvalidKey", err)
	}
	small := &rsa.PublicKey{N: new(bigpkg.Int).Lsh(bigpkg.NewInt(1), 1023), E: 65537}
	if _, err := token.NewKey(small, token.RS256, ""); !errors.Is(err, token.ErrInvalidKey) {
		t.Errorf("a 1024-bit RSA key: %v, want ErrInvalidKey", err)
	}
}
