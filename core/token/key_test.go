package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
)

// testdata/keys was made with openssl (genrsa -traditional, ecparam
// -genkey, req -x509, rsa -RSAPublicKey_out) from the interop keys.
func TestParseKey(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		alg     Algorithm
		canSign bool
		wantErr error
	}{
		{"PKCS#8 private", "interop/ES256.key.pem", ES256, true, nil},
		{"SPKI public", "interop/EdDSA.pub.pem", EdDSA, false, nil},
		{"PKCS#1 private", "keys/rsa-pkcs1.pem", RS256, true, nil},
		{"PKCS#1 public", "keys/rsa-pkcs1-pub.pem", PS256, false, nil},
		{"SEC1 EC after EC PARAMETERS", "keys/ec-sec1.pem", ES256, true, nil},
		{"X.509 certificate", "keys/ec-cert.pem", ES256, false, nil},
		{"RSA 1024 refused", "keys/rsa1024.pem", RS256, false, ErrInvalidKey},
		{"P-256 key for ES384", "interop/ES256.key.pem", ES384, false, ErrInvalidKey},
		{"EC key for RS256", "interop/ES256.pub.pem", RS256, false, ErrInvalidKey},
		{"RSA key for EdDSA", "interop/RS256.pub.jwk", EdDSA, false, ErrInvalidKey},
		{"JWK", "interop/ES384.pub.jwk", ES384, false, nil},
		{"JWK alg mismatch", "interop/RS256.pub.jwk", RS384, false, ErrInvalidKey},
		{"JWKS picks by kty", "interop/public.jwks", EdDSA, false, nil},
		{"PEM as HMAC secret", "interop/RS256.pub.pem", HS256, false, ErrInvalidKey},
		{"HMAC secret file", "interop/HS512.secret", HS512, true, nil},
		{"alg none", "interop/HS256.secret", "none", false, ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := ParseKey(readTestdata(t, strings.Split(tt.file, "/")...), tt.alg, "")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && keys[0].CanSign() != tt.canSign {
				t.Errorf("CanSign = %v", keys[0].CanSign())
			}
		})
	}
}

func TestKeyConstruction(t *testing.T) {
	tests := []struct {
		name    string
		make    func() (*Key, error)
		wantErr error
	}{
		{"HMAC 31 bytes", func() (*Key, error) { return NewHMACKey(make([]byte, 31), HS256, "") }, ErrInvalidKey},
		{"HMAC 32 bytes", func() (*Key, error) { return NewHMACKey(make([]byte, 32), HS256, "") }, nil},
		{"HMAC for ES256", func() (*Key, error) { return NewHMACKey(make([]byte, 32), ES256, "") }, ErrInvalidKey},
		{"generate none", func() (*Key, error) { return GenerateKey("none", "") }, ErrUnsupportedAlgorithm},
		{"generate ES384", func() (*Key, error) { return GenerateKey(ES384, "") }, nil},
		{"unknown material", func() (*Key, error) { return NewKey("secret", HS256, "") }, ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.make(); !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestKeyNeverPrintsSecrets(t *testing.T) {
	k := testKey(t, HS256)
	secret := string(k.Secret())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
		if out := fmt.Sprintf(verb, k); strings.Contains(out, secret) || strings.Contains(out, fmt.Sprintf("%x", secret)) {
			t.Errorf("%s prints the secret: %s", verb, out)
		}
	}
	if _, err := k.MarshalPublicJWK(); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("HMAC key published: %v", err)
	}
}

// TestParseJWKNamesTheBadMember spoils one base64url member of each kind
// of private JWK at a time (then two): the key is refused, and the error
// names the member, the first one when two are bad.
func TestParseJWKNamesTheBadMember(t *testing.T) {
	for _, alg := range []Algorithm{HS256, RS256, ES256, EdDSA} {
		priv, err := testKey(t, alg).MarshalPrivateJWK()
		if err != nil {
			t.Fatal(err)
		}
		var members map[string]any
		if err := json.Unmarshal(priv, &members); err != nil {
			t.Fatal(err)
		}
		spoil := func(names ...string) []byte {
			m := maps.Clone(members)
			for _, n := range names {
				m[n] = "!not base64url!"
			}
			b, _ := json.Marshal(m)
			return b
		}
		var cases [][]string
		for _, n := range []string{"k", "n", "e", "d", "p", "q", "x", "y"} {
			if members[n] != nil {
				cases = append(cases, []string{n})
			}
		}
		for _, two := range [][]string{{"n", "e"}, {"x", "y"}} {
			if members[two[0]] != nil && members[two[1]] != nil {
				cases = append(cases, two)
			}
		}
		for _, spoilt := range cases {
			t.Run(fmt.Sprint(alg, spoilt), func(t *testing.T) {
				_, err := ParseJWK(spoil(spoilt...), alg)
				if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), fmt.Sprintf("member %q", spoilt[0])) {
					t.Fatalf("ParseJWK = %v, want ErrInvalidKey naming %q", err, spoilt[0])
				}
			})
		}
	}
}

func TestJWKRoundTrip(t *testing.T) {
	for _, alg := range Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			k := testKey(t, alg)
			priv, err := k.MarshalPrivateJWK()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseJWK(priv, "")
			if err != nil || !back.CanSign() || back.KID() != k.KID() {
				t.Fatalf("round trip: %v %v", back, err)
			}
			raw, _ := Sign(back, "", []byte(`{"exp":4102444800}`))
			set, _ := NewVerifyKeySet(k.Public())
			v, _ := NewVerifier(set, WithoutMaxLifetime())
			if _, err := v.Verify(t.Context(), raw); err != nil {
				t.Errorf("token from round-tripped key: %v", err)
			}
		})
	}
}
