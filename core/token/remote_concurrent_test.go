package token

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// gatedTransport answers every request with body, but only once release
// is closed.
type gatedTransport struct {
	body    []byte
	release chan struct{}
	hits    atomic.Int32
}

func (g *gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	g.hits.Add(1)
	<-g.release
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(g.body)),
		Request:    req,
	}, nil
}

// Callers that arrive while the first JWKS fetch is still running wait for
// it: none fails with ErrUnavailable, and there is one fetch.
func TestRemoteKeySetFirstFetchIsShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := testKey(t, ES256)
		keys, _ := NewKeySet(key)
		body, _ := keys.PublicJWKS()
		gate := &gatedTransport{body: body, release: make(chan struct{})}
		remote, err := NewRemoteKeySet("https://issuer.example/jwks", WithHTTPClient(&http.Client{Transport: gate}))
		if err != nil {
			t.Fatal(err)
		}
		const callers = 20
		errs := make(chan error, callers)
		for range callers {
			go func() {
				_, err := remote.VerificationKeys(context.Background(), key.KID())
				errs <- err
			}()
		}
		synctest.Wait() // every caller is in the fetch or waiting for it
		close(gate.release)
		for range callers {
			if err := <-errs; err != nil {
				t.Errorf("caller during the first fetch: %v", err)
			}
		}
		if n := gate.hits.Load(); n != 1 {
			t.Errorf("%d fetches, want 1", n)
		}
	})
}
