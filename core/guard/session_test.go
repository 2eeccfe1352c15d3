package guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
)

// loadCounter counts the Loads that reach the session store.
type loadCounter struct {
	session.Store
	loads atomic.Int64
}

func (c *loadCounter) Load(ctx context.Context, h session.Hash, p session.Policy) (*session.Record, error) {
	c.loads.Add(1)
	return c.Store.Load(ctx, h, p)
}

// A request presenting a bearer token is authenticated by the token alone;
// its session cookie costs a store round trip only when a flow asks for
// the session.
func TestBearerRequestLoadsSessionOnlyOnDemand(t *testing.T) {
	mem, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	store := &loadCounter{Store: mem}
	mgr, err := session.New(session.WithStore(store), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	iss := authtest.NewIssuer(t, token.ES256, time.Now, token.WithAudit(audit.Discard))
	g, err := guard.New(guard.WithSessions(mgr), guard.WithTokens(iss), guard.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := mgr.Create(ctx, session.Meta{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := iss.IssuePair(ctx, token.Subject{ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	request := func(bearer bool) guard.HTTPExchange {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: mgr.CookieName(), Value: s.ID().Secret()})
		if bearer {
			r.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		}
		return guard.HTTPExchange{W: httptest.NewRecorder(), R: r}
	}

	tests := []struct {
		name        string
		bearer      bool
		askSession  bool
		wantLoads   int64
		wantVia     string
		wantSession bool
	}{
		{"cookie only: loaded before the handler", false, false, 1, guard.ViaSession, false},
		{"bearer and cookie, session unused: no load", true, false, 0, guard.ViaToken, false},
		{"bearer and cookie, flow asks: one load", true, true, 1, guard.ViaToken, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store.loads.Store(0)
			x := request(tt.bearer)
			rctx, denial := g.Before(x)
			if denial != nil {
				t.Fatalf("denied: %d %s", denial.Status, denial.Body)
			}
			if p, ok := guard.PrincipalFrom(rctx); !ok || p.Via != tt.wantVia || p.Subject != "alice" {
				t.Fatalf("principal = %+v, %v; want alice via %s", p, ok, tt.wantVia)
			}
			if raw, ok := guard.BearerToken(rctx); ok != tt.bearer || (ok && raw != pair.AccessToken) {
				t.Errorf("BearerToken = %.12q…, %v; want the presented token: %v", raw, ok, tt.bearer)
			}
			if tt.askSession {
				got, ok := guard.SessionFrom(rctx)
				if !ok || got.UserID() != "alice" {
					t.Fatalf("SessionFrom = %v, %v", got, ok)
				}
				if _, again := guard.SessionFrom(rctx); !again {
					t.Fatal("the second SessionFrom lost the session")
				}
			}
			g.Commit(rctx, x)
			if got := store.loads.Load(); got != tt.wantLoads {
				t.Errorf("store loads = %d, want %d", got, tt.wantLoads)
			}
		})
	}
}

// SignIn keeps when the user signed in and passed a second factor, so a
// session-authenticated request can meet MFAWithin. A caller that gives
// the sign-in's time but not the factor's leaves it unknown (an OpenID
// provider's amr without auth_time): MFAWithin must not take it as fresh.
func TestSignInKeepsAuthTimes(t *testing.T) {
	g, mgr := newSessionGuard(t)
	signedIn := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	// signIn signs in (the flow's SignIn) and returns the session cookie.
	signIn := func(t *testing.T, in guard.Principal) string {
		_, _, cookie := sessionRequest(t, g, mgr, "", func(ctx context.Context, _ guard.Principal) {
			if _, err := guard.SignIn(ctx, in); err != nil {
				t.Fatal(err)
			}
		})
		if cookie == "" {
			t.Fatal("the sign-in set no session cookie")
		}
		return cookie
	}
	for _, tc := range []struct {
		name      string
		in        guard.Principal
		wantAuth  time.Time
		wantMFAAt time.Time
	}{
		{"password and otp", guard.Principal{Subject: "alice", AMR: []string{"pwd", "otp"}, AuthTime: signedIn, MFAAt: signedIn}, signedIn, signedIn},
		{"a second factor of unknown time", guard.Principal{Subject: "alice", AMR: []string{"pwd", "mfa"}, AuthTime: signedIn}, signedIn, time.Time{}},
		{"a later second factor", guard.Principal{Subject: "alice", AMR: []string{"pwd", "otp"}, AuthTime: signedIn, MFAAt: signedIn.Add(time.Hour)}, signedIn, signedIn.Add(time.Hour)},
		{"password only", guard.Principal{Subject: "alice", AMR: []string{"pwd"}, AuthTime: signedIn}, signedIn, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok, _ := sessionRequest(t, g, mgr, signIn(t, tc.in), nil)
			if !ok || !p.AuthTime.Equal(tc.wantAuth) || !p.MFAAt.Equal(tc.wantMFAAt) {
				t.Errorf("principal = %+v, %v; want AuthTime %v, MFAAt %v", p, ok, tc.wantAuth, tc.wantMFAAt)
			}
		})
	}
	// A zero AuthTime is the time of the sign-in.
	before := time.Now()
	p, _, _ := sessionRequest(t, g, mgr, signIn(t, guard.Principal{Subject: "bob", AMR: []string{"pwd", "otp"}}), nil)
	if p.AuthTime.Before(before) || p.AuthTime.After(time.Now()) || !p.MFAAt.Equal(p.AuthTime) {
		t.Errorf("principal = %+v; want AuthTime = MFAAt = the sign-in", p)
	}
}

// newSessionGuard returns a guard with sessions on a memory store, and the
// session manager.
func newSessionGuard(t *testing.T) (*guard.Guard, *session.Manager) {
	t.Helper()
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	g, err := guard.New(guard.WithSessions(mgr), guard.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	return g, mgr
}
