package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/core/port"
)

// TestOptionsApplyWhereDocumented gives every option to every constructor:
// where its doc says it applies it is taken (any error is about something
// else), anywhere else it is refused with ErrInvalidConfig.
func TestOptionsApplyWhereDocumented(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel() // Discover then fails before any request, for a reason of its own
	client := newClient(t, testProvide, "app", testKey)
	signIn := func(context.Context, *oauth.Result) (string, error) { return "", nil }
	constructors := map[string]func(oauth.Option) error{
		"Discover": func(o oauth.Option) error { _, err := oauth.Discover(canceled, testIssuer, o); return err },
		"NewClient": func(o oauth.Option) error {
			_, err := oauth.NewClient(&testProvide, "app", []string{testRedir}, testKey, o)
			return err
		},
		"NewClientCredentials": func(o oauth.Option) error {
			_, err := oauth.NewClientCredentials("https://op.example/token", "app", "secret", o)
			return err
		},
		"NewHandlers": func(o oauth.Option) error { _, err := oauth.NewHandlers(client, signIn, o); return err },
	}
	for _, tc := range []struct {
		name      string
		opt       oauth.Option
		appliesTo []string
	}{
		{"WithHTTPClient", oauth.WithHTTPClient(&http.Client{}), []string{"Discover", "NewClient", "NewClientCredentials"}},
		{"WithClock", oauth.WithClock(time.Now), []string{"NewClient", "NewClientCredentials"}},
		{"WithClientSecret", oauth.WithClientSecret("secret"), []string{"NewClient"}},
		{"WithScopes", oauth.WithScopes("email"), []string{"NewClient", "NewClientCredentials"}},
		{"WithAuthParam", oauth.WithAuthParam("prompt", "consent"), []string{"NewClient"}},
		{"WithTokenParam", oauth.WithTokenParam("audience", "api"), []string{"NewClientCredentials"}},
		{"WithPreviousKeys", oauth.WithPreviousKeys(otherKey), []string{"NewClient"}},
		{"WithAttemptTTL", oauth.WithAttemptTTL(5 * time.Minute), []string{"NewClient"}},
		{"WithLeeway", oauth.WithLeeway(time.Second), []string{"NewClient"}},
		{"WithUserinfo", oauth.WithUserinfo(), []string{"NewClient"}},
		{"WithInsecureCookies", oauth.WithInsecureCookies(), []string{"NewClient"}},
		{"WithEarlyRefresh", oauth.WithEarlyRefresh(time.Minute), []string{"NewClientCredentials"}},
		{"WithAudit", oauth.WithAudit(audit.Discard), []string{"NewHandlers"}},
		{"WithClientIP", oauth.WithClientIP(func(port.Exchange) string { return "" }), []string{"NewHandlers"}},
	} {
		for name, construct := range constructors {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				err := construct(tc.opt)
				refused := errors.Is(err, oauth.ErrInvalidConfig) && strings.Contains(err.Error(), tc.name+" does not apply here")
				if applies := slices.Contains(tc.appliesTo, name); applies == refused {
					t.Fatalf("err = %v; want it refused: %v", err, !applies)
				}
			})
		}
	}
}
