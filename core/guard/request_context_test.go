package guard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/token"
)

type callerKey struct{}

// TestRequestContextWrapsTheRequests: the context a guarded handler runs
// with, which holds the guard's own values in one requestContext, still
// answers the caller's values and ends when the request's context ends,
// with its cause.
func TestRequestContextWrapsTheRequests(t *testing.T) {
	g, mgr := newSessionGuard(t)
	cookie := signedIn(t, g, mgr, guard.Principal{Subject: "alice", Roles: []string{"user"}})
	parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), callerKey{}, "mine"))
	r := httptest.NewRequestWithContext(parent, "GET", "/me", nil)
	r.Header.Set("Cookie", mgr.CookieName()+"="+cookie)
	ctx, d := g.Before(guard.HTTPExchange{W: httptest.NewRecorder(), R: r})
	if d != nil {
		t.Fatalf("denied: %d %s", d.Status, d.Body)
	}
	if p, ok := guard.PrincipalFrom(ctx); !ok || p.Subject != "alice" || p.Via != guard.ViaSession {
		t.Fatalf("PrincipalFrom = %+v, %v; want alice by session", p, ok)
	}
	if s, ok := guard.SessionFrom(ctx); !ok || s.UserID() != "alice" {
		t.Fatalf("SessionFrom = %v, %v; want alice's session", s, ok)
	}
	if v, _ := ctx.Value(callerKey{}).(string); v != "mine" {
		t.Fatalf("the caller's value is %q through the guard's context, want %q", v, "mine")
	}
	if ctx.Err() != nil {
		t.Fatalf("ctx ended before the request did: %v", ctx.Err())
	}
	stop := errors.New("client went away")
	cancel(stop)
	<-ctx.Done()
	if !errors.Is(context.Cause(ctx), stop) {
		t.Fatalf("context.Cause = %v, want %v", context.Cause(ctx), stop)
	}
}

// TestRequestContextWithoutCredentials: a request that presents nothing
// has no principal and, with sessions, a request state that flows use
// (StartSession); without sessions the guard adds nothing to the context.
func TestRequestContextWithoutCredentials(t *testing.T) {
	g, _ := newSessionGuard(t)
	r := httptest.NewRequest("GET", "/me", nil)
	x := guard.HTTPExchange{W: httptest.NewRecorder(), R: r}
	ctx, d := g.Before(x)
	if d != nil {
		t.Fatalf("denied: %d", d.Status)
	}
	if p, ok := guard.PrincipalFrom(ctx); ok {
		t.Fatalf("PrincipalFrom = %+v for a request without credentials", p)
	}
	if _, err := guard.StartSession(ctx); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	g.Commit(ctx, x)

	headersOnly := guard.Must(guard.New())
	if ctx, _ := headersOnly.Before(guard.HTTPExchange{W: httptest.NewRecorder(), R: r}); ctx != r.Context() {
		t.Fatal("a headers-only guard changed the request's context")
	}
}

// TestBearerAllocationBudget pins what a request authenticated by a bearer
// token that the verified-token cache holds allocates, through a guard with
// tokens and sessions as the example servers build it (Before, the rule,
// Commit, as an adapter runs them): 6 — this loop's own 4 (the exchange as
// an interface, WithContext), the request's context (state and
// authentication in one requestContext) and the principal's one copy of
// its slices. It was 9 with the state, the authentication and their two
// context values apart.
func TestBearerAllocationBudget(t *testing.T) {
	iss := authtest.NewIssuer(t, token.ES256, authtest.NewClock().Now)
	_, mgr := newSessionGuard(t)
	g := guard.Must(guard.New(guard.WithTokens(iss), guard.WithSessions(mgr), guard.WithAudit(audit.Discard)))
	pair, err := iss.IssuePair(context.Background(), token.Subject{ID: "alice", Roles: []string{"user"}, Scope: "read"})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/me", nil)
	r.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	authtest.AllocBudget(t, "bearer read", 6, adapterRound(t, g, r, []guard.Rule{guard.Authenticated()}))
}

// TestRequestContextPrintsNoCredentials: a handler that logs its context
// (fmt's verbs, as log and slog print it) shows neither the request's
// bearer token nor its session cookie, which the guard's request context
// holds, as context.WithValue's contexts never showed their values.
func TestRequestContextPrintsNoCredentials(t *testing.T) {
	const secretToken, secretCookie = "SECRET-ACCESS-TOKEN", "SECRETSESSIONCOOKIEVALUE"
	_, mgr := newSessionGuard(t)
	tokens := guard.AuthenticatorFunc(func(context.Context, string) (guard.Principal, error) {
		return guard.Principal{Subject: "alice"}, nil
	})
	g := guard.Must(guard.New(guard.WithSessions(mgr), guard.WithTokens(tokens), guard.WithAudit(audit.Discard)))
	r := httptest.NewRequest("GET", "/me", nil)
	r.Header.Set("Authorization", "Bearer "+secretToken)
	r.Header.Set("Cookie", mgr.CookieName()+"="+secretCookie)
	ctx, d := g.Before(guard.HTTPExchange{W: httptest.NewRecorder(), R: r})
	if d != nil {
		t.Fatalf("denied: %d %s", d.Status, d.Body)
	}
	if tok, _ := guard.BearerToken(ctx); tok != secretToken {
		t.Fatalf("BearerToken = %q, want the request's", tok)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, ctx); strings.Contains(out, secretToken) || strings.Contains(out, secretCookie) {
			t.Errorf("fmt.Sprintf(%q, ctx) shows a credential: %s", verb, out)
		}
	}
}

// TestRequestContextWhileBeforeRuns: an authenticator (or a store, or an
// audit sink) that hands the context it got to a goroutine may read the
// guard's values from it while Before still runs: no data race (go test
// -race), and no principal until every step has passed.
func TestRequestContextWhileBeforeRuns(t *testing.T) {
	_, mgr := newSessionGuard(t)
	var wg sync.WaitGroup
	tokens := guard.AuthenticatorFunc(func(ctx context.Context, _ string) (guard.Principal, error) {
		if _, ok := guard.PrincipalFrom(ctx); ok {
			t.Error("the token check's context already carries a principal")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				_, _ = guard.PrincipalFrom(ctx)
				_, _ = guard.SessionFrom(ctx)
			}
		}()
		return guard.Principal{Subject: "alice"}, nil
	})
	g := guard.Must(guard.New(guard.WithSessions(mgr), guard.WithTokens(tokens), guard.WithAudit(audit.Discard)))
	for range 20 {
		r := httptest.NewRequest("GET", "/me", nil)
		r.Header.Set("Authorization", "Bearer some-token")
		ctx, d := g.Before(guard.HTTPExchange{W: httptest.NewRecorder(), R: r})
		if d != nil {
			t.Fatalf("denied: %d %s", d.Status, d.Body)
		}
		if p, ok := guard.PrincipalFrom(ctx); !ok || p.Subject != "alice" {
			t.Fatalf("PrincipalFrom = %+v, %v after Before", p, ok)
		}
	}
	wg.Wait()
}
