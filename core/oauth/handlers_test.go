package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/token"
)

// serve runs h for req as an adapter's Serve does and returns the answer.
func serve(h port.Handler, req *http.Request) *http.Response {
	rec := httptest.NewRecorder()
	rep := guard.Serve(port.HTTPExchange{W: rec, R: req}, h)
	rec.WriteHeader(rep.Status)
	rec.Write(rep.Body)
	return rec.Result()
}

func newHandlers(t *testing.T, c *oauth.Client, signIn oauth.SignInFunc, opts ...oauth.Option) *oauth.Handlers {
	t.Helper()
	if signIn == nil {
		signIn = func(context.Context, *oauth.Result) (string, error) {
			t.Error("signIn called for a refused callback")
			return "", errors.New("unexpected")
		}
	}
	h, err := oauth.NewHandlers(c, signIn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLoginHandler(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey)
	h := newHandlers(t, c, nil)
	for _, tc := range []struct {
		query, next string
	}{
		{"next=%2Fsettings%3Ftab%3D2", "/settings?tab=2"},
		{"", "/"},
		{"next=%2F%2Fevil.example", "/"},
		{"next=https%3A%2F%2Fevil.example", "/"},
		{"next=%2Fa&next=%2Fb", "/"},      // repeated: neither
		{"next=%2Fa;x=1", "/"},            // a query that does not parse
		{"next=%2Fa&other=%2F%2Fb", "/a"}, // other parameters do not matter
	} {
		t.Run(tc.query, func(t *testing.T) {
			resp := serve(h.Login(), httptest.NewRequest("GET", "/oauth/login?"+tc.query, nil))
			loc, err := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != testProvide.AuthorizationEndpoint {
				t.Fatalf("answer %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			q := loc.Query()
			if q.Get("code_challenge_method") != "S256" || len(q.Get("state")) != 43 || len(q.Get("nonce")) != 43 || q.Get("redirect_uri") != testRedir {
				t.Errorf("authorization request %v", q)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			cookies := resp.Cookies()
			if len(cookies) != 1 || !strings.HasPrefix(cookies[0].Name, oauth.CookiePrefix) || !cookies[0].HttpOnly || !cookies[0].Secure ||
				cookies[0].SameSite != http.SameSiteLaxMode {
				t.Fatalf("cookies %v", cookies)
			}
			next, err := oauth.OpenAttemptNext(c, q.Get("state"), cookies[0].Value)
			if err != nil || next != tc.next {
				t.Errorf("sealed next %q (%v), want %q", next, err, tc.next)
			}
		})
	}
}

// A refused callback answers its code word in a 400 problem, clears the
// attempt cookie, signs nobody in and is audited with the word.
func TestCallbackHandlerRefusals(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey)
	rec := &audittest.Recorder{}
	h := newHandlers(t, c, nil, oauth.WithAudit(rec), oauth.WithClientIP(func(port.Exchange) string { return "192.0.2.7" }))
	for _, tc := range []struct {
		name    string
		query   func(state string) string
		cookie  bool
		code    string
		reason  string
		cleared bool
	}{
		{"state missing", func(string) string { return "code=abc" }, true, oauth.CodeStateMissing, "state_missing", false},
		{"state forged", func(string) string { return "code=abc&state=" + strings.Repeat("A", 43) }, true, oauth.CodeStateMismatch, "state_mismatch", false},
		{"no attempt cookie (login CSRF)", func(s string) string { return "code=abc&state=" + s }, false, oauth.CodeStateMismatch, "state_mismatch", false},
		{"provider error", func(s string) string { return "error=access_denied&state=" + s }, true, oauth.CodeProviderError, "provider_error:access_denied", true},
		{"code missing", func(s string) string { return "state=" + s }, true, oauth.CodeCodeMissing, "code_missing", true},
		{"iss mismatch", func(s string) string { return "code=abc&iss=https%3A%2F%2Fevil.example&state=" + s }, true, oauth.CodeIssMismatch, "iss_mismatch", true},
		{"malformed", func(s string) string { return "code=a&code=b&state=" + s }, true, oauth.CodeCallbackMalformed, "callback_malformed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.Reset()
			a := begin(t, c, "/")
			req := httptest.NewRequest("GET", "/oauth/callback?"+tc.query(a.params.Get("state")), nil)
			req.Header.Set("User-Agent", "test-agent")
			if tc.cookie {
				req.AddCookie(&http.Cookie{Name: a.cookie.Name, Value: a.cookie.Value})
			}
			resp := serve(h.Callback(), req)
			var body map[string]any
			if resp.StatusCode != 400 || json.NewDecoder(resp.Body).Decode(&body) != nil || body["code"] != tc.code ||
				body["type"] != guard.TypeInvalidRequest || resp.Header.Get("Content-Type") != guard.ProblemContentType {
				t.Fatalf("answer %d %v", resp.StatusCode, body)
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Location") != "" {
				t.Errorf("Cache-Control %q, Location %q", resp.Header.Get("Cache-Control"), resp.Header.Get("Location"))
			}
			var cleared bool
			for _, ck := range resp.Cookies() {
				if ck.Name == a.cookie.Name && ck.MaxAge < 0 {
					cleared = true
				}
			}
			if cleared != tc.cleared {
				t.Errorf("attempt cookie cleared: %v, want %v (%v)", cleared, tc.cleared, resp.Cookies())
			}
			evs := rec.Events()
			if len(evs) != 1 || evs[0].Kind != audit.OAuthFailed || evs[0].Reason != tc.reason || evs[0].IP != "192.0.2.7" || evs[0].UserAgent != "test-agent" {
				t.Errorf("audit events %+v", evs)
			}
		})
	}
}

// A provider that cannot be reached is a 503 with its word, also audited.
func TestCallbackHandlerProviderUnavailable(t *testing.T) {
	dead := deadServer(t)
	p := oauth.Provider{Issuer: dead, AuthorizationEndpoint: dead + "/authorize", TokenEndpoint: dead + "/token", JWKSURI: dead + "/keys"}
	c := newClient(t, p, "app", testKey)
	rec := &audittest.Recorder{}
	h := newHandlers(t, c, nil, oauth.WithAudit(rec))
	a := begin(t, c, "/")
	req := httptest.NewRequest("GET", "/oauth/callback?code=abc&state="+a.params.Get("state"), nil)
	req.AddCookie(&http.Cookie{Name: a.cookie.Name, Value: a.cookie.Value})
	resp := serve(h.Callback(), req)
	var body map[string]any
	if resp.StatusCode != 503 || json.NewDecoder(resp.Body).Decode(&body) != nil || body["code"] != oauth.CodeProviderUnavailable {
		t.Fatalf("answer %d %v", resp.StatusCode, body)
	}
	if evs := rec.Of(audit.OAuthFailed); len(evs) != 1 || evs[0].Reason != oauth.CodeProviderUnavailable || evs[0].IP != "192.0.2.1" {
		t.Errorf("audit events %+v", rec.Events())
	}
}

func TestNewHandlersRefusesBadConfig(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey)
	signIn := func(context.Context, *oauth.Result) (string, error) { return "", nil }
	for name, f := range map[string]func() error{
		"nil client":      func() error { _, err := oauth.NewHandlers(nil, signIn); return err },
		"nil sign-in":     func() error { _, err := oauth.NewHandlers(c, nil); return err },
		"nil audit":       func() error { _, err := oauth.NewHandlers(c, signIn, oauth.WithAudit(nil)); return err },
		"nil client IP":   func() error { _, err := oauth.NewHandlers(c, signIn, oauth.WithClientIP(nil)); return err },
		"a client option": func() error { _, err := oauth.NewHandlers(c, signIn, oauth.WithScopes("email")); return err },
		"WithAudit on NewClient": func() error {
			_, err := oauth.NewClient(&testProvide, "app", []string{testRedir}, testKey, oauth.WithAudit(audit.Discard))
			return err
		},
	} {
		if err := f(); !errors.Is(err, oauth.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
}

// Every refusal wraps the root of its kind and no other: guard.ProblemFor
// answers 400 (503 for provider_unavailable) with the word, even when the
// cause is a token error (which wraps authkit.ErrInvalidToken, a 401).
func TestErrorRoots(t *testing.T) {
	codes := []string{
		oauth.CodeCallbackMalformed, oauth.CodeStateMissing, oauth.CodeStateMismatch, oauth.CodeStateExpired,
		oauth.CodeIssMissing, oauth.CodeIssMismatch, oauth.CodeProviderError, oauth.CodeCodeMissing,
		oauth.CodeInvalidGrant, oauth.CodeTokenError, oauth.CodeIDTokenMissing, oauth.CodeIDTokenInvalid,
		oauth.CodeUserinfoInvalid, oauth.CodeProviderUnavailable,
	}
	for _, code := range codes {
		err := fmt.Errorf("callback: %w", &oauth.Error{Code: code, Err: fmt.Errorf("verify: %w", token.ErrExpired)})
		p := guard.ProblemFor(err)
		want, root := 400, authkit.ErrInvalidRequest
		if code == oauth.CodeProviderUnavailable {
			want, root = 503, authkit.ErrUnavailable
		}
		if !errors.Is(err, root) || errors.Is(err, authkit.ErrInvalidToken) || p.Status != want || p.Extensions["code"] != code || p.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("%s: root %v, invalid token %v, answer %d %v %v", code, errors.Is(err, root), errors.Is(err, authkit.ErrInvalidToken), p.Status, p.Extensions, p.Header)
		}
		var oe *oauth.Error
		if !errors.As(err, &oe) || oe.Status() != want || !errors.Is(oe.Err, token.ErrExpired) {
			t.Errorf("%s: Status %d, cause %v", code, oe.Status(), oe.Err)
		}
	}
}

func TestResultPrincipal(t *testing.T) {
	before := time.Now()
	r := &oauth.Result{Issuer: "https://accounts.example.com", Subject: "248289761001", AMR: []string{"pwd", "mfa"}}
	p := r.Principal()
	// No auth_time: signed in now, the second factor's time unknown.
	if !strings.HasPrefix(p.Subject, oauth.LocalSubjectPrefix) || !strings.HasSuffix(p.Subject, ":248289761001") || !p.HasMFA() ||
		p.AuthTime.Before(before) || p.AuthTime.After(time.Now()) || !p.MFAAt.IsZero() {
		t.Fatalf("principal %+v", p)
	}
	r.AuthTime = before.Add(-time.Hour)
	if p := r.Principal(); !p.AuthTime.Equal(r.AuthTime) || !p.MFAAt.Equal(r.AuthTime) {
		t.Fatalf("with auth_time: principal %+v", p)
	}
	if p := (&oauth.Result{Issuer: r.Issuer, Subject: r.Subject, AMR: []string{"pwd"}, AuthTime: r.AuthTime}).Principal(); !p.MFAAt.IsZero() {
		t.Fatalf("without a second factor: MFAAt %v", p.MFAAt)
	}
	p.AMR[0] = "changed"
	if r.AMR[0] != "pwd" {
		t.Error("the principal shares the result's AMR")
	}
	other := &oauth.Result{Issuer: "https://login.example.org", Subject: "248289761001"}
	if other.LocalSubject() == r.LocalSubject() {
		t.Error("equal subs at two issuers are one local subject")
	}
	if (&oauth.Result{Issuer: "https://op.example"}).LocalSubject() != "" {
		t.Error("a result without sub has a local subject")
	}
}

// FuzzLoginHandler: whatever the login's query, the answer is a redirect
// to the provider whose attempt seals a return path SafeReturnPath
// accepts.
func FuzzLoginHandler(f *testing.F) {
	for _, q := range []string{"", "next=%2Fa", "next=%2F%2Fevil", "next=/a&next=/b", "next=%zz", "next=/a;b", "next=%2F%5Cevil", "next=" + strings.Repeat("%2F", 600), "next=\x00", "a=b&&&next"} {
		f.Add(q)
	}
	for _, p := range hostileNext {
		f.Add("next=" + url.QueryEscape(p))
	}
	c, err := oauth.NewClient(&testProvide, "app", []string{testRedir}, testKey)
	if err != nil {
		f.Fatal(err)
	}
	h, err := oauth.NewHandlers(c, func(context.Context, *oauth.Result) (string, error) { return "", nil }, oauth.WithAudit(audit.Discard))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest("GET", "/oauth/login", nil)
		req.URL.RawQuery = rawQuery
		resp := serve(h.Login(), req)
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), testProvide.AuthorizationEndpoint+"?") {
			t.Fatalf("query %q: %d %q", rawQuery, resp.StatusCode, resp.Header.Get("Location"))
		}
		cookies := resp.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("query %q: cookies %v", rawQuery, cookies)
		}
		next, err := oauth.OpenAttemptNext(c, loc.Query().Get("state"), cookies[0].Value)
		if _, ok := oauth.SafeReturnPath(next); err != nil || !ok {
			t.Fatalf("query %q sealed next %q (%v)", rawQuery, next, err)
		}
	})
}
