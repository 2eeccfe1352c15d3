package session_test

import (
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
)

func memoryStore(t testing.TB) session.Store {
	s, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// events collects audit events.
type events = audittest.Recorder

func newManager(t testing.TB, st session.Store, clk *testclock.Clock, opts ...session.Option) *session.Manager {
	t.Helper()
	opts = append([]session.Option{session.WithStore(st), session.WithClock(clk.Now), session.WithAudit(audit.Discard)}, opts...)
	m, err := session.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var meta = session.Meta{ClientIP: "192.0.2.7", UserAgent: "Mozilla/5.0 test"}
