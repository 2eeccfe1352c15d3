package session_test

import (
	"context"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/session"
)

// TestAllocationBudgets pins what reading a signed-in session from the
// memory store allocates (4 today: the Session and the copy of the record,
// values included, that the store hands out).
func TestAllocationBudgets(t *testing.T) {
	ctx := context.Background()
	m, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Create(ctx, session.Meta{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("theme", "dark"); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	raw := s.ID().Secret()
	authtest.AllocBudget(t, "Load, memory store", 4, func() {
		if _, err := m.Load(ctx, raw); err != nil {
			t.Fatal(err)
		}
	})
}
