package headers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/headers"
)

// TestAllocationBudgets pins what setting the headers allocates on a
// net/http header map, and as bytes (ApplyBytes): nothing (the values are computed once per Policy);
// with nonces, the string holding the nonce and its CSP, the value that
// carries both, and the context.
func TestAllocationBudgets(t *testing.T) {
	ctx := context.Background()
	p, err := headers.New()
	if err != nil {
		t.Fatal(err)
	}
	h := make(http.Header, 16)
	authtest.AllocBudget(t, "ApplyHeader", 0, func() {
		if _, err := p.ApplyHeader(ctx, h, true); err != nil {
			t.Fatal(err)
		}
	})
	authtest.AllocBudget(t, "ApplyBytes", 0, func() {
		if _, err := p.ApplyBytes(ctx, func(_, _ []byte) {}, true); err != nil {
			t.Fatal(err)
		}
	})
	pn, err := headers.New(headers.WithNonce())
	if err != nil {
		t.Fatal(err)
	}
	authtest.AllocBudget(t, "ApplyHeader with a nonce", 3, func() {
		if _, err := pn.ApplyHeader(ctx, h, true); err != nil {
			t.Fatal(err)
		}
	})
}

// The values ApplyHeader shares between responses survive what handlers
// do to their header map: Add appends to a copy, Set and Del replace the
// map entry only.
func TestSharedValuesSurviveHandlers(t *testing.T) {
	ctx := context.Background()
	p, err := headers.New()
	if err != nil {
		t.Fatal(err)
	}
	first := make(http.Header)
	if _, err := p.ApplyHeader(ctx, first, true); err != nil {
		t.Fatal(err)
	}
	first.Add(headers.FrameOptions, "SAMEORIGIN")
	first.Set(headers.ReferrerPolicy, "no-referrer")
	first.Del(headers.ContentTypeOptions)
	first[headers.HSTS] = append(first[headers.HSTS], "max-age=0")
	second := make(http.Header)
	if _, err := p.ApplyHeader(ctx, second, true); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		headers.FrameOptions:       headers.DefaultFrameOptions,
		headers.ReferrerPolicy:     headers.DefaultReferrerPolicy,
		headers.ContentTypeOptions: headers.DefaultContentTypeOptions,
		headers.HSTS:               headers.DefaultHSTS,
	} {
		if got := second.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s on the next response: %q, want %q", name, got, want)
		}
	}
	if got := first.Values(headers.FrameOptions); len(got) != 2 {
		t.Errorf("the handler's Add was lost: %q", got)
	}
}

func TestNonceInsideItsPolicy(t *testing.T) {
	p, err := headers.New(headers.WithNonce(), headers.WithHeader(headers.ContentSecurityPolicy, "script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 3 {
		h := make(http.Header)
		ctx, err := p.ApplyHeader(context.Background(), h, true)
		if err != nil {
			t.Fatal(err)
		}
		n, ok := headers.NonceFrom(ctx)
		if !ok || len(n) != 24 || seen[n] {
			t.Fatalf("nonce %q (%v), seen before: %v", n, ok, seen[n])
		}
		seen[n] = true
		if want := "script-src 'nonce-" + n + "'; style-src 'nonce-" + n + "'"; h.Get(headers.ContentSecurityPolicy) != want {
			t.Fatalf("CSP %q, want %q", h.Get(headers.ContentSecurityPolicy), want)
		}
	}
}
