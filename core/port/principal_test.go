package port_test

import (
	"slices"
	"testing"

	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/port"
)

// A Clone's slices are its own: changing or growing them leaves the
// original, and the other slices, as they were.
func TestPrincipalClone(t *testing.T) {
	orig := port.Principal{Subject: "alice", Roles: []string{"user"}, Scopes: []string{"read"}, AMR: []string{"pwd"}}
	c := orig.Clone()
	c.Roles[0], c.AMR[0] = "admin", "otp"
	grown := append(c.Roles, "root")
	grown[0] = "root"
	if !slices.Equal(orig.Roles, []string{"user"}) || !slices.Equal(orig.AMR, []string{"pwd"}) {
		t.Fatalf("the original changed: %+v", orig)
	}
	if !slices.Equal(c.Scopes, []string{"read"}) {
		t.Fatalf("growing Roles overwrote Scopes: %v", c.Scopes)
	}
	if e := (port.Principal{Subject: "bob"}).Clone(); e.Roles != nil || e.Scopes != nil || e.AMR != nil {
		t.Fatalf("nil slices did not stay nil: %+v", e)
	}
	authtest.AllocBudget(t, "Clone", 1, func() { _ = orig.Clone() })
}
