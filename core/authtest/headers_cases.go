package authtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
)

// DefaultHeaders are the exact header values every response carries when the
// guard runs with no options.
var DefaultHeaders = map[string]string{
	headers.HSTS:                      "max-age=63072000; includeSubDomains; preload",
	headers.ContentSecurityPolicy:     "default-src 'self'",
	headers.ContentTypeOptions:        "nosniff",
	headers.FrameOptions:              "DENY",
	headers.ReferrerPolicy:            "strict-origin-when-cross-origin",
	headers.PermissionsPolicy:         headers.DefaultPermissionsPolicy,
	headers.CrossOriginOpenerPolicy:   "same-origin",
	headers.CrossOriginResourcePolicy: "same-origin",
}

// headerRoutes is the app every header case runs against.
func headerRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/ok", Handle: fixed(http.StatusOK, "ok")},
		{Method: http.MethodGet, Path: "/fail", Handle: fixed(http.StatusInternalServerError, "boom")},
		{Method: http.MethodPost, Path: "/only-post", Handle: fixed(http.StatusOK, "posted")},
		{Method: http.MethodGet, Path: "/nonce", Handle: func(ctx context.Context) Reply {
			n, _ := headers.NonceFrom(ctx)
			return Reply{Status: http.StatusOK, Body: n}
		}},
		{Method: http.MethodGet, Path: "/protected", Rules: []guard.Rule{guard.Authenticated()}, Handle: fixed(http.StatusOK, "secret")},
	}
}

type headerCase struct {
	name       string
	opts       []guard.Option
	method     string
	path       string
	wantStatus int
	// want holds exact values; "" means the header must be absent.
	want map[string]string
}

func withDefaults(changes map[string]string) map[string]string {
	m := make(map[string]string, len(DefaultHeaders)+len(changes))
	for k, v := range DefaultHeaders {
		m[k] = v
	}
	for k, v := range changes {
		m[k] = v
	}
	return m
}

func runHeaderCases(t *testing.T, f Factory) {
	cases := []headerCase{
		{name: "defaults on 200", method: "GET", path: "/ok", wantStatus: 200, want: DefaultHeaders},
		{name: "defaults on 404", method: "GET", path: "/missing", wantStatus: 404, want: DefaultHeaders},
		{name: "defaults on 405", method: "GET", path: "/only-post", wantStatus: 405, want: DefaultHeaders},
		{name: "defaults on handler-written 500", method: "GET", path: "/fail", wantStatus: 500, want: DefaultHeaders},
		{name: "defaults on a denial", method: "GET", path: "/protected", wantStatus: 401, want: withDefaults(map[string]string{
			"Content-Type": guard.ProblemContentType, "WWW-Authenticate": guard.BearerChallenge,
		})},
		{
			name:   "override",
			opts:   []guard.Option{guard.WithHeaders(headers.WithHeader("content-security-policy", "default-src 'none'"), headers.WithHeader(headers.FrameOptions, "SAMEORIGIN"))},
			method: "GET", path: "/ok", wantStatus: 200,
			want: withDefaults(map[string]string{headers.ContentSecurityPolicy: "default-src 'none'", headers.FrameOptions: "SAMEORIGIN"}),
		},
		{
			name:   "override on 404",
			opts:   []guard.Option{guard.WithHeaders(headers.WithHeader(headers.ReferrerPolicy, "no-referrer"))},
			method: "GET", path: "/missing", wantStatus: 404,
			want: withDefaults(map[string]string{headers.ReferrerPolicy: "no-referrer"}),
		},
		{
			name:   "removal",
			opts:   []guard.Option{guard.WithHeaders(headers.Without(headers.PermissionsPolicy), headers.WithoutHSTS())},
			method: "GET", path: "/ok", wantStatus: 200,
			want: withDefaults(map[string]string{headers.PermissionsPolicy: "", headers.HSTS: ""}),
		},
		{
			name:   "HSTS limited to TLS is absent over plain HTTP",
			opts:   []guard.Option{guard.WithHeaders(headers.WithHSTSOnlyOverTLS())},
			method: "GET", path: "/ok", wantStatus: 200,
			want: withDefaults(map[string]string{headers.HSTS: ""}),
		},
		{
			name:   "all headers off",
			opts:   []guard.Option{guard.WithoutHeaders()},
			method: "GET", path: "/ok", wantStatus: 200,
			want: func() map[string]string {
				m := map[string]string{}
				for k := range DefaultHeaders {
					m[k] = ""
				}
				return m
			}(),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := f(t, tc.opts, headerRoutes())
			resp, body := do(t, app, httptest.NewRequest(tc.method, tc.path, nil))
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", resp.StatusCode, tc.wantStatus, body)
			}
			checkHeaders(t, resp.Header, tc.want)
		})
	}

	// Frameworks' test harnesses differ in the peer address they report, so
	// the proxy cases trust either every address or none that a test can use.
	t.Run("HSTS limited to TLS believes X-Forwarded-Proto only from trusted proxies", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			proxies []string
			want    string
		}{
			{"peer trusted", []string{"0.0.0.0/0", "::/0"}, headers.DefaultHSTS},
			{"peer not trusted", []string{"203.0.113.0/24"}, ""},
		} {
			opts := []guard.Option{guard.WithHeaders(headers.WithHSTSOnlyOverTLS()), guard.WithTrustedProxies(tc.proxies...)}
			app := f(t, opts, headerRoutes())
			req := httptest.NewRequest("GET", "/ok", nil)
			req.Header.Set("X-Forwarded-Proto", "https")
			resp, _ := do(t, app, req)
			if got := resp.Header.Get(headers.HSTS); got != tc.want {
				t.Errorf("%s: HSTS = %q, want %q", tc.name, got, tc.want)
			}
		}
	})

	t.Run("nonce fresh per request and visible to the handler", func(t *testing.T) {
		app := f(t, []guard.Option{guard.WithHeaders(headers.WithNonce())}, headerRoutes())
		seen := map[string]bool{}
		for i := 0; i < 3; i++ {
			resp, body := do(t, app, httptest.NewRequest("GET", "/nonce", nil))
			if resp.StatusCode != 200 {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			if len(body) < 22 {
				t.Fatalf("handler saw nonce %q, want at least 128 bits of base64", body)
			}
			want := "default-src 'self'; script-src 'self' 'nonce-" + body + "'; style-src 'self' 'nonce-" + body + "'"
			if got := resp.Header.Get(headers.ContentSecurityPolicy); got != want {
				t.Errorf("CSP = %q, want %q", got, want)
			}
			if seen[body] {
				t.Errorf("nonce %q repeated", body)
			}
			seen[body] = true
		}
	})

	t.Run("nonce placeholder in a custom CSP", func(t *testing.T) {
		opts := []guard.Option{guard.WithHeaders(headers.WithNonce(), headers.WithHeader(headers.ContentSecurityPolicy, "script-src 'nonce-{nonce}'"))}
		app := f(t, opts, headerRoutes())
		resp, body := do(t, app, httptest.NewRequest("GET", "/nonce", nil))
		if want := "script-src 'nonce-" + body + "'"; body == "" || resp.Header.Get(headers.ContentSecurityPolicy) != want {
			t.Errorf("CSP = %q with nonce %q, want %q", resp.Header.Get(headers.ContentSecurityPolicy), body, want)
		}
	})

	t.Run("no nonce when nonces are off", func(t *testing.T) {
		app := f(t, nil, headerRoutes())
		if _, body := do(t, app, httptest.NewRequest("GET", "/nonce", nil)); body != "" {
			t.Errorf("handler saw nonce %q with nonces off", body)
		}
	})
}

func checkHeaders(t *testing.T, h http.Header, want map[string]string) {
	t.Helper()
	for name, v := range want {
		got := h.Values(name)
		switch {
		case v == "" && len(got) > 0:
			t.Errorf("%s = %q, want it absent", name, got)
		case v != "" && (len(got) != 1 || got[0] != v):
			t.Errorf("%s = %q, want exactly %q", name, strings.Join(got, " | "), v)
		}
	}
}
