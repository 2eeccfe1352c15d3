package headers_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/headers"
)

func apply(t *testing.T, p *headers.Policy, secure bool) (map[string]string, context.Context) {
	t.Helper()
	got := map[string]string{}
	ctx, err := p.Apply(context.Background(), func(k, v string) { got[k] = v }, secure)
	if err != nil {
		t.Fatal(err)
	}
	return got, ctx
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  headers.Option
	}{
		{"CRLF in value", headers.WithHeader("X-A", "a\r\nSet-Cookie: x=1")},
		{"LF in value", headers.WithHeader("X-A", "a\nb")},
		{"NUL in value", headers.WithHeader("X-A", "a\x00")},
		{"empty value", headers.WithHeader("X-A", "")},
		{"space in name", headers.WithHeader("X A", "v")},
		{"colon in name", headers.WithHeader("X-A:", "v")},
		{"leading dash in name", headers.WithHeader("-X", "v")},
		{"trailing dash in name", headers.WithHeader("X-", "v")},
		{"doubled dash in name", headers.WithHeader("X--A", "v")},
		{"lone dash as name", headers.WithHeader("-", "v")},
		{"empty name", headers.Without("")},
		{"placeholder without nonce", headers.WithHeader(headers.ContentSecurityPolicy, "script-src 'nonce-{nonce}'")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := headers.New(tt.opt); !errors.Is(err, headers.ErrInvalidOption) {
				t.Errorf("err = %v, want ErrInvalidOption", err)
			}
		})
	}
	if _, err := headers.New(headers.WithNonce(), headers.Without(headers.ContentSecurityPolicy)); !errors.Is(err, headers.ErrInvalidOption) {
		t.Errorf("nonce without CSP: err = %v", err)
	}
}

func TestApplyDefaultsAndHSTSOverTLS(t *testing.T) {
	p, err := headers.New(headers.WithHSTSOnlyOverTLS(), headers.WithHeader("x-extra", "1"))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := apply(t, p, false)
	if _, ok := plain[headers.HSTS]; ok {
		t.Error("HSTS sent over plain HTTP with WithHSTSOnlyOverTLS")
	}
	if plain["X-Extra"] != "1" || plain[headers.FrameOptions] != "DENY" {
		t.Errorf("headers = %v", plain)
	}
	tls, _ := apply(t, p, true)
	if tls[headers.HSTS] != headers.DefaultHSTS {
		t.Errorf("HSTS over TLS = %q", tls[headers.HSTS])
	}
}

func TestNonceIsFreshAndInCSP(t *testing.T) {
	p, err := headers.New(headers.WithNonce())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		got, ctx := apply(t, p, false)
		n, ok := headers.NonceFrom(ctx)
		if !ok || len(n) != 24 {
			t.Fatalf("nonce %q (ok %v), want 24 base64 chars", n, ok)
		}
		if seen[n] {
			t.Fatalf("nonce %q repeated", n)
		}
		seen[n] = true
		if !strings.Contains(got[headers.ContentSecurityPolicy], "'nonce-"+n+"'") {
			t.Fatalf("CSP %q lacks the nonce", got[headers.ContentSecurityPolicy])
		}
	}
}

func TestHSTSValue(t *testing.T) {
	if got := headers.HSTSValue(31536000, true, false); got != "max-age=31536000; includeSubDomains" {
		t.Errorf("got %q", got)
	}
}

func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []headers.Option
	}{{"defaults", nil}, {"nonce", []headers.Option{headers.WithNonce()}}} {
		b.Run(bc.name, func(b *testing.B) {
			p, _ := headers.New(bc.opts...)
			set := func(string, string) {}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Apply(ctx, set, false)
			}
		})
	}
}

func TestApplyHeaderMatchesApplyAndIsolatesValues(t *testing.T) {
	p, err := headers.New(headers.WithNonce())
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	ctx, err := p.ApplyHeader(context.Background(), h, true)
	if err != nil {
		t.Fatal(err)
	}
	nonce, _ := headers.NonceFrom(ctx)
	want := map[string]string{
		headers.HSTS:                      headers.DefaultHSTS,
		headers.ContentSecurityPolicy:     "default-src 'self'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self' 'nonce-" + nonce + "'",
		headers.ContentTypeOptions:        headers.DefaultContentTypeOptions,
		headers.FrameOptions:              headers.DefaultFrameOptions,
		headers.ReferrerPolicy:            headers.DefaultReferrerPolicy,
		headers.PermissionsPolicy:         headers.DefaultPermissionsPolicy,
		headers.CrossOriginOpenerPolicy:   headers.DefaultCrossOriginOpenerPolicy,
		headers.CrossOriginResourcePolicy: headers.DefaultCrossOriginResourcePolicy,
	}
	if len(h) != len(want) {
		t.Fatalf("got %d headers, want %d: %v", len(h), len(want), h)
	}
	for k, v := range want {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// A handler appending to one header must not overwrite another.
	h.Add(headers.FrameOptions, "SAMEORIGIN")
	if got := h.Values(headers.ReferrerPolicy); len(got) != 1 || got[0] != headers.DefaultReferrerPolicy {
		t.Errorf("appending to X-Frame-Options changed Referrer-Policy: %q", got)
	}
}

func TestRestore(t *testing.T) {
	p, err := headers.New()
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	get, set := h.Get, h.Set
	p.Restore(context.Background(), get, set, false)
	if h.Get(headers.FrameOptions) != headers.DefaultFrameOptions || h.Get(headers.HSTS) != headers.DefaultHSTS {
		t.Fatalf("an empty response was not restored: %v", h)
	}
	h2 := http.Header{}
	h2.Set(headers.ReferrerPolicy, "no-referrer")
	p.Restore(context.Background(), h2.Get, h2.Set, false)
	if len(h2) != 1 {
		t.Errorf("a response holding one of the headers was changed: %v", h2)
	}

	// With nonces: the request's nonce, or, for a request Apply never saw
	// (a server's own error answer), a fresh one rather than no CSP.
	pn, err := headers.New(headers.WithNonce())
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := pn.Apply(context.Background(), func(string, string) {}, false)
	if err != nil {
		t.Fatal(err)
	}
	nonce, _ := headers.NonceFrom(ctx)
	h3 := http.Header{}
	pn.Restore(ctx, h3.Get, h3.Set, false)
	if got := h3.Get(headers.ContentSecurityPolicy); !strings.Contains(got, "'nonce-"+nonce+"'") {
		t.Errorf("restored CSP = %q, want the request's nonce %q", got, nonce)
	}
	h4 := http.Header{}
	pn.Restore(context.Background(), h4.Get, h4.Set, false)
	if got := h4.Get(headers.ContentSecurityPolicy); !strings.Contains(got, "'nonce-") || strings.Contains(got, "'nonce-'") {
		t.Errorf("restored CSP without a request nonce = %q, want one with a fresh nonce", got)
	}
}

// ApplyBytes sets what Apply sets, for every kind of policy, and the
// bytes it hands out are the same on every call (prepared once).
func TestApplyBytesMatchesApply(t *testing.T) {
	policies := map[string][]headers.Option{
		"defaults":     nil,
		"HSTS on TLS":  {headers.WithHSTSOnlyOverTLS()},
		"without HSTS": {headers.WithoutHSTS(), headers.Without(headers.FrameOptions)},
		"custom":       {headers.WithHeader("x-extra", "1"), headers.WithHeader(headers.ReferrerPolicy, "no-referrer")},
		"nonce":        {headers.WithNonce()},
	}
	for name, opts := range policies {
		p, err := headers.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		for _, secure := range []bool{false, true} {
			want, wctx := apply(t, p, secure)
			got := map[string]string{}
			ctx, err := p.ApplyBytes(context.Background(), func(k, v []byte) { got[string(k)] = string(v) }, secure)
			if err != nil {
				t.Fatal(err)
			}
			if n, ok := headers.NonceFrom(ctx); ok {
				wn, _ := headers.NonceFrom(wctx)
				want[headers.ContentSecurityPolicy] = strings.ReplaceAll(want[headers.ContentSecurityPolicy], wn, n)
			}
			if len(got) != len(want) {
				t.Errorf("%s, secure %v: ApplyBytes set %v, Apply %v", name, secure, got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s, secure %v: %s = %q, Apply sets %q", name, secure, k, got[k], v)
				}
			}
		}
	}
}
