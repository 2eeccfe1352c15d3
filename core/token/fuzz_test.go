package token

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
)

func seedTokens(f *testing.F) {
	var cases []hostileCase
	if data, err := readTestdataF("hostile.json"); err == nil {
		_ = json.Unmarshal(data, &cases)
	}
	for _, c := range cases {
		if len(c.Token) < 4096 {
			f.Add(c.Token)
		}
	}
	if raw, err := Sign(testKey(f, ES256), "JWT", []byte(goodClaims)); err == nil {
		f.Add(raw)
	}
}

func readTestdataF(name string) ([]byte, error) { return readFileErr("testdata/" + name) }

// FuzzVerify: no input may panic, and anything accepted must carry an exp
// in the future and verify against the one configured key.
func FuzzVerify(f *testing.F) {
	seedTokens(f)
	k := testKey(f, ES256)
	set, _ := NewVerifyKeySet(k)
	now := time.Unix(1764331200, 0)
	v, _ := NewVerifier(set, WithClock(testclock.At(now).Now), WithoutMaxLifetime())
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(context.Background(), raw)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if !c.ExpiresAt.After(now.Add(-DefaultLeeway)) {
			t.Fatalf("accepted an expired token: %v", c.ExpiresAt)
		}
		if strings.ContainsAny(raw, "\r\n =+/") {
			t.Fatal("accepted a token outside the base64url alphabet")
		}
	})
}

// FuzzSplitCompact fuzzes the strict pre-parse and the JSON scans.
func FuzzSplitCompact(f *testing.F) {
	seedTokens(f)
	f.Add("a.b.c")
	f.Add("....")
	f.Fuzz(func(t *testing.T, raw string) {
		seg, err := splitCompact(raw, DefaultMaxSize)
		if err != nil {
			return
		}
		if strings.Count(raw, ".") != 2 || strings.ContainsAny(raw, "\r\n =") {
			t.Fatalf("accepted %q", raw)
		}
		_, _ = parseHeader(seg.header)
		if p, err := decodeSegment(seg.payloadB64); err == nil {
			_, _ = parseClaims(p)
		}
	})
}

// FuzzParseJWK fuzzes key parsing from outside input (JWK, JWKS, PEM).
func FuzzParseJWK(f *testing.F) {
	for _, name := range []string{"rfc8037-a.jwk", "rfc7515-a1.jwk", "interop/public.jwks", "interop/ES256.pub.pem", "interop/RS256.pub.jwk"} {
		if b, err := readTestdataF(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"keys":[{"kty":"RSA","alg":"RS256","n":"AQAB","e":"AQAB"},{"kty":"EC","alg":"ES256","crv":"P-256","x":"AAAA","y":"AAAA"},{"kty":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, alg := range []Algorithm{"", ES256, RS256, EdDSA, HS256} {
			_, _ = ParseJWK(data, alg)
			strict, strictErr := ParseJWKS(data, alg)
			// The remote (skipping) parse accepts at least what the strict one does.
			lenient, err := parseJWKS(data, alg, func(string, error) {})
			if strictErr == nil && (err != nil || len(lenient) != len(strict)) {
				t.Fatalf("lenient parse = %d keys, %v; strict %d keys", len(lenient), err, len(strict))
			}
			if alg != "" {
				_, _ = ParseKey(data, alg, "")
			}
		}
	})
}
