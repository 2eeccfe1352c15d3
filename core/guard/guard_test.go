package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/session"
)

func exchangeFor(r *http.Request) HTTPExchange {
	return HTTPExchange{W: httptest.NewRecorder(), R: r}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(WithTrustedProxies("10.0.0.0/33")); err == nil {
		t.Error("a bad CIDR was accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("Must did not panic on an error")
		}
	}()
	Must(New(WithTrustedProxies("nope")))
}

func TestAuthorize(t *testing.T) {
	user := Principal{Subject: "u1", Roles: []string{"user"}, Scopes: []string{"read"}, AMR: []string{"pwd"}}
	admin := Principal{Subject: "a1", Roles: []string{"admin"}, Scopes: []string{"read", "write"}, AMR: []string{"pwd", "otp"}}
	tests := []struct {
		name          string
		p             *Principal
		rules         []Rule
		wantStatus    int // 0: allowed
		wantChallenge string
	}{
		{"no rules, anonymous", nil, nil, 0, ""},
		{"authenticated, anonymous", nil, []Rule{Authenticated()}, 401, "Bearer"},
		{"authenticated, user", &user, []Rule{Authenticated()}, 0, ""},
		{"role, missing", &user, []Rule{Role("admin")}, 403, ""},
		{"role, any of", &user, []Rule{Role("admin", "user")}, 0, ""},
		{"scope, missing", &user, []Rule{Scope("read", "write")}, 403, `Bearer error="insufficient_scope", scope="read write"`},
		{"scope, present", &admin, []Rule{Scope("read", "write")}, 0, ""},
		{"mfa, missing", &user, []Rule{MFA()}, 403, ""},
		{"mfa, present", &admin, []Rule{MFA()}, 0, ""},
		{"first failing rule wins", &user, []Rule{Authenticated(), Role("admin"), MFA()}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.p != nil {
				r = r.WithContext(WithPrincipal(r.Context(), *tt.p))
			}
			rec := httptest.NewRecorder()
			d := Authorize(HTTPExchange{W: rec, R: r}, tt.rules...)
			if tt.wantStatus == 0 {
				if d != nil {
					t.Fatalf("denied with %d: %s", d.Status, d.Body)
				}
				return
			}
			if d == nil || d.Status != tt.wantStatus {
				t.Fatalf("denial = %+v, want status %d", d, tt.wantStatus)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if got := rec.Header().Get("Content-Type"); got != ProblemContentType {
				t.Errorf("Content-Type = %q", got)
			}
			var body map[string]any
			if err := json.Unmarshal(d.Body, &body); err != nil || body["status"] != float64(tt.wantStatus) {
				t.Errorf("body %s is not a problem with status %d (%v)", d.Body, tt.wantStatus, err)
			}
		})
	}
}

func TestProblemExtensionsNeverReplaceStandardMembers(t *testing.T) {
	p := NewProblem(400, "urn:x", "bad").With("status", 200).With("errors", []string{"e"})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"detail":"bad","errors":["e"],"status":400,"title":"Bad Request","type":"urn:x"}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestPrincipalContext(t *testing.T) {
	if _, ok := PrincipalFrom(context.Background()); ok {
		t.Fatal("empty context has a principal")
	}
	ctx := WithPrincipal(context.Background(), Principal{Subject: "s", Via: ViaToken})
	if p, ok := PrincipalFrom(ctx); !ok || p.Subject != "s" || p.Via != ViaToken {
		t.Errorf("PrincipalFrom = %+v, %v", p, ok)
	}
}

// New builds exactly the configured steps, in the documented order.
func TestStepOrder(t *testing.T) {
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	tokens := AuthenticatorFunc(func(context.Context, string) (Principal, error) { return Principal{}, nil })
	tests := []struct {
		name string
		opts []Option
		want []string
	}{
		{"defaults", nil, []string{"headersStep"}},
		{"nothing", []Option{WithoutHeaders()}, nil},
		{"tokens", []Option{WithTokens(tokens)}, []string{"headersStep", "varyStep", "tokenStep", "noStoreStep"}},
		{"sessions", []Option{WithSessions(mgr)}, []string{"headersStep", "varyStep", "originStep", "sessionStep", "noStoreStep"}},
		{"everything", []Option{WithTokens(tokens), WithTokenCookie("at"), WithSessions(mgr)},
			[]string{"headersStep", "varyStep", "originStep", "sessionStep", "tokenStep", "noStoreStep"}},
		{"everything turned off", []Option{WithTokens(tokens), WithSessions(mgr), WithoutHeaders(), WithoutCSRFProtection(), WithoutNoStore()},
			[]string{"varyStep", "sessionStep", "tokenStep"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(append(tc.opts, WithAudit(audit.Discard))...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range g.steps {
				got = append(got, reflect.TypeOf(s).Name())
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("steps = %v, want %v", got, tc.want)
			}
		})
	}
}
