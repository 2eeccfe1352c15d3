package token

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/testclock"
)

type jwksServer struct {
	*httptest.Server
	hits   atomic.Int32
	mu     sync.Mutex
	body   []byte
	status int
	cc     string
}

func newJWKSServer(t *testing.T, keys *KeySet) *jwksServer {
	s := &jwksServer{status: http.StatusOK, cc: "public, max-age=300"}
	s.body, _ = keys.PublicJWKS()
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Cache-Control", s.cc)
		w.WriteHeader(s.status)
		_, _ = w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, body []byte) {
	s.mu.Lock()
	s.status = status
	if body != nil {
		s.body = body
	}
	s.mu.Unlock()
}

func TestRemoteKeySet(t *testing.T) {
	ctx := context.Background()
	es, ed := testKey(t, ES256), testKey(t, EdDSA)
	keys, _ := NewKeySet(es)
	srv := newJWKSServer(t, keys)
	clk := testclock.At(time.Unix(1764331200, 0))
	remote, err := NewRemoteKeySet(srv.URL, WithClock(clk.Now), WithRefreshInterval(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier(remote, WithClock(clk.Now), WithoutMaxLifetime())
	signed := func(k *Key, kid string) string {
		raw := forge(t, k, `{"alg":"`+string(k.alg)+`","kid":"`+kid+`"}`, `{"sub":"u","exp":4102444800,"iat":1764331200}`)
		return raw
	}
	if _, err := v.Verify(ctx, signed(es, es.KID())); err != nil {
		t.Fatal(err)
	}
	// A flood of unknown kids: at most one extra fetch per interval.
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.Verify(ctx, signed(es, "random-"+strconv.Itoa(i))); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("random kid: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := srv.hits.Load(); n > 2 {
		t.Fatalf("%d fetches for a kid flood, want at most 2", n)
	}
	// A new key is picked up on its first token once the interval passed.
	_ = keys.Add(ed)
	body, _ := keys.PublicJWKS()
	srv.set(http.StatusOK, body)
	clk.Advance(time.Minute)
	if _, err := v.Verify(ctx, signed(ed, ed.KID())); err != nil {
		t.Fatalf("rotated-in key: %v", err)
	}
	// Issuer down after max-age: the cached set keeps working.
	srv.set(http.StatusInternalServerError, []byte("down"))
	clk.Advance(10 * time.Minute)
	before := srv.hits.Load()
	for range 50 {
		if _, err := v.Verify(ctx, signed(es, es.KID())); err != nil {
			t.Fatalf("cached key while issuer down: %v", err)
		}
	}
	if n := srv.hits.Load() - before; n != 1 {
		t.Errorf("%d fetches while down, want 1 per interval", n)
	}
}

func TestRemoteKeySetFailures(t *testing.T) {
	ctx := context.Background()
	keys, _ := NewKeySet(testKey(t, ES256))
	tests := []struct {
		name   string
		status int
		body   []byte
	}{
		{"server error", http.StatusInternalServerError, nil},
		{"oversized body", http.StatusOK, []byte(`{"keys":[],"pad":"` + strings.Repeat("a", 2<<20) + `"}`)},
		{"not JSON", http.StatusOK, []byte("<html>")},
		{"only HMAC keys", http.StatusOK, []byte(`{"keys":[{"kty":"oct","alg":"HS256","k":"` + strings.Repeat("A", 43) + `"}]}`)},
		{"private key published", http.StatusOK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, keys)
			srv.set(tt.status, tt.body)
			if tt.name == "private key published" {
				priv, _ := testKey(t, ES256).MarshalPrivateJWK()
				srv.set(http.StatusOK, []byte(`{"keys":[`+string(priv)+`]}`))
			}
			remote, err := NewRemoteKeySet(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			_, err = remote.VerificationKeys(ctx, "k")
			if tt.name == "private key published" {
				// Private members are ignored; only the public half is used.
				ks, err := remote.VerificationKeys(ctx, "k-ES256")
				if err != nil || ks[0].CanSign() {
					t.Errorf("got %v, %v", ks, err)
				}
				return
			}
			if !errors.Is(err, ErrUnavailable) || !errors.Is(err, authkit.ErrUnavailable) {
				t.Errorf("error = %v, want ErrUnavailable (an authkit.ErrUnavailable)", err)
			}
		})
	}
}

func TestRemoteKeySetURL(t *testing.T) {
	tests := []struct {
		name, url string
		ok        bool
	}{
		{"https", "https://issuer.example/.well-known/jwks.json", true},
		{"loopback http", "http://127.0.0.1:8080/jwks", true},
		{"plain http", "http://issuer.example/jwks", false},
		{"garbage", "::", false},
		{"file", "file:///etc/passwd", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRemoteKeySet(tt.url)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestJWKSHandler(t *testing.T) {
	keys, _ := NewKeySet(testKey(t, ES256), testKey(t, RS256), testKey(t, EdDSA), testKey(t, HS256))
	rec := httptest.NewRecorder()
	keys.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "public, max-age=300" ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/jwk-set+json") {
		t.Fatalf("response %d %v", rec.Code, rec.Header())
	}
	for _, secret := range []string{`"d"`, `"p"`, `"q"`, `"k"`, `"oct"`, `"dp"`} {
		if strings.Contains(body, secret) {
			t.Errorf("JWKS leaks %s: %s", secret, body)
		}
	}
	got, err := ParseJWKS([]byte(body), "")
	if err != nil || len(got) != 3 {
		t.Fatalf("published %d keys, %v", len(got), err)
	}
	rec = httptest.NewRecorder()
	keys.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/.well-known/jwks.json", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

// weakRSAJWK is the public JWK of testdata/keys/rsa1024.pem, a key too weak
// to use, built here so it never needs to pass our own parser.
func weakRSAJWK(t *testing.T, kid string) string {
	t.Helper()
	block, _ := pem.Decode(readTestdata(t, "keys", "rsa1024.pem"))
	if block == nil {
		t.Fatal("rsa1024.pem: no PEM block")
	}
	var pub *rsa.PublicKey
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		pub = &k.PublicKey
	} else if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		pub = &k.(*rsa.PrivateKey).PublicKey
	} else {
		t.Fatal(err)
	}
	if pub.N.BitLen() != 1024 {
		t.Fatalf("rsa1024.pem holds a %d-bit key", pub.N.BitLen())
	}
	b64 := base64.RawURLEncoding
	return fmt.Sprintf(`{"kty":"RSA","alg":"RS256","use":"sig","kid":%q,"n":%q,"e":%q}`,
		kid, b64.EncodeToString(pub.N.Bytes()), b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()))
}

// Issue 9, finding 4: one unusable key in a remote set - a legacy 1024-bit
// RSA key beside a valid ES256 key - is skipped and logged once, and the
// good key keeps working. The same set configured locally still fails.
func TestRemoteKeySetSkipsUnusableKeys(t *testing.T) {
	ctx := context.Background()
	es := testKey(t, ES256)
	keys, _ := NewKeySet(es)
	good, err := keys.PublicJWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(good, &set); err != nil {
		t.Fatal(err)
	}
	set.Keys = append(set.Keys, json.RawMessage(weakRSAJWK(t, "legacy-rsa")), json.RawMessage(`{"kty":"EC","alg":"ES256","kid":"broken","crv":"P-256","x":"AAAA","y":"AAAA"}`))
	body, _ := json.Marshal(set)
	if _, err := ParseJWKS(body, ""); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("ParseJWKS of the set (configured locally): %v, want ErrInvalidKey", err)
	}

	var logs strings.Builder
	var logMu sync.Mutex
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	srv := newJWKSServer(t, keys)
	srv.set(http.StatusOK, body)
	clk := testclock.At(time.Unix(1764331200, 0))
	remote, err := NewRemoteKeySet(srv.URL, WithClock(clk.Now), WithRefreshInterval(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier(remote, WithClock(clk.Now), WithoutMaxLifetime())
	raw := forge(t, es, `{"alg":"ES256","kid":"`+es.KID()+`"}`, `{"sub":"u","exp":4102444800,"iat":1764331200}`)
	for range 3 { // three fetches: the cache expires each time
		if _, err := v.Verify(ctx, raw); err != nil {
			t.Fatalf("token of the good key: %v", err)
		}
		clk.Advance(time.Hour)
	}
	if n := srv.hits.Load(); n < 2 {
		t.Fatalf("%d fetches, want several", n)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if c := strings.Count(out, "kid=legacy-rsa"); c != 1 {
		t.Errorf("the weak key was logged %d times, want once:\n%s", c, out)
	}
	if c := strings.Count(out, "kid=broken"); c != 1 {
		t.Errorf("the malformed key was logged %d times, want once:\n%s", c, out)
	}
	if strings.Contains(out, `"n"`) || strings.Contains(out, "AAAA") {
		t.Errorf("the log carries key material:\n%s", out)
	}
	// A set of nothing but unusable keys still fails.
	srv.set(http.StatusOK, []byte(`{"keys":[`+weakRSAJWK(t, "only")+`]}`))
	remote2, _ := NewRemoteKeySet(srv.URL, WithClock(clk.Now))
	if _, err := remote2.VerificationKeys(ctx, ""); !errors.Is(err, ErrUnavailable) {
		t.Errorf("set of unusable keys only: %v, want ErrUnavailable", err)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
