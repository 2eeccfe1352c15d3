package guard_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/guard"
)

// TestSessionFlowsNeedTheRequestContext: StartSession, SignIn and SignOut
// called with a context that carries no session state — context.Background(),
// or a request context from a guard without sessions — say what to pass,
// instead of claiming that sessions are not configured.
func TestSessionFlowsNeedTheRequestContext(t *testing.T) {
	calls := map[string]func(ctx context.Context) error{
		"StartSession": func(ctx context.Context) error { _, err := guard.StartSession(ctx); return err },
		"SignIn": func(ctx context.Context) error {
			_, err := guard.SignIn(ctx, guard.Principal{Subject: "alice"})
			return err
		},
		"SignOut": guard.SignOut,
	}
	g, err := guard.New() // no sessions
	if err != nil {
		t.Fatal(err)
	}
	noSessions, denial := g.Before(guard.HTTPExchange{W: httptest.NewRecorder(), R: httptest.NewRequest("GET", "/", nil)})
	if denial != nil {
		t.Fatal(denial)
	}
	for name, call := range calls {
		for ctxName, ctx := range map[string]context.Context{"context.Background()": context.Background(), "a guard without sessions": noSessions} {
			err := call(ctx)
			if !errors.Is(err, guard.ErrNoSessions) || !strings.Contains(err.Error(), "pass the request's own context") {
				t.Errorf("%s with %s = %v, want ErrNoSessions saying to pass the request's context", name, ctxName, err)
			}
		}
	}
}
