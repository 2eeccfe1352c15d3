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

// The nonce and access token the ID tokens of idTokenTable are checked
// against.
const idNonce, idAccessToken = "n-0123456789", "access-token-value"

// idTokens is the table of ID tokens, those a client accepts and the
// hostile ones, with what checks them, for TestIDTokenChecks and the seeds
// of FuzzVerifyIDToken.
type idTokens struct {
	c     *oauth.Client
	keys  token.KeySource
	clock func() time.Time
	good  []struct {
		name   string
		raw    string
		accept string // nonce given to the check
	}
	bad []struct {
		name string
		raw  string
	}
}

func idTokenTable(tb testing.TB) *idTokens {
	now := time.Unix(1_780_000_000, 0)
	clock := func() time.Time { return now }
	c := newClient(tb, testProvide, "app", testKey)
	const nonce, at = idNonce, idAccessToken
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
			tb.Fatal(err)
		}
		keys[alg] = k
	}
	set, err := token.NewVerifyKeySet(keys[token.RS256].Public(), keys[token.ES256].Public(), keys[token.EdDSA].Public())
	if err != nil {
		tb.Fatal(err)
	}
	stranger, _ := token.GenerateKey(token.ES256, "k-ES256")
	hmac, _ := token.GenerateKey(token.HS256, "k-HS256")
	sign := func(k *token.Key, claims map[string]any) string {
		b, _ := json.Marshal(claims)
		raw, err := token.Sign(k, "JWT", b)
		if err != nil {
			tb.Fatal(err)
		}
		return raw
	}
	es := keys[token.ES256]

	x := &idTokens{c: c, keys: set, clock: clock}
	x.good = []struct {
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
	x.bad = []struct {
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
	return x
}

func TestIDTokenChecks(t *testing.T) {
	x := idTokenTable(t)
	for _, tc := range x.good {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			claims, err := oauth.VerifyIDTokenWith(x.c, x.keys, x.clock, tc.raw, tc.accept, idAccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if claims.Subject != "user-1" || len(claims.AMR) != 2 {
				t.Errorf("claims %+v", claims)
			}
		})
	}

	for _, tc := range x.bad {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := oauth.VerifyIDTokenWith(x.c, x.keys, x.clock, tc.raw, idNonce, idAccessToken)
			var oe *oauth.Error
			if !errors.As(err, &oe) || oe.Code != oauth.CodeIDTokenInvalid {
				t.Fatalf("err = %v, want id_token_invalid", err)
			}
		})
	}
}

// FuzzVerifyIDToken sends arbitrary text as the provider's ID token:
// nothing panics, every refusal is id_token_invalid, and only the good
// tokens of the table pass.
func FuzzVerifyIDToken(f *testing.F) {
	x := idTokenTable(f)
	accepted := map[string]bool{}
	for _, tc := range x.good {
		if tc.accept == idNonce {
			accepted[tc.raw] = true
		}
		f.Add(tc.raw)
	}
	for _, tc := range x.bad {
		f.Add(tc.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := oauth.VerifyIDTokenWith(x.c, x.keys, x.clock, raw, idNonce, idAccessToken)
		var oe *oauth.Error
		switch {
		case err == nil && !accepted[raw]:
			t.Fatalf("accepted an ID token the provider never signed: %q", raw)
		case err != nil && (!errors.As(err, &oe) || oe.Code != oauth.CodeIDTokenInvalid):
			t.Fatalf("err = %v, want id_token_invalid", err)
		}
	})
}
