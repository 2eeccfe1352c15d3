package token

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A JWKS fetch follows redirects only within https (or loopback http to
// loopback http, for tests) and at most maxRedirects deep.
func TestRemoteKeySetRedirects(t *testing.T) {
	keys, _ := NewKeySet(testKey(t, ES256))
	jwks, _ := keys.PublicJWKS()
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		_, _ = w.Write(jwks)
	}))
	defer plain.Close()
	var tlsHits atomic.Int32
	var tlsSrv *httptest.Server
	tlsSrv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tlsHits.Add(1)
		switch r.URL.Path {
		case "/to-plain":
			http.Redirect(w, r, plain.URL+"/jwks", http.StatusFound)
		case "/to-tls":
			http.Redirect(w, r, tlsSrv.URL+"/jwks", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, tlsSrv.URL+"/loop", http.StatusFound)
		default:
			_, _ = w.Write(jwks)
		}
	}))
	defer tlsSrv.Close()

	tests := []struct {
		name       string
		path       string
		wantErr    bool
		maxTLSHits int32
	}{
		{"https to https is followed", "/to-tls", false, 2},
		{"https to plain http is refused", "/to-plain", true, 1},
		{"redirect loops stop", "/loop", true, maxRedirects},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plainHits.Store(0)
			tlsHits.Store(0)
			r, err := NewRemoteKeySet(tlsSrv.URL+tt.path, WithHTTPClient(tlsSrv.Client()))
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.VerificationKeys(context.Background(), "")
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrUnavailable)) {
				t.Fatalf("fetch error = %v, want an error: %v", err, tt.wantErr)
			}
			if got := plainHits.Load(); got != 0 {
				t.Errorf("the plain-http server was hit %d times", got)
			}
			if got := tlsHits.Load(); got > tt.maxTLSHits {
				t.Errorf("the https server was hit %d times, want at most %d", got, tt.maxTLSHits)
			}
		})
	}
}
