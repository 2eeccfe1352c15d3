package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
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

// FuzzIssuerInput sends arbitrary text wherever the Issuer takes a token
// from outside: a refresh token (the body's refresh_token, the refresh
// cookie) to Refresh and Revoke, a reset or verification token to
// VerifyPurpose and ConsumePurpose, an access token to Authenticate.
// Seeded with the hostile table and the issuer's own tokens, whole and
// tampered with. Nothing panics, every refusal wraps ErrInvalid, and what
// is accepted was signed with the issuer's key, in the one canonical
// encoding (checked here with crypto/ecdsa, apart from the package's
// parser). The fuzzing workers build issuers of their own with the same
// key, so a seed issued by another process is a genuine token too.
func FuzzIssuerInput(f *testing.F) {
	seedTokens(f)
	key := testKey(f, ES256)
	pub := key.pub.(*ecdsa.PublicKey)
	keys, err := NewKeySet(key)
	if err != nil {
		f.Fatal(err)
	}
	iss, err := NewIssuer(keys, WithAudit(audit.Discard))
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	pair, err := iss.IssuePair(ctx, Subject{ID: "alice"})
	if err != nil {
		f.Fatal(err)
	}
	reset, err := iss.IssuePurpose(ctx, "alice", PurposePasswordReset)
	if err != nil {
		f.Fatal(err)
	}
	for _, raw := range []string{pair.AccessToken, pair.RefreshToken, reset} {
		f.Add(raw)
		f.Add(raw[:len(raw)-2] + "AA")
		f.Add(strings.Replace(raw, ".", "..", 1))
	}
	f.Fuzz(func(t *testing.T, raw string) {
		check := func(what string, err error) {
			switch {
			case err == nil && !signedBy(pub, raw):
				t.Fatalf("%s accepted a token not signed with the key in canonical form: %q", what, raw)
			case err != nil && !errors.Is(err, ErrInvalid):
				t.Fatalf("%s: error %v does not wrap ErrInvalid", what, err)
			}
		}
		_, err := iss.Authenticate(ctx, raw)
		check("Authenticate", err)
		_, err = iss.VerifyPurpose(ctx, raw, PurposePasswordReset)
		check("VerifyPurpose", err)
		_, err = iss.ConsumePurpose(ctx, raw, PurposeEmailVerification)
		check("ConsumePurpose", err)
		_, err = iss.Refresh(ctx, raw)
		check("Refresh", err)
		check("Revoke", iss.Revoke(ctx, raw))
	})
}

// signedBy reports whether raw is a compact JWS in canonical base64url
// (unpadded, no stray bits) whose ES256 signature pub verifies.
func signedBy(pub *ecdsa.PublicKey, raw string) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if b, err := base64.RawURLEncoding.Strict().DecodeString(p); err != nil || base64.RawURLEncoding.EncodeToString(b) != p {
			return false
		}
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if len(sig) != 64 {
		return false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}
