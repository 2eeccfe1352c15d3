package token

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	"github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// recordingSink collects audit events.
type recordingSink = audittest.Recorder

type issuerFixture struct {
	iss   *Issuer
	clock *testclock.Clock
	sink  *recordingSink
}

func newIssuerFixture(t testing.TB, store func(now func() time.Time) tokenstore.Store) issuerFixture {
	t.Helper()
	clk := testclock.At(time.Date(2026, 11, 28, 12, 0, 0, 123e6, time.UTC))
	if store == nil {
		store = func(now func() time.Time) tokenstore.Store {
			return tokenstore.NewMemoryStore(tokenstore.WithClock(now))
		}
	}
	keys, err := NewKeySet(testKey(t, ES256))
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordingSink{}
	iss, err := NewIssuer(keys, WithClock(clk.Now), WithStore(store(clk.Now)), WithAudit(sink),
		WithIssuer("https://auth.example"), WithAudience("api"))
	if err != nil {
		t.Fatal(err)
	}
	return issuerFixture{iss: iss, clock: clk, sink: sink}
}

func redisStore(t testing.TB) func(now func() time.Time) tokenstore.Store {
	return func(now func() time.Time) tokenstore.Store {
		s, err := redisstore.New(redistest.Client(t), redisstore.WithPrefix(redistest.Prefix(t)), redisstore.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// forEachStore runs fn on the memory store, on Redis and on a Redis
// Cluster; fn gets the store constructor for newIssuerFixture (nil means
// memory).
func forEachStore(t *testing.T, fn func(t *testing.T, store func(func() time.Time) tokenstore.Store)) {
	t.Run("memory", func(t *testing.T) { fn(t, nil) })
	t.Run("redis", func(t *testing.T) { fn(t, redisStore(t)) })
	t.Run("cluster", func(t *testing.T) {
		c := redistest.ClusterClient(t)
		fn(t, func(now func() time.Time) tokenstore.Store {
			s, err := redisstore.New(c, redisstore.WithPrefix(redistest.PrefixFor(t, c)), redisstore.WithClock(now))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func TestIssuePairAndAuthenticate(t *testing.T) {
	f := newIssuerFixture(t, nil)
	ctx := context.Background()
	type extra struct {
		Tenant string `json:"tenant"`
	}
	pair, err := f.iss.IssuePair(ctx, Subject{ID: "u1", Roles: []string{"admin"}, Scope: "read write", AMR: []string{"pwd", "otp"}, Extra: extra{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	if pair.TokenType != "Bearer" || pair.ExpiresIn != 900 {
		t.Errorf("pair = %+v", pair)
	}
	c, err := f.iss.Authenticate(ctx, pair.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	var ex extra
	if err := c.DecodeExtra(&ex); err != nil || ex.Tenant != "acme" {
		t.Errorf("extra = %+v, %v", ex, err)
	}
	if c.Subject != "u1" || !c.HasRole("admin") || !c.HasScope("write") || c.HasScope("wri") || len(c.AMR) != 2 ||
		c.Issuer != "https://auth.example" || !c.HasAudience("api") || len(c.ID) < 22 {
		t.Errorf("claims = %+v", c)
	}
	if !strings.Contains(string(c.Raw), `"iat":1795867200.123`) {
		t.Errorf("iat not written with millisecond precision: %s", c.Raw)
	}
	if c.ExpiresAt.Sub(c.IssuedAt) > 15*time.Minute {
		t.Errorf("lifetime %v", c.ExpiresAt.Sub(c.IssuedAt))
	}
	f.clock.Advance(15*time.Minute + DefaultLeeway)
	if _, err := f.iss.Authenticate(ctx, pair.AccessToken); !errors.Is(err, ErrExpired) {
		t.Errorf("after 15m: %v, want ErrExpired", err)
	}
	if f.sink.Count(audit.TokenIssued) != 1 {
		t.Errorf("events = %+v", f.sink.Events())
	}
}

func TestTokenKindsDoNotMix(t *testing.T) {
	f := newIssuerFixture(t, nil)
	ctx := context.Background()
	pair, _ := f.iss.IssuePair(ctx, Subject{ID: "u1"})
	reset, _ := f.iss.IssuePurpose(ctx, "u1", PurposePasswordReset)
	key := testKey(t, ES256)
	now := f.clock.Now().Unix()
	forgeKind := func(typ, use string) string {
		payload := []byte(`{"iss":"https://auth.example","aud":"api","sub":"u1","jti":"j1","fam":"f1","purpose":"password_reset","iat":` +
			itoa(now) + `,"exp":` + itoa(now+600) + `,"token_use":"` + use + `"}`)
		raw, err := Sign(key, typ, payload)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	refreshFn := func(raw string) error { _, err := f.iss.Refresh(ctx, raw); return err }
	authFn := func(raw string) error { _, err := f.iss.Authenticate(ctx, raw); return err }
	consumeFn := func(raw string) error { _, err := f.iss.ConsumePurpose(ctx, raw, PurposePasswordReset); return err }
	tests := []struct {
		name string
		fn   func(string) error
		raw  string
	}{
		{"refresh token as access", authFn, pair.RefreshToken},
		{"access token as refresh", refreshFn, pair.AccessToken},
		{"purpose token as access", authFn, reset},
		{"purpose token as refresh", refreshFn, reset},
		{"access token as purpose", consumeFn, pair.AccessToken},
		{"at+jwt typ with refresh claim", authFn, forgeKind(TypeAccess, useRefresh)},
		{"rt+jwt typ with access claim", authFn, forgeKind(TypeRefresh, useAccess)},
		{"rt+jwt typ with access claim, as refresh", refreshFn, forgeKind(TypeRefresh, useAccess)},
		{"at+jwt typ with refresh claim, as refresh", refreshFn, forgeKind(TypeAccess, useRefresh)},
		{"JWT typ with access claim", authFn, forgeKind("JWT", useAccess)},
		{"email token for password reset", consumeFn, mustPurpose(t, f.iss, PurposeEmailVerification)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.fn(tt.raw); !errors.Is(err, ErrType) {
				t.Errorf("error = %v, want ErrType", err)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustPurpose(t *testing.T, iss *Issuer, p Purpose) string {
	t.Helper()
	raw, err := iss.IssuePurpose(context.Background(), "u1", p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func testRefreshRotation(t *testing.T, f issuerFixture) {
	ctx := context.Background()
	pair, err := f.iss.IssuePair(ctx, Subject{ID: "u1", Roles: []string{"r"}})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	next, err := f.iss.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.iss.Authenticate(ctx, next.AccessToken)
	if err != nil || !c.HasRole("r") {
		t.Fatalf("new access token: %+v, %v", c, err)
	}
	// Reuse of the first refresh token: detected, family revoked.
	if _, err := f.iss.Refresh(ctx, pair.RefreshToken); !errors.Is(err, ErrReused) {
		t.Fatalf("reuse: %v, want ErrReused", err)
	}
	if f.sink.Count(audit.TokenReuseDetected) != 1 {
		t.Errorf("no reuse event: %+v", f.sink.Events())
	}
	if _, err := f.iss.Refresh(ctx, next.RefreshToken); !errors.Is(err, ErrInvalid) {
		t.Errorf("family member after reuse: %v, want rejection", err)
	}
}

func TestRefreshRotationMemory(t *testing.T) { testRefreshRotation(t, newIssuerFixture(t, nil)) }
func TestRefreshRotationRedis(t *testing.T) {
	testRefreshRotation(t, newIssuerFixture(t, redisStore(t)))
}

func testConcurrentRefresh(t *testing.T, f issuerFixture) {
	ctx := context.Background()
	pair, err := f.iss.IssuePair(ctx, Subject{ID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	var wins, reused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.iss.Refresh(ctx, pair.RefreshToken)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, ErrReused), errors.Is(err, ErrRevoked):
				reused.Add(1)
			default:
				t.Errorf("unexpected error %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || reused.Load() != 19 {
		t.Errorf("wins %d, rejected %d; want exactly one winner", wins.Load(), reused.Load())
	}
}

func TestConcurrentRefreshMemory(t *testing.T) { testConcurrentRefresh(t, newIssuerFixture(t, nil)) }
func TestConcurrentRefreshRedis(t *testing.T) {
	testConcurrentRefresh(t, newIssuerFixture(t, redisStore(t)))
}

func TestRevoke(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		f := newIssuerFixture(t, store)
		ctx := context.Background()
		a, _ := f.iss.IssuePair(ctx, Subject{ID: "u1"})
		b, _ := f.iss.IssuePair(ctx, Subject{ID: "u1"})
		if err := f.iss.Revoke(ctx, a.AccessToken); err != nil {
			t.Fatal(err)
		}
		if _, err := f.iss.Authenticate(ctx, a.AccessToken); !errors.Is(err, ErrRevoked) {
			t.Errorf("revoked access token: %v", err)
		}
		if _, err := f.iss.Authenticate(ctx, b.AccessToken); err != nil {
			t.Errorf("other token hit: %v", err)
		}
		// Revoking a refresh token on its own (a's family is already gone
		// with its access token) kills that sign-in's refresh and access.
		d, _ := f.iss.IssuePair(ctx, Subject{ID: "u1"})
		if err := f.iss.Revoke(ctx, d.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if _, err := f.iss.Refresh(ctx, d.RefreshToken); !errors.Is(err, ErrRevoked) {
			t.Errorf("revoked refresh token: %v", err)
		}
		if _, err := f.iss.Authenticate(ctx, d.AccessToken); !errors.Is(err, ErrRevoked) {
			t.Errorf("access token of a revoked refresh token's sign-in: %v", err)
		}
		if _, err := f.iss.Authenticate(ctx, b.AccessToken); err != nil {
			t.Errorf("another sign-in hit: %v", err)
		}
		// Log out everywhere: b dies, a token issued a millisecond later lives.
		f.clock.Advance(time.Second)
		if err := f.iss.RevokeSubject(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.iss.Authenticate(ctx, b.AccessToken); !errors.Is(err, ErrRevoked) {
			t.Errorf("after RevokeSubject: %v", err)
		}
		if _, err := f.iss.Refresh(ctx, b.RefreshToken); !errors.Is(err, ErrRevoked) {
			t.Errorf("refresh after RevokeSubject: %v", err)
		}
		f.clock.Advance(2 * time.Millisecond)
		c, _ := f.iss.IssuePair(ctx, Subject{ID: "u1"})
		if _, err := f.iss.Authenticate(ctx, c.AccessToken); err != nil {
			t.Errorf("new login after RevokeSubject: %v", err)
		}
	})
}

func TestPurposeTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		f := newIssuerFixture(t, store)
		ctx := context.Background()
		raw := mustPurpose(t, f.iss, PurposePasswordReset)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if c, err := f.iss.ConsumePurpose(ctx, raw, PurposePasswordReset); err == nil && c.Subject == "u1" {
					wins.Add(1)
				} else if !errors.Is(err, ErrReused) {
					t.Errorf("unexpected %v", err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d consumers won, want 1", wins.Load())
		}
		email := mustPurpose(t, f.iss, PurposeEmailVerification)
		f.clock.Advance(15*time.Minute + time.Minute)
		if _, err := f.iss.ConsumePurpose(ctx, mustPurposeAt(t, f), PurposePasswordReset); err != nil {
			t.Errorf("fresh reset token: %v", err)
		}
		if _, err := f.iss.ConsumePurpose(ctx, email, PurposeEmailVerification); err != nil {
			t.Errorf("email token after 16m: %v", err)
		}
		f.clock.Advance(24 * time.Hour)
		if _, err := f.iss.ConsumePurpose(ctx, mustPurposeAt(t, f), PurposeEmailVerification); !errors.Is(err, ErrType) {
			t.Errorf("reset token as email token: %v", err)
		}
	})
}

func mustPurposeAt(t *testing.T, f issuerFixture) string {
	return mustPurpose(t, f.iss, PurposePasswordReset)
}

func TestIssuerErrors(t *testing.T) {
	f := newIssuerFixture(t, nil)
	ctx := context.Background()
	if _, err := f.iss.IssuePair(ctx, Subject{}); !errors.Is(err, ErrInvalidClaims) {
		t.Errorf("empty subject: %v", err)
	}
	if _, err := f.iss.IssuePair(ctx, Subject{ID: "u", Extra: map[string]any{"EXP": 1}}); !errors.Is(err, ErrInvalidClaims) {
		t.Errorf("colliding extra: %v", err)
	}
	if _, err := f.iss.IssuePair(ctx, Subject{ID: "u", Extra: []int{1}}); !errors.Is(err, ErrInvalidClaims) {
		t.Errorf("non-object extra: %v", err)
	}
	if _, err := f.iss.IssuePurpose(ctx, "u", "bogus"); !errors.Is(err, ErrInvalidClaims) {
		t.Errorf("unknown purpose: %v", err)
	}
	keys, _ := NewVerifyKeySet(testKey(t, ES256).Public())
	if _, err := NewIssuer(keys); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("verify-only key set: %v", err)
	}
	if _, err := NewIssuer(nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("nil key set: %v", err)
	}
	// A verifier option on an issuer does not compile (TestOptionTargets);
	// bad values and nil options are refused at run time.
	full, _ := NewKeySet(testKey(t, ES256))
	for name, opt := range map[string]IssuerOption{"zero access TTL": WithAccessTTL(0), "nil store": WithStore(nil), "nil": nil} {
		if _, err := NewIssuer(full, opt); !errors.Is(err, ErrInvalidConfig) || !errors.Is(err, authkit.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig (an authkit.ErrInvalidConfig)", name, err)
		}
	}
}

// unavailableStore fails every call as a Redis outage would.
type unavailableStore struct{ tokenstore.Store }

func (unavailableStore) Revoked(context.Context, string, string, string, uint64) (bool, error) {
	return false, tokenstore.ErrUnavailable
}

func TestAuthenticateStoreUnavailable(t *testing.T) {
	f := newIssuerFixture(t, nil)
	ctx := context.Background()
	pair, _ := f.iss.IssuePair(ctx, Subject{ID: "u1"})
	f.iss.cfg.store = unavailableStore{f.iss.cfg.store}
	_, err := f.iss.Authenticate(ctx, pair.AccessToken)
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalid) || !errors.Is(err, authkit.ErrUnavailable) {
		t.Errorf("error = %v, want ErrUnavailable (an authkit.ErrUnavailable, not an ErrInvalid)", err)
	}
}

func TestKeyRotation(t *testing.T) {
	f := newIssuerFixture(t, nil)
	ctx := context.Background()
	old, _ := f.iss.IssuePair(ctx, Subject{ID: "u1"})
	next := testKey(t, EdDSA)
	if err := f.iss.keys.Add(next); err != nil {
		t.Fatal(err)
	}
	if err := f.iss.keys.Promote(next.KID()); err != nil {
		t.Fatal(err)
	}
	fresh, _ := f.iss.IssuePair(ctx, Subject{ID: "u1"})
	for name, raw := range map[string]string{"old key": old.AccessToken, "new key": fresh.AccessToken} {
		if _, err := f.iss.Authenticate(ctx, raw); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := f.iss.keys.Retire(next.KID()); err == nil {
		t.Error("retired the active key")
	}
	if err := f.iss.keys.Retire("k-ES256"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.iss.Authenticate(ctx, old.AccessToken); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("token of a retired key: %v", err)
	}
}
