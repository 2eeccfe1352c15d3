package session_test

import (
	"context"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/session"
)

// TestAllocationBudgets pins what reading a signed-in session from the
// memory store allocates: the Session alone (the store hands out its own
// record, which the Session copies only before a change). It was 4 when
// every Load copied the record and its values.
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
	authtest.AllocBudget(t, "Load, memory store", 1, func() {
		if _, err := m.Load(ctx, raw); err != nil {
			t.Fatal(err)
		}
	})
}
