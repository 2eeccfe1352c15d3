package session_test

import (
	"testing"

	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/session/storetest"
)

// TestConformance runs the store suite on the memory store.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) session.Store { return memoryStore(t) })
}
