package session_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
)

func TestMemoryStoreIsBounded(t *testing.T) {
	st, err := session.NewMemoryStore(session.WithMaxSessions(2))
	if err != nil {
		t.Fatal(err)
	}
	clk := testclock.New()
	m := newManager(t, st, clk)
	ctx := context.Background()
	for range 2 {
		if _, err := m.Create(ctx, meta); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Create(ctx, meta); !errors.Is(err, session.ErrFull) || !errors.Is(err, session.ErrUnavailable) || !errors.Is(err, authkit.ErrUnavailable) {
		t.Fatalf("third Create: %v, want ErrFull (an ErrUnavailable, an authkit.ErrUnavailable)", err)
	}
	clk.Advance(31 * time.Minute) // both idle out; a full store sweeps at once
	if _, err := m.Create(ctx, meta); err != nil {
		t.Fatalf("Create after expiry: %v", err)
	}
	if n := st.Len(); n != 1 {
		t.Fatalf("Len = %d after the sweep, want 1", n)
	}
}

// signIn creates a session and binds it to user, as a login does.
func signIn(t *testing.T, m *session.Manager, user string) *session.Session {
	t.Helper()
	ctx := context.Background()
	s, err := m.Create(ctx, meta)
	if err != nil {
		t.Fatalf("Create for %s: %v", user, err)
	}
	s.SetUser(user)
	if err := m.Rotate(ctx, s); err != nil {
		t.Fatalf("Rotate for %s: %v", user, err)
	}
	return s
}

// Issue 9, finding 2: one user signing in without end can neither fill the
// store nor end another user's session; the oldest session of that user
// ends first, and logout keeps working on a full store.
func TestMemoryStoreCapsSessionsPerUser(t *testing.T) {
	st, err := session.NewMemoryStore(session.WithMaxSessions(20), session.WithMaxSessionsPerUser(3))
	if err != nil {
		t.Fatal(err)
	}
	clk := testclock.New()
	m := newManager(t, st, clk)
	ctx := context.Background()
	alice := signIn(t, m, "alice")
	var mallory []*session.Session
	for range 1000 {
		mallory = append(mallory, signIn(t, m, "mallory"))
		clk.Advance(time.Millisecond)
	}
	if n := st.Len(); n != 4 {
		t.Fatalf("Len = %d after 1000 sign-ins of one user, want 3 of hers and alice's", n)
	}
	live := func(s *session.Session) bool {
		_, err := m.Load(ctx, s.ID().Secret())
		return err == nil
	}
	if !live(alice) {
		t.Fatal("another user's session ended")
	}
	for i, s := range mallory {
		if got, want := live(s), i >= len(mallory)-3; got != want {
			t.Fatalf("mallory's session %d live = %v, want %v (only the newest three)", i, got, want)
		}
	}
	// Fill the store with other users, then log out on the full store.
	var others []*session.Session
	for i := 0; st.Len() < 20; i++ {
		others = append(others, signIn(t, m, fmt.Sprint("user", i)))
	}
	if _, err := m.Create(ctx, meta); !errors.Is(err, session.ErrFull) {
		t.Fatalf("Create on a full store: %v, want ErrFull", err)
	}
	if err := m.Destroy(ctx, others[0]); err != nil {
		t.Fatalf("logout on a full store: %v", err)
	}
	if live(others[0]) {
		t.Fatal("the destroyed session still loads")
	}
	if n, err := m.DestroyAll(ctx, "mallory"); err != nil || n != 3 {
		t.Fatalf("DestroyAll on a full store = %d, %v; want 3", n, err)
	}
	if !live(alice) {
		t.Fatal("alice's session did not survive")
	}
}

func TestMemoryStoreSweepsPeriodically(t *testing.T) {
	st, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	clk := testclock.New()
	m := newManager(t, st, clk)
	ctx := context.Background()
	for range 10 {
		if _, err := m.Create(ctx, meta); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(31 * time.Minute)
	if _, err := m.Create(ctx, meta); err != nil {
		t.Fatal(err)
	}
	if n := st.Len(); n != 1 {
		t.Fatalf("Len = %d, want the 10 expired entries swept", n)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		opts []session.Option
	}{
		{"zero idle", []session.Option{session.WithIdleTimeout(0)}},
		{"absolute shorter than idle", []session.Option{session.WithAbsoluteLifetime(time.Minute)}},
		{"touch not below idle", []session.Option{session.WithTouchInterval(30 * time.Minute)}},
		{"nil clock", []session.Option{session.WithClock(nil)}},
		{"nil audit", []session.Option{session.WithAudit(nil)}},
		{"bad cookie name", []session.Option{session.WithCookieName("a b")}},
		{"__Host- with a domain", []session.Option{session.WithCookieName("__Host-x"), session.WithCookieDomain("example.com")}},
		{"__Host- insecure", []session.Option{session.WithCookieName("__Host-x"), session.WithInsecureCookies()}},
		{"__Secure- insecure", []session.Option{session.WithCookieName("__Secure-x"), session.WithInsecureCookies()}},
		{"domain with a semicolon", []session.Option{session.WithCookieDomain("a.com;x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := session.New(tt.opts...); !errors.Is(err, session.ErrInvalidConfig) || !errors.Is(err, authkit.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig (an authkit.ErrInvalidConfig)", err)
			}
		})
	}
	for _, o := range []session.MemoryOption{session.WithMaxSessions(0), session.WithMaxSessionsPerUser(0), session.WithSweepInterval(0)} {
		if _, err := session.NewMemoryStore(o); !errors.Is(err, session.ErrInvalidConfig) {
			t.Errorf("NewMemoryStore: %v, want ErrInvalidConfig", err)
		}
	}
}

func TestCookie(t *testing.T) {
	tests := []struct {
		name       string
		opts       []session.Option
		wantName   string
		wantSecure bool
		wantDomain string
	}{
		{"default", nil, "__Host-session", true, ""},
		{"domain", []session.Option{session.WithCookieDomain("example.com")}, "__Secure-session", true, "example.com"},
		{"insecure", []session.Option{session.WithInsecureCookies()}, "session", false, ""},
		{"custom name", []session.Option{session.WithCookieName("__Host-app")}, "__Host-app", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := testclock.New()
			m := newManager(t, memoryStore(t), clk, tt.opts...)
			s, err := m.Create(context.Background(), meta)
			if err != nil {
				t.Fatal(err)
			}
			c := m.Cookie(s)
			if c.Name != tt.wantName || m.CookieName() != tt.wantName || c.Value != s.ID().Secret() ||
				c.Secure != tt.wantSecure || c.Domain != tt.wantDomain || !c.HttpOnly ||
				c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 1800 {
				t.Fatalf("cookie = %+v", c)
			}
			if err := c.Valid(); err != nil {
				t.Fatalf("invalid cookie: %v", err)
			}
			clk.Advance(12*time.Hour - 10*time.Minute) // Max-Age never outlives the absolute lifetime
			if c := m.Cookie(s); c.MaxAge != 600 {
				t.Fatalf("Max-Age near the absolute end = %d, want 600", c.MaxAge)
			}
			x := m.ExpiredCookie()
			if x.Name != tt.wantName || x.MaxAge >= 0 || x.Value != "" || !x.HttpOnly || x.Secure != tt.wantSecure {
				t.Fatalf("expired cookie = %+v", x)
			}
			if strings.Contains(x.String(), s.ID().Secret()) {
				t.Fatal("expired cookie carries the id")
			}
		})
	}
}

func TestAuditEventsCarryNoID(t *testing.T) {
	var got events
	clk := testclock.New()
	m := newManager(t, memoryStore(t), clk, session.WithAudit(&got))
	ctx := context.Background()
	s, err := m.Create(ctx, meta)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{s.ID().Secret()}
	s.SetUser("alice")
	if err := m.Save(ctx, s); err != nil { // rotates
		t.Fatal(err)
	}
	ids = append(ids, s.ID().Secret())
	if err := m.Destroy(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DestroyAll(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	want := []audit.Kind{audit.SessionCreated, audit.SessionRotated, audit.SessionDestroyed, audit.SessionDestroyed}
	evs := got.Events()
	if len(evs) != len(want) {
		t.Fatalf("events = %+v", evs)
	}
	for i, ev := range evs {
		if ev.Kind != want[i] {
			t.Errorf("event %d kind %s, want %s", i, ev.Kind, want[i])
		}
		all := strings.Join([]string{ev.Subject, ev.IP, ev.UserAgent, ev.Reason, ev.Family}, "|")
		for _, id := range ids {
			if strings.Contains(all, id[:12]) {
				t.Errorf("event %d carries a session id: %s", i, all)
			}
		}
	}
	if evs[1].Subject != "alice" || evs[1].Family != s.Hint() {
		t.Errorf("rotation event = %+v", evs[1])
	}
}

func TestCreateClipsMetadata(t *testing.T) {
	m := newManager(t, memoryStore(t), testclock.New())
	ctx := context.Background()
	s, err := m.Create(ctx, session.Meta{ClientIP: strings.Repeat("1", 1000), UserAgent: strings.Repeat("é", 1000) + "\xff"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.IP()) > 64 || len(s.UserAgent()) > 256 || !strings.HasPrefix(s.UserAgent(), "éé") {
		t.Fatalf("ip %d bytes, user agent %d bytes", len(s.IP()), len(s.UserAgent()))
	}
	if _, err := m.Create(ctx, session.Meta{UserID: strings.Repeat("u", 257)}); !errors.Is(err, session.ErrInvalidValue) {
		t.Fatalf("oversized user id: %v, want ErrInvalidValue", err)
	}
	if err := s.Set("", 1); !errors.Is(err, session.ErrInvalidValue) {
		t.Fatalf("empty key: %v", err)
	}
	if err := s.Set("f", func() {}); !errors.Is(err, session.ErrInvalidValue) {
		t.Fatalf("unencodable value: %v", err)
	}
}
