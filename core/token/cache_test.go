package token

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// cacheFixture is an Issuer with the verified-token cache (cached) and one
// without (plain) over the same keys, store and clock, so that every test
// can compare the two answers.
type cacheFixture struct {
	keys          *KeySet
	cached, plain *Issuer
	clock         *testclock.Clock
	store         tokenstore.Store
}

func newCacheFixture(t testing.TB, opts ...IssuerOption) cacheFixture {
	t.Helper()
	f := cacheFixture{clock: testclock.At(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))}
	f.store = tokenstore.NewMemoryStore(tokenstore.WithClock(f.clock.Now))
	var err error
	if f.keys, err = NewKeySet(testKey(t, HS256)); err != nil {
		t.Fatal(err)
	}
	base := []IssuerOption{WithClock(f.clock.Now), WithStore(f.store), WithAudit(audit.Discard), WithIssuer("https://auth.example"), WithAudience("api")}
	if f.cached, err = NewIssuer(f.keys, append(base, opts...)...); err != nil {
		t.Fatal(err)
	}
	if f.plain, err = NewIssuer(f.keys, append(base, WithoutVerifiedCache())...); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f cacheFixture) issue(t testing.TB, sub string) Pair {
	t.Helper()
	p, err := f.cached.IssuePair(context.Background(), Subject{ID: sub, Roles: []string{"user"}, Scope: "read write", AMR: []string{"pwd"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f cacheFixture) hits() uint64 { return f.cached.cache.hits.Load() }

func TestVerifiedCacheHitsTheSameToken(t *testing.T) {
	f := newCacheFixture(t)
	tok := f.issue(t, "alice").AccessToken
	first, err := f.cached.AuthenticatePrincipal(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if f.hits() != 0 || f.cached.cache.len() != 1 {
		t.Fatalf("after one request: %d hits, %d entries; want 0 and 1", f.hits(), f.cached.cache.len())
	}
	second, err := f.cached.AuthenticatePrincipal(context.Background(), tok)
	if err != nil || f.hits() != 1 {
		t.Fatalf("second request: %v, %d hits; want a hit", err, f.hits())
	}
	if first.Subject != second.Subject || strings.Join(first.Scopes, " ") != strings.Join(second.Scopes, " ") || !first.AuthTime.Equal(second.AuthTime) {
		t.Fatalf("hit %+v differs from the verified %+v", second, first)
	}
	c, err := f.cached.Authenticate(context.Background(), tok)
	if err != nil || c.Subject != "alice" || c.Family() == "" {
		t.Fatalf("Authenticate on a hit: %+v, %v", c, err)
	}
}

// A handler that changes what it was handed cannot change what the next
// request with the same token gets.
func TestVerifiedCacheHandsOutCopies(t *testing.T) {
	f := newCacheFixture(t)
	tok := f.issue(t, "alice").AccessToken
	for range 2 {
		p, err := f.cached.AuthenticatePrincipal(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		p.Roles[0], p.Scopes[0], p.AMR[0] = "admin", "admin", "otp"
		p.Roles = append(p.Roles, "root")
		c, err := f.cached.Authenticate(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		c.Roles[0], c.Raw[0], c.Subject = "admin", 'X', "mallory"
	}
	p, err := f.cached.AuthenticatePrincipal(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "alice" || strings.Join(p.Roles, ",") != "user" || strings.Join(p.Scopes, ",") != "read,write" || strings.Join(p.AMR, ",") != "pwd" {
		t.Fatalf("a cached principal was changed through a copy: %+v", p)
	}
	if c, _ := f.cached.Authenticate(context.Background(), tok); c.Raw[0] != '{' || c.Roles[0] != "user" {
		t.Fatalf("cached claims were changed through a copy: %q %v", c.Raw, c.Roles)
	}
}

// Every token one byte away from a cached one misses the cache and gets
// exactly the answer a full verification gives.
func TestVerifiedCacheOneByteAwayMisses(t *testing.T) {
	f := newCacheFixture(t)
	tok := f.issue(t, "alice").AccessToken
	if _, err := f.cached.Authenticate(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	hits := f.hits()
	for i := 0; i < len(tok); i++ {
		for _, c := range []byte{'A', 'B', 'x', '.', '-', '_', '=', 0, 0xff} {
			if tok[i] == c {
				continue
			}
			bad := tok[:i] + string(c) + tok[i+1:]
			assertSameAnswer(t, f, bad)
		}
	}
	assertSameAnswer(t, f, tok[:len(tok)-1])
	assertSameAnswer(t, f, tok+"A")
	assertSameAnswer(t, f, " "+tok)
	if f.hits() != hits {
		t.Fatalf("%d hits for tokens that differ from the cached one", f.hits()-hits)
	}
}

// assertSameAnswer fails unless the cached and the plain issuer agree on
// raw: both refuse it with the same sentinel, or both accept it for the
// same subject.
func assertSameAnswer(t *testing.T, f cacheFixture, raw string) {
	t.Helper()
	ctx := context.Background()
	pc, perr := f.plain.Authenticate(ctx, raw)
	cc, cerr := f.cached.Authenticate(ctx, raw)
	switch {
	case (perr == nil) != (cerr == nil):
		t.Fatalf("%q: plain %v, cached %v", raw, perr, cerr)
	case perr != nil && perr.Error() != cerr.Error():
		t.Fatalf("%q: plain %v, cached %v", raw, perr, cerr)
	case perr == nil && (pc.Subject != cc.Subject || pc.ID != cc.ID):
		t.Fatalf("%q: plain %s/%s, cached %s/%s", raw, pc.Subject, pc.ID, cc.Subject, cc.ID)
	}
}

func TestVerifiedCacheRechecksTheClock(t *testing.T) {
	f := newCacheFixture(t)
	tok := f.issue(t, "alice").AccessToken
	ctx := context.Background()
	if _, err := f.cached.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	// Still valid within the leeway after exp, as without the cache.
	f.clock.Advance(DefaultAccessTTL + DefaultLeeway - time.Second)
	if _, err := f.cached.Authenticate(ctx, tok); err != nil || f.hits() != 1 {
		t.Fatalf("inside the leeway: %v, %d hits", err, f.hits())
	}
	f.clock.Advance(time.Second)
	if _, err := f.cached.Authenticate(ctx, tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("after exp + leeway: %v, want ErrExpired", err)
	}
	if n := f.cached.cache.len(); n != 0 {
		t.Fatalf("an expired token is still held (%d entries)", n)
	}
	// A clock set back before the token's iat: refused as not yet valid.
	f.clock.Set(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	tok = f.issue(t, "alice").AccessToken
	if _, err := f.cached.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(-time.Hour)
	if _, err := f.cached.Authenticate(ctx, tok); !errors.Is(err, ErrNotYetValid) {
		t.Fatalf("clock an hour back: %v, want ErrNotYetValid", err)
	}
}

// Expired entries are dropped by the next insertion even when nobody asks
// for them again.
func TestVerifiedCacheNeverHoldsExpiredTokens(t *testing.T) {
	f := newCacheFixture(t)
	ctx := context.Background()
	for _, sub := range []string{"a", "b", "c"} {
		if _, err := f.cached.Authenticate(ctx, f.issue(t, sub).AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(DefaultAccessTTL + DefaultLeeway)
	if _, err := f.cached.Authenticate(ctx, f.issue(t, "d").AccessToken); err != nil {
		t.Fatal(err)
	}
	if n := f.cached.cache.len(); n != 1 {
		t.Fatalf("%d entries, want only the fresh token", n)
	}
}

func TestVerifiedCacheAsksTheRevocationStoreOnEveryHit(t *testing.T) {
	f := newCacheFixture(t)
	ctx := context.Background()
	pair := f.issue(t, "alice")
	if _, err := f.cached.Authenticate(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := f.cached.Revoke(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cached.AuthenticatePrincipal(ctx, pair.AccessToken); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked, cached token: %v, want ErrRevoked", err)
	}
	other := f.issue(t, "bob").AccessToken
	if _, err := f.cached.Authenticate(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := f.cached.RevokeSubject(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cached.Authenticate(ctx, other); !errors.Is(err, ErrRevoked) {
		t.Fatalf("after log out everywhere: %v, want ErrRevoked", err)
	}
}

func TestVerifiedCacheEmptiesWhenKeysChange(t *testing.T) {
	f := newCacheFixture(t)
	ctx := context.Background()
	old := f.issue(t, "alice").AccessToken
	if _, err := f.cached.Authenticate(ctx, old); err != nil {
		t.Fatal(err)
	}
	next, err := GenerateKey(HS256, "k-next")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"Add", func() error { return f.keys.Add(next) }},
		{"Promote", func() error { return f.keys.Promote("k-next") }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cached.Authenticate(ctx, old); err != nil {
			t.Fatalf("after %s: %v", s.name, err)
		}
		if h := f.hits(); h != 0 {
			t.Fatalf("after %s: a hit, want the cache emptied and the token verified again", s.name)
		}
	}
	if _, err := f.cached.Authenticate(ctx, old); err != nil || f.hits() != 1 {
		t.Fatalf("cached again: %v, %d hits", err, f.hits())
	}
	if err := f.keys.Retire("k-" + string(HS256)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cached.Authenticate(ctx, old); !errors.Is(err, ErrInvalid) {
		t.Fatalf("token of a retired key, cached before: %v, want ErrInvalid", err)
	}
}

func TestVerifiedCacheBounds(t *testing.T) {
	ctx := context.Background()
	t.Run("entries", func(t *testing.T) {
		f := newCacheFixture(t, WithVerifiedCache(3, 1<<20))
		var toks []string
		for _, sub := range []string{"a", "b", "c", "d", "e"} {
			tok := f.issue(t, sub).AccessToken
			f.clock.Advance(time.Second) // so that the first is the closest to expiry
			toks = append(toks, tok)
			if _, err := f.cached.Authenticate(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.cached.cache.len(); n != 3 {
			t.Fatalf("%d entries, want 3", n)
		}
		// The tokens closest to their expiry went first.
		if _, err := f.cached.Authenticate(ctx, toks[4]); err != nil || f.hits() != 1 {
			t.Fatalf("the newest token: %v, %d hits; want a hit", err, f.hits())
		}
		if _, err := f.cached.Authenticate(ctx, toks[0]); err != nil || f.hits() != 1 {
			t.Fatalf("the oldest token: %v, %d hits; want a miss", err, f.hits())
		}
	})
	t.Run("bytes", func(t *testing.T) {
		f := newCacheFixture(t, WithVerifiedCache(1000, 4000))
		for _, sub := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
			if _, err := f.cached.Authenticate(ctx, f.issue(t, sub).AccessToken); err != nil {
				t.Fatal(err)
			}
		}
		vc := f.cached.cache
		if vc.bytes > 4000 || vc.len() == 0 || vc.len() >= 8 {
			t.Fatalf("%d entries of %d bytes under a 4000-byte bound", vc.len(), vc.bytes)
		}
	})
	t.Run("bad bounds", func(t *testing.T) {
		for _, b := range [][2]int{{0, 1}, {1, 0}, {-1, 10}} {
			if _, err := NewIssuer(newCacheFixture(t).keys, WithVerifiedCache(b[0], b[1])); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("WithVerifiedCache(%d, %d): %v, want ErrInvalidConfig", b[0], b[1], err)
			}
		}
	})
}

func TestWithoutVerifiedCache(t *testing.T) {
	f := newCacheFixture(t)
	if f.plain.cache != nil {
		t.Fatal("WithoutVerifiedCache left a cache")
	}
	v, err := NewVerifier(keySourceFunc(f.keys.VerificationKeys))
	if err != nil {
		t.Fatal(err)
	}
	if v.cache != nil {
		t.Fatal("a key source that cannot tell its changes got a cache")
	}
}

type keySourceFunc func(context.Context, string) ([]*Key, error)

func (f keySourceFunc) VerificationKeys(ctx context.Context, kid string) ([]*Key, error) {
	return f(ctx, kid)
}

func TestVerifiedCacheOnAVerifier(t *testing.T) {
	f := newCacheFixture(t)
	v := f.cached.Verifier()
	tok := f.issue(t, "alice").AccessToken
	for range 3 {
		c, err := v.Verify(context.Background(), tok)
		if err != nil || c.Subject != "alice" {
			t.Fatalf("Verify: %+v, %v", c, err)
		}
	}
	if h := v.cache.hits.Load(); h != 2 {
		t.Fatalf("%d hits, want 2", h)
	}
	// A refresh token never passes a Verifier of access tokens, cached or not.
	if _, err := v.Verify(context.Background(), f.issue(t, "alice").RefreshToken); !errors.Is(err, ErrType) {
		t.Fatalf("refresh token: %v, want ErrType", err)
	}
}

// Concurrent requests with cached and new tokens while the keys rotate:
// -race checks the locking, and once a key is retired none of its tokens
// passes, cached or not.
func TestVerifiedCacheConcurrentWithRotation(t *testing.T) {
	f := newCacheFixture(t)
	ctx := context.Background()
	var toks []string
	for _, sub := range []string{"a", "b", "c", "d"} {
		tok := f.issue(t, sub).AccessToken
		if _, err := f.cached.AuthenticatePrincipal(ctx, tok); err != nil { // cached before any change
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = f.cached.AuthenticatePrincipal(ctx, toks[i%len(toks)])
			}
		})
	}
	for i := range 20 {
		k, err := GenerateKey(HS256, "k-rot-"+string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.keys.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.keys.Add(mustKey(t, "k-new")); err != nil {
		t.Fatal(err)
	}
	if err := f.keys.Promote("k-new"); err != nil {
		t.Fatal(err)
	}
	if err := f.keys.Retire("k-" + string(HS256)); err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if _, err := f.cached.AuthenticatePrincipal(ctx, tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("token of the retired key after Retire returned: %v", err)
		}
	}
	close(stop)
	wg.Wait()
}

func mustKey(t *testing.T, kid string) *Key {
	t.Helper()
	k, err := GenerateKey(HS256, kid)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRemoteKeySetGeneration(t *testing.T) {
	r, err := NewRemoteKeySet("https://issuer.example/jwks")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.generation(); ok {
		t.Fatal("a remote set that has not fetched vouches for its keys")
	}
}

// FuzzVerifiedCache checks that the cache never changes an answer: after a
// valid token is cached, any input gets from the cached issuer exactly what
// an issuer without the cache answers. Seeded with the cached token, tokens
// one byte away from it and hostile shapes.
func FuzzVerifiedCache(f *testing.F) {
	fx := newCacheFixture(f)
	tok := fx.issue(f, "alice").AccessToken
	if _, err := fx.cached.Authenticate(context.Background(), tok); err != nil {
		f.Fatal(err)
	}
	dot := strings.LastIndexByte(tok, '.')
	for _, s := range []string{
		tok, tok[:len(tok)-1], tok + "A", tok[:dot+5] + "B" + tok[dot+6:], strings.ToUpper(tok), " " + tok, tok + "\x00",
		"", ".", "..", "a.b.c", strings.Repeat("A", 9000), tok[:dot], tok[:dot] + ".", tok[:dot+1] + tok[dot+1:] + tok[dot:],
	} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		pc, perr := fx.plain.Authenticate(ctx, raw)
		cc, cerr := fx.cached.Authenticate(ctx, raw)
		if (perr == nil) != (cerr == nil) || (perr != nil && perr.Error() != cerr.Error()) {
			t.Fatalf("%q: plain %v, cached %v", raw, perr, cerr)
		}
		if perr == nil && (pc.Subject != cc.Subject || pc.ID != cc.ID || raw != tok && pc.ID == "") {
			t.Fatalf("%q: plain %+v, cached %+v", raw, pc, cc)
		}
		// The cached token stays a hit throughout.
		if _, err := fx.cached.Authenticate(ctx, tok); err != nil {
			t.Fatalf("the cached token: %v", err)
		}
	})
}
