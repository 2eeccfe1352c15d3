package oauth_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/core/token"
)

func atHash(h hash.Hash, at string) string {
	h.Write([]byte(at))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

func TestIDTokenChecks(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	clock := func() time.Time { return now }
	c := newClient(t, testProvide, "app", testKey)
	const nonce, at = "n-0123456789", "access-token-value"
	base := func() map[string]any {
		return map[string]any{
			"iss": testIssuer, "sub": "user-1", "aud": "app", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
			"nonce": nonce, "amr": []string{"pwd", "otp"},
		}
	}
	with := func(k string, v any) map[string]any {
		m := base()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	keys := map[token.Algorithm]*token.Key{}
	for _, alg := range []token.Algorithm{token.RS256, token.ES256, token.EdDSA} {
		k, err := token.GenerateKey(alg, "k-"+string(alg))
		if err != nil {
			t.Fatal(err)
		}
		keys[alg] = k
	}
	set, err := token.NewVerifyKeySet(keys[token.RS256].Public(), keys[token.ES256].Public(), keys[token.EdDSA].Public())
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := token.GenerateKey(token.ES256, "k-ES256")
	hmac, _ := token.GenerateKey(token.HS256, "k-HS256")
	sign := func(k *token.Key, claims map[string]any) string {
		b, _ := json.Marshal(claims)
		raw, err := token.Sign(k, "JWT", b)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	es := keys[token.ES256]

	good := []struct {
		name   string
		raw    string
		accept string // nonce given to the check
	}{
		{"ES256", sign(es, base()), nonce},
		{"RS256", sign(keys[token.RS256], base()), nonce},
		{"EdDSA", sign(keys[token.EdDSA], base()), nonce},
		{"two audiences and our azp", func() string {
			m := with("aud", []string{"app", "api"})
			m["azp"] = "app"
			return sign(es, m)
		}(), nonce},
		{"azp alone", sign(es, with("azp", "app")), nonce},
		{"ES256 at_hash", sign(es, with("at_hash", atHash(sha256.New(), at))), nonce},
		{"RS256 at_hash", sign(keys[token.RS256], with("at_hash", atHash(sha256.New(), at))), nonce},
		{"EdDSA at_hash (SHA-512)", sign(keys[token.EdDSA], with("at_hash", atHash(sha512.New(), at))), nonce},
		{"refresh: no nonce asked", sign(es, with("nonce", nil)), ""},
		{"iat within leeway ahead", sign(es, with("iat", now.Add(20*time.Second).Unix())), nonce},
	}
	for _, tc := range good {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			claims, err := oauth.VerifyIDTokenWith(c, set, clock, tc.raw, tc.accept, at)
			if err != nil {
				t.Fatal(err)
			}
			if claims.Subject != "user-1" || len(claims.AMR) != 2 {
				t.Errorf("claims %+v", claims)
			}
		})
	}

	bad := []struct {
		name string
		raw  string
	}{
		{"wrong issuer", sign(es, with("iss", "https://evil.example"))},
		{"issuer with a trailing slash", sign(es, with("iss", testIssuer+"/"))},
		{"no issuer", sign(es, with("iss", nil))},
		{"wrong audience", sign(es, with("aud", "other-app"))},
		{"no audience", sign(es, with("aud", nil))},
		{"expired", sign(es, with("exp", now.Add(-time.Minute).Unix()))},
		{"no exp", sign(es, with("exp", nil))},
		{"no iat", sign(es, with("iat", nil))},
		{"iat in the future", sign(es, with("iat", now.Add(time.Hour).Unix()))},
		{"wrong nonce", sign(es, with("nonce", "n-other"))},
		{"no nonce", sign(es, with("nonce", nil))},
		{"nonce not a string", sign(es, with("nonce", 42))},
		{"nonce differs in case", sign(es, with("nonce", "N-0123456789"))},
		{"two audiences, no azp", sign(es, with("aud", []string{"app", "api"}))},
		{"azp of another client", sign(es, with("azp", "other-app"))},
		{"two audiences, azp of another", func() string {
			m := with("aud", []string{"app", "api"})
			m["azp"] = "api"
			return sign(es, m)
		}()},
		{"wrong at_hash", sign(es, with("at_hash", atHash(sha256.New(), "another-token")))},
		{"EdDSA at_hash with SHA-256", sign(keys[token.EdDSA], with("at_hash", atHash(sha256.New(), at)))},
		{"no sub", sign(es, with("sub", nil))},
		{"empty sub", sign(es, with("sub", ""))},
		{"sub of 256 characters", sign(es, with("sub", strings.Repeat("a", 256)))},
		{"sub with a tab", sign(es, with("sub", "user\t1"))},
		{"sub with a line feed", sign(es, with("sub", "user-1\nuser-2"))},
		{"sub with a NUL", sign(es, with("sub", "user-1\x00"))},
		{"sub not ASCII", sign(es, with("sub", "usér-1"))},
		{"signed by a key not in the set, same kid", sign(stranger, base())},
		{"HMAC", sign(hmac, base())},
		{"signature cut", sign(es, base())[:len(sign(es, base()))-4]},
		{"alg none", "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"user-1"}`)) + "."},
		{"not a JWT", "not-a-jwt"},
	}
	for _, tc := range bad {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := oauth.VerifyIDTokenWith(c, set, clock, tc.raw, nonce, at)
			var oe *oauth.Error
			if !errors.As(err, &oe) || oe.Code != oauth.CodeIDTokenInvalid {
				t.Fatalf("err = %v, want id_token_invalid", err)
			}
		})
	}
}
