package guard

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/session"
)

// New builds exactly the configured steps, in the documented order.
func TestStepOrder(t *testing.T) {
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	tokens := AuthenticatorFunc(func(context.Context, string) (Principal, error) { return Principal{}, nil })
	tests := []struct {
		name string
		opts []Option
		want []string
	}{
		{"defaults", nil, []string{"headersStep"}},
		{"nothing", []Option{WithoutHeaders()}, nil},
		{"tokens", []Option{WithTokens(tokens)}, []string{"headersStep", "varyStep", "tokenStep", "noStoreStep"}},
		{"sessions", []Option{WithSessions(mgr)}, []string{"headersStep", "varyStep", "originStep", "sessionStep", "noStoreStep"}},
		{"everything", []Option{WithTokens(tokens), WithTokenCookie("at"), WithSessions(mgr)},
			[]string{"headersStep", "varyStep", "originStep", "sessionStep", "tokenStep", "noStoreStep"}},
		{"everything turned off", []Option{WithTokens(tokens), WithSessions(mgr), WithoutHeaders(), WithoutCSRFProtection(), WithoutNoStore()},
			[]string{"varyStep", "sessionStep", "tokenStep"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(append(tc.opts, WithAudit(audit.Discard))...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range g.steps {
				got = append(got, reflect.TypeOf(s).Name())
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("steps = %v, want %v", got, tc.want)
			}
		})
	}
}
