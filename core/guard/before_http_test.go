package guard_test

import (
	"context"
	"crypto/tls"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
)

// BeforeHTTP answers as Before does, through its Exchange-free path for
// headers-only guards and through Before for the others: the same header
// fields, and a nonce in the context exactly when Before puts one there.
func TestBeforeHTTPIsBefore(t *testing.T) {
	befores := []func(g *guard.Guard, w http.ResponseWriter, r *http.Request) (context.Context, *guard.Denial){
		func(g *guard.Guard, w http.ResponseWriter, r *http.Request) (context.Context, *guard.Denial) {
			return g.Before(guard.HTTPExchange{W: w, R: r})
		},
		(*guard.Guard).BeforeHTTP,
	}
	for _, tc := range []struct {
		name string
		opts []guard.Option
	}{
		{"defaults", nil},
		{"no headers", []guard.Option{guard.WithoutHeaders()}},
		{"nonce", []guard.Option{guard.WithHeaders(headers.WithNonce())}},
		{"HSTS over TLS only", []guard.Option{guard.WithHeaders(headers.WithHSTSOnlyOverTLS())}},
		{"HSTS over TLS only, behind a proxy", []guard.Option{guard.WithHeaders(headers.WithHSTSOnlyOverTLS()), guard.WithTrustedProxies("192.0.2.0/24")}},
		{"more than headers", []guard.Option{guard.WithHeaders(headers.WithNonce(), headers.WithHSTSOnlyOverTLS()), guard.WithRefreshCookie("/refresh"), guard.WithTrustedProxies("192.0.2.0/24")}},
	} {
		g, err := guard.New(tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		for _, req := range []struct {
			name  string
			tls   bool
			proto string
		}{{"plain", false, ""}, {"tls", true, ""}, {"forwarded https", false, "https"}} {
			t.Run(tc.name+"/"+req.name, func(t *testing.T) {
				var got [2]http.Header
				var nonce [2]bool
				for i, before := range befores {
					r := httptest.NewRequest("GET", "http://app.example/", nil) // from 192.0.2.1
					if req.tls {
						r.TLS = &tls.ConnectionState{}
					}
					if req.proto != "" {
						r.Header.Set("X-Forwarded-Proto", req.proto)
					}
					w := httptest.NewRecorder()
					ctx, d := before(g, w, r)
					if d != nil {
						t.Fatalf("denied: %d", d.Status)
					}
					got[i] = w.Header()
					var n string
					n, nonce[i] = headers.NonceFrom(ctx)
					if csp := got[i].Get(headers.ContentSecurityPolicy); n != "" {
						got[i].Set(headers.ContentSecurityPolicy, strings.ReplaceAll(csp, n, "NONCE")) // random per request
					}
				}
				if !maps.EqualFunc(got[0], got[1], slices.Equal[[]string]) || nonce[0] != nonce[1] {
					t.Errorf("Before: %v (nonce %v)\nBeforeHTTP: %v (nonce %v)", got[0], nonce[0], got[1], nonce[1])
				}
			})
		}
	}
}
