package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
)

// With tokens linked, DestroyAllExcept revokes the refresh family of each
// session it destroys, and only those: the kept sign-in's family and
// another user's stay.
func TestDestroyAllExceptRevokesTheLinkedFamilies(t *testing.T) {
	ctx := context.Background()
	iss := authtest.NewIssuer(t, token.ES256, time.Now, token.WithAudit(audit.Discard))
	var ev events
	m := newManager(t, memoryStore(t), testclock.New(), session.WithAudit(&ev))
	m.LinkTokens(iss)
	iss.LinkSessions(m)
	login := func(user string) (token.Pair, *session.Session) {
		p, err := iss.IssuePair(ctx, token.Subject{ID: user})
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.Create(ctx, session.Meta{UserID: user})
		if err != nil {
			t.Fatal(err)
		}
		s.SetLink(p.Family())
		if err := m.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
		return p, s
	}
	keepPair, keep := login("alice")
	otherPair, other := login("alice")
	bobPair, _ := login("bob")
	n, err := m.DestroyAllExcept(ctx, "alice", keep, "")
	if err != nil || n != 1 {
		t.Fatalf("DestroyAllExcept = %d, %v; want 1", n, err)
	}
	if _, err := m.Load(ctx, other.ID().Secret()); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("the other session: %v", err)
	}
	if _, err := iss.Refresh(ctx, otherPair.RefreshToken); !errors.Is(err, token.ErrRevoked) {
		t.Errorf("the destroyed session's family: %v, want ErrRevoked", err)
	}
	for name, p := range map[string]token.Pair{"the kept sign-in's": keepPair, "bob's": bobPair} {
		if _, err := iss.Refresh(ctx, p.RefreshToken); err != nil {
			t.Errorf("%s family: %v", name, err)
		}
	}
	if _, err := m.Load(ctx, keep.ID().Secret()); err != nil {
		t.Errorf("the kept session: %v", err)
	}
	all := ev.Events()
	last := all[len(all)-1]
	if last.Kind != audit.SessionDestroyed || last.Reason != "logout_others" || last.Subject != "alice" {
		t.Errorf("last event = %+v, want session.destroyed logout_others of alice", last)
	}
}
