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
