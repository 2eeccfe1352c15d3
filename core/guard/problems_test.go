package guard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// limited is a feature's typed refusal, as core/ratelimit's or core/mfa's
// would be: it wraps the root and says when to retry and which fields to
// send, without the guard importing the feature.
type limited struct {
	retry time.Duration
}

func (e *limited) Error() string             { return "feature: limited (secret key alice@example.com)" }
func (e *limited) Unwrap() error             { return authkit.ErrRateLimited }
func (e *limited) RetryDelay() time.Duration { return e.retry }
func (e *limited) HeaderFields(set func(n, v string)) {
	set("RateLimit-Policy", `"login";q=5;w=60`)
	set("RateLimit", `"login";r=0;t=13`)
	set("X-Empty", "")
}

var errFeatureDown = fmt.Errorf("feature: store down: %w", authkit.ErrUnavailable)

func TestProblemFor(t *testing.T) {
	_, refused := authtest.NewIssuer(t, token.ES256, time.Now).Authenticate(context.Background(), "e30.e30.AAAA")
	if refused == nil {
		t.Fatal("a forged token was accepted")
	}
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantType   string
		wantHeader map[string]string // "" means absent
	}{
		{"unavailable root", authkit.ErrUnavailable, 503, guard.TypeUnavailable, map[string]string{"WWW-Authenticate": ""}},
		{"a feature's unavailable, wrapped again", fmt.Errorf("load: %w", errFeatureDown), 503, guard.TypeUnavailable, nil},
		{"token store unavailable", fmt.Errorf("x: %w", token.ErrUnavailable), 503, guard.TypeUnavailable, nil},
		{"unavailable wins over invalid token", errors.Join(token.ErrInvalid, errFeatureDown), 503, guard.TypeUnavailable, nil},
		{"a token the issuer refused", refused, 401, guard.TypeInvalidToken, map[string]string{"WWW-Authenticate": guard.InvalidTokenChallenge}},
		{"token rejection", token.ErrInvalid, 401, guard.TypeInvalidToken, map[string]string{"WWW-Authenticate": guard.InvalidTokenChallenge}},
		{"invalid credentials", fmt.Errorf("login: %w", authkit.ErrInvalidCredentials), 401, guard.TypeInvalidCredentials, map[string]string{"WWW-Authenticate": guard.BearerChallenge}},
		{"unauthenticated", authkit.ErrUnauthenticated, 401, guard.TypeUnauthorized, map[string]string{"WWW-Authenticate": guard.BearerChallenge}},
		{"invalid request", fmt.Errorf("%w: bad member", authkit.ErrInvalidRequest), 400, guard.TypeInvalidRequest, map[string]string{"WWW-Authenticate": ""}},
		{"conflict", fmt.Errorf("enroll: %w", authkit.ErrConflict), 409, guard.TypeConflict, map[string]string{"WWW-Authenticate": ""}},
		{"rate limited root", authkit.ErrRateLimited, 429, guard.TypeTooManyRequests, map[string]string{"Retry-After": ""}},
		{"rate limited, typed", fmt.Errorf("login: %w", &limited{retry: 12*time.Second + time.Millisecond}), 429, guard.TypeTooManyRequests, map[string]string{
			"Retry-After": "13", "RateLimit-Policy": `"login";q=5;w=60`, "RateLimit": `"login";r=0;t=13`, "X-Empty": "",
		}},
		{"rate limited, whole seconds", &limited{retry: 3 * time.Second}, 429, guard.TypeTooManyRequests, map[string]string{"Retry-After": "3"}},
		{"rate limited, delay unknown", &limited{}, 429, guard.TypeTooManyRequests, map[string]string{"Retry-After": ""}},
		{"unknown", errors.New("boom"), 500, guard.TypeInternal, nil},
		{"invalid config is no request's fault", guard.ErrInvalidConfig, 500, guard.TypeInternal, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := guard.ProblemFor(tc.err)
			if p.Status != tc.wantStatus || p.Type != tc.wantType || p.Title != http.StatusText(tc.wantStatus) {
				t.Fatalf("ProblemFor = %d %s %q, want %d %s", p.Status, p.Type, p.Title, tc.wantStatus, tc.wantType)
			}
			for name, want := range tc.wantHeader {
				if got := p.Header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			// The answer never repeats the error's text.
			rec := httptest.NewRecorder()
			d := port.Deny(port.HTTPExchange{W: rec, R: httptest.NewRequest("GET", "/", nil)}, p)
			if s := string(d.Body); strings.Contains(s, "secret") || strings.Contains(s, "boom") || strings.Contains(s, "store down") {
				t.Errorf("body leaks the error: %s", s)
			}
			for name, want := range tc.wantHeader {
				if got := rec.Header().Get(name); got != want {
					t.Errorf("written %s = %q, want %q", name, got, want)
				}
			}
			if d.Status != tc.wantStatus || rec.Header().Get("Content-Type") != guard.ProblemContentType || rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("denial %d, Content-Type %q, Cache-Control %q", d.Status, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
			}
		})
	}
	if guard.ProblemFor(nil) != nil {
		t.Error("ProblemFor(nil) is not nil")
	}
	// Every store's unavailable error is a 503.
	for _, err := range []error{session.ErrUnavailable, session.ErrFull, tokenstore.ErrUnavailable, token.ErrUnavailable} {
		if p := guard.ProblemFor(err); p.Status != 503 {
			t.Errorf("ProblemFor(%v) = %d, want 503", err, p.Status)
		}
	}
}

func TestRootErrors(t *testing.T) {
	for _, tc := range []struct {
		err, root error
	}{
		{guard.ErrInvalidConfig, authkit.ErrInvalidConfig},
		{guard.ErrInvalidOption, guard.ErrInvalidConfig},
		{token.ErrInvalid, authkit.ErrInvalidToken},
		{token.ErrUnavailable, authkit.ErrUnavailable},
	} {
		if !errors.Is(tc.err, tc.root) {
			t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.root)
		}
	}
	if _, err := guard.New(guard.WithTrustedProxies("nope")); !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Errorf("New with a bad option: %v, want an authkit.ErrInvalidConfig", err)
	}
}

// Deny writes several values of one field as one line, and every field of
// the problem.
func TestDenyWritesEveryField(t *testing.T) {
	p := port.NewProblem(429, port.TypeTooManyRequests, "slow down").
		WithHeader("Retry-After", "7").
		WithHeader("RateLimit-Policy", `"ip";q=60;w=60`).
		WithHeader("RateLimit-Policy", `"account";q=5;w=60`)
	rec := httptest.NewRecorder()
	d := port.Deny(port.HTTPExchange{W: rec, R: httptest.NewRequest("POST", "/login", nil)}, p)
	if d.Status != 429 || d.Header.Get("Retry-After") != "7" {
		t.Fatalf("denial = %d %v", d.Status, d.Header)
	}
	if got := rec.Header().Values("RateLimit-Policy"); len(got) != 1 || got[0] != `"ip";q=60;w=60, "account";q=5;w=60` {
		t.Errorf("RateLimit-Policy lines = %q", got)
	}
	if got := rec.Header().Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After = %q", got)
	}
}

func TestProblemForToken(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{errors.New("family unknown"), 401},
		{token.ErrInvalid, 401},
		{fmt.Errorf("refresh: %w", token.ErrUnavailable), 503},
		{&limited{retry: time.Second}, 429},
	} {
		p := guard.ProblemForToken(tc.err)
		if p.Status != tc.want {
			t.Errorf("ProblemForToken(%v) = %d, want %d", tc.err, p.Status, tc.want)
		}
		if tc.want == 401 && p.Header.Get("WWW-Authenticate") != guard.InvalidTokenChallenge {
			t.Errorf("ProblemForToken(%v): challenge %q", tc.err, p.Header.Get("WWW-Authenticate"))
		}
	}
	if guard.ProblemForToken(nil) != nil {
		t.Error("ProblemForToken(nil) is not nil")
	}
}

// coded is a feature's refusal that names its cause with a word, as
// core/oauth's *Error does.
type coded struct {
	code string
	root error
}

func (e *coded) Error() string     { return "feature: refused (secret state abc)" }
func (e *coded) Unwrap() error     { return e.root }
func (e *coded) ErrorCode() string { return e.code }

// A CodeError's word becomes the "code" member of a known kind's answer;
// a word outside the safe alphabet, or an error of no known kind, adds
// nothing.
func TestProblemForCode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   any // nil: no member
	}{
		{"invalid request", &coded{"state_mismatch", authkit.ErrInvalidRequest}, 400, "state_mismatch"},
		{"wrapped again", fmt.Errorf("callback: %w", &coded{"iss_mismatch", authkit.ErrInvalidRequest}), 400, "iss_mismatch"},
		{"unavailable", &coded{"provider_unavailable", authkit.ErrUnavailable}, 503, "provider_unavailable"},
		{"upper case refused", &coded{"State", authkit.ErrInvalidRequest}, 400, nil},
		{"markup refused", &coded{"<b>", authkit.ErrInvalidRequest}, 400, nil},
		{"empty refused", &coded{"", authkit.ErrInvalidRequest}, 400, nil},
		{"too long refused", &coded{strings.Repeat("a", 65), authkit.ErrInvalidRequest}, 400, nil},
		{"no known kind", &coded{"boom", errors.New("x")}, 500, nil},
		{"no code", authkit.ErrInvalidRequest, 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := guard.ProblemFor(tc.err)
			if p.Status != tc.status || p.Extensions["code"] != tc.code {
				t.Fatalf("ProblemFor = %d %v, want %d with code %v", p.Status, p.Extensions, tc.status, tc.code)
			}
			body, _ := p.MarshalJSON()
			if strings.Contains(string(body), "secret") {
				t.Errorf("body leaks the error: %s", body)
			}
		})
	}
}
