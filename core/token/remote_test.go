package token

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
	clk := clockAt(time.Unix(1764331200, 0))
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
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("error = %v, want ErrUnavailable", err)
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
