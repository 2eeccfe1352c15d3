package token

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/testclock"
)

func TestRFC7515AppendixA1(t *testing.T) {
	const raw = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." +
		"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ." +
		"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	key, err := ParseJWK(readTestdata(t, "rfc7515-a1.jwk"), HS256)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := NewVerifyKeySet(key)
	tests := []struct {
		name    string
		now     time.Time
		wantErr error
	}{
		{"before exp", time.Unix(1300819380-60, 0), nil},
		{"after exp", time.Unix(1300819380+60, 0), ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(set, WithClock(testclock.At(tt.now).Now), WithoutMaxLifetime())
			if err != nil {
				t.Fatal(err)
			}
			c, err := v.Verify(context.Background(), raw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (c.Issuer != "joe" || !strings.Contains(string(c.Extra), "is_root")) {
				t.Errorf("claims = %+v", c)
			}
		})
	}
}

func TestRFC8037AppendixA4(t *testing.T) {
	// RFC 8037 A.4 signs a non-JSON payload, so it is checked at the
	// signature layer: authkit's signer reproduces the deterministic
	// Ed25519 signature, and the Verifier gets past the signature and
	// refuses only the claims.
	const raw = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc." +
		"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
	key, err := ParseJWK(readTestdata(t, "rfc8037-a.jwk"), EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	material, _ := key.signer()
	sig, err := jwt.SigningMethodEdDSA.Sign("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc", material)
	if err != nil {
		t.Fatal(err)
	}
	if got := b64.EncodeToString(sig); !strings.HasSuffix(raw, "."+got) {
		t.Errorf("signature = %s, want the RFC's", got)
	}
	set, _ := NewVerifyKeySet(key.Public())
	v, _ := NewVerifier(set)
	_, err = v.Verify(context.Background(), raw)
	if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrSignature) {
		t.Errorf("Verify error = %v, want a claims error after a good signature", err)
	}
	tp, _ := key.Thumbprint()
	if tp != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Errorf("thumbprint = %s, want RFC 8037 A.3's", tp)
	}
}

func TestInterop(t *testing.T) {
	jwks := readTestdata(t, "interop", "public.jwks")
	for _, alg := range Algorithms() {
		for _, src := range []string{"pyjwt", "jwcrypto"} {
			t.Run(string(alg)+"/"+src, func(t *testing.T) {
				raw := strings.TrimSpace(string(readTestdata(t, "interop", string(alg)+"."+src+".token")))
				var keyFiles []string
				if alg.IsSymmetric() {
					keyFiles = []string{string(alg) + ".secret"}
				} else {
					keyFiles = []string{string(alg) + ".pub.pem", string(alg) + ".key.pem", string(alg) + ".pub.jwk", "public.jwks"}
				}
				for _, f := range keyFiles {
					keys, err := ParseKey(readTestdata(t, "interop", f), alg, "")
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					set, err := NewVerifyKeySet(keys...)
					if err != nil {
						t.Fatal(err)
					}
					v, err := NewVerifier(set, WithClock(testclock.At(interopNow).Now), WithoutMaxLifetime(),
						WithIssuer("https://issuer.example"), WithAudience("authkit"))
					if err != nil {
						t.Fatal(err)
					}
					c, err := v.Verify(context.Background(), raw)
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					if c.Subject != "interop-user" || !c.HasRole("admin") {
						t.Errorf("claims = %+v", c)
					}
				}
				_ = jwks
			})
		}
	}
}

func TestVerifyOwnTokens(t *testing.T) {
	now := time.Unix(1764331200, 123e6)
	for _, alg := range Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			k := testKey(t, alg)
			payload := []byte(`{"sub":"u1","iat":1764331200.123,"exp":1764332100}`)
			raw, err := Sign(k, TypeAccess, payload)
			if err != nil {
				t.Fatal(err)
			}
			set, _ := NewVerifyKeySet(k.Public())
			v, _ := NewVerifier(set, WithClock(testclock.At(now).Now), WithType(TypeAccess))
			c, err := v.Verify(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			if c.IssuedAt.UnixMilli() != 1764331200123 {
				t.Errorf("iat = %v, want millisecond precision", c.IssuedAt)
			}
			// Every other algorithm's key refuses the token.
			for _, other := range Algorithms() {
				if other == alg {
					continue
				}
				set, _ := NewVerifyKeySet(testKey(t, other).Public())
				v, _ := NewVerifier(set, WithClock(testclock.At(now).Now))
				if _, err := v.Verify(context.Background(), raw); !errors.Is(err, ErrInvalid) {
					t.Errorf("%s key accepted a %s token: %v", other, alg, err)
				}
			}
		})
	}
}

func TestVerifierTimeAndClaims(t *testing.T) {
	k := testKey(t, ES256)
	set, _ := NewVerifyKeySet(k)
	base := time.Unix(1764331200, 0)
	tests := []struct {
		name    string
		claims  string
		now     time.Time
		opts    []VerifierOption
		wantErr error
	}{
		{"valid", `{"sub":"a","iat":1764331200,"exp":1764332100}`, base, nil, nil},
		{"expired beyond leeway", `{"iat":1764331200,"exp":1764332100}`, base.Add(15*time.Minute + 31*time.Second), nil, ErrExpired},
		{"expired within leeway", `{"iat":1764331200,"exp":1764332100}`, base.Add(15*time.Minute + 29*time.Second), nil, nil},
		{"zero leeway", `{"iat":1764331200,"exp":1764332100}`, base.Add(15*time.Minute + time.Second), []VerifierOption{WithLeeway(0)}, ErrExpired},
		{"nbf future", `{"nbf":1764331300,"exp":1764332100}`, base, nil, ErrNotYetValid},
		{"iat future", `{"iat":1764331300,"exp":1764332100}`, base, nil, ErrNotYetValid},
		{"lifetime over max", `{"iat":1764331200,"exp":1764431200}`, base, []VerifierOption{WithMaxLifetime(time.Hour)}, ErrLifetime},
		{"lifetime no iat over max", `{"exp":1764431200}`, base, []VerifierOption{WithMaxLifetime(time.Hour)}, ErrLifetime},
		{"default max lifetime 24h", `{"iat":1764331200,"exp":1774331200}`, base, nil, ErrLifetime},
		{"missing exp", `{"iat":1764331200}`, base, nil, ErrMissingClaim},
		{"issuer ok", `{"iss":"me","exp":1764332100}`, base, []VerifierOption{WithIssuer("me")}, nil},
		{"issuer missing", `{"exp":1764332100}`, base, []VerifierOption{WithIssuer("me")}, ErrIssuer},
		{"issuer wrong", `{"iss":"you","exp":1764332100}`, base, []VerifierOption{WithIssuer("me")}, ErrIssuer},
		{"aud array", `{"aud":["x","api"],"exp":1764332100}`, base, []VerifierOption{WithAudience("api")}, nil},
		{"aud wrong", `{"aud":"x","exp":1764332100}`, base, []VerifierOption{WithAudience("api")}, ErrAudience},
		{"aud missing", `{"exp":1764332100}`, base, []VerifierOption{WithAudience("api")}, ErrAudience},
		{"refresh token_use refused by default", `{"exp":1764332100,"token_use":"refresh"}`, base, nil, ErrType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := Sign(k, "JWT", []byte(tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			v, err := NewVerifier(set, append([]VerifierOption{WithClock(testclock.At(tt.now).Now)}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.Background(), raw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestTypeOption(t *testing.T) {
	k := testKey(t, EdDSA)
	set, _ := NewVerifyKeySet(k)
	now := testclock.At(time.Unix(1764331200, 0)).Now
	tests := []struct {
		name    string
		typ     string
		want    string
		wantErr error
	}{
		{"exact", "at+jwt", "at+jwt", nil},
		{"media type form", "application/AT+JWT", "at+jwt", nil},
		{"missing", "", "at+jwt", ErrType},
		{"refresh as access", TypeRefresh, "at+jwt", ErrType},
		{"no requirement accepts JWT", "JWT", "", nil},
		{"no requirement refuses rt+jwt", TypeRefresh, "", ErrType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := Sign(k, tt.typ, []byte(`{"exp":1764332100}`))
			opts := []VerifierOption{WithClock(now)}
			if tt.want != "" {
				opts = append(opts, WithType(tt.want))
			}
			v, _ := NewVerifier(set, opts...)
			if _, err := v.Verify(context.Background(), raw); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestBadOptionValues(t *testing.T) {
	set, _ := NewVerifyKeySet(testKey(t, ES256))
	tests := []struct {
		name string
		opt  VerifierOption
	}{
		{"leeway too large", WithLeeway(time.Hour)},
		{"nil clock", WithClock(nil)},
		{"nil", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(set, tt.opt)
			if !errors.Is(err, ErrInvalidConfig) || !errors.Is(err, authkit.ErrInvalidConfig) || !errors.Is(err, ErrInvalidOption) {
				t.Errorf("error = %v, want ErrInvalidConfig (an authkit.ErrInvalidConfig; ErrInvalidOption is its old name)", err)
			}
		})
	}
	if _, err := NewVerifier(nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil key source: %v, want ErrInvalidConfig", err)
	}
}

// TestOptionTargets: each option's type says which constructors take it,
// so an option given to a constructor it does not apply to (the access
// TTL to a Verifier, say) does not compile. The table pins every option's
// targets through its result type.
func TestOptionTargets(t *testing.T) {
	var (
		verifier = reflect.TypeFor[VerifierOption]()
		issuer   = reflect.TypeFor[IssuerOption]()
		remote   = reflect.TypeFor[RemoteOption]()
	)
	const v, i, r = 1, 2, 4
	tests := []struct {
		name    string
		fn      any
		targets int
	}{
		{"WithClock", WithClock, v | i | r},
		{"WithLeeway", WithLeeway, v | i},
		{"WithMaxSize", WithMaxSize, v | i},
		{"WithIssuer", WithIssuer, v | i},
		{"WithAudience", WithAudience, v | i},
		{"WithMaxLifetime", WithMaxLifetime, v},
		{"WithoutMaxLifetime", WithoutMaxLifetime, v},
		{"WithType", WithType, v},
		{"WithStore", WithStore, i},
		{"WithAudit", WithAudit, i},
		{"WithAccessTTL", WithAccessTTL, i},
		{"WithRefreshTTL", WithRefreshTTL, i},
		{"WithRefreshMaxLifetime", WithRefreshMaxLifetime, i},
		{"WithoutRefreshMaxLifetime", WithoutRefreshMaxLifetime, i},
		{"WithPasswordResetTTL", WithPasswordResetTTL, i},
		{"WithEmailVerificationTTL", WithEmailVerificationTTL, i},
		{"WithHTTPClient", WithHTTPClient, r},
		{"WithRefreshInterval", WithRefreshInterval, r},
		{"WithCacheTTLBounds", WithCacheTTLBounds, r},
		{"WithFetchTimeout", WithFetchTimeout, r},
		{"WithMaxResponseSize", WithMaxResponseSize, r},
	}
	for _, tt := range tests {
		out := reflect.TypeOf(tt.fn).Out(0)
		got := 0
		for bit, target := range map[int]reflect.Type{v: verifier, i: issuer, r: remote} {
			if out.Implements(target) {
				got |= bit
			}
		}
		if got != tt.targets {
			t.Errorf("%s returns %v, which applies to %03b, want %03b (verifier, issuer, remote)", tt.name, out, got, tt.targets)
		}
	}
}
