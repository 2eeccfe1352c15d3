package authkit_test

import (
	"errors"
	"testing"

	"github.com/authkit-go/authkit/core/account"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/core/password"
	"github.com/authkit-go/authkit/core/ratelimit"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// Every package's "bad configuration" and "store down" sentinels share one
// root each, so an application branches once whatever package answered.
func TestEveryPackageRootsItsSentinels(t *testing.T) {
	for _, root := range []struct {
		root      error
		sentinels map[string]error
	}{
		{authkit.ErrInvalidConfig, map[string]error{
			"account":    account.ErrInvalidConfig,
			"guard":      guard.ErrInvalidConfig,
			"headers":    headers.ErrInvalidOption,
			"mfa":        mfa.ErrInvalidConfig,
			"oauth":      oauth.ErrInvalidConfig,
			"password":   password.ErrInvalidConfig,
			"ratelimit":  ratelimit.ErrInvalidConfig,
			"session":    session.ErrInvalidConfig,
			"token":      token.ErrInvalidConfig,
			"tokenstore": tokenstore.ErrInvalidConfig,
		}},
		{authkit.ErrUnavailable, map[string]error{
			"session":    session.ErrUnavailable,
			"token":      token.ErrUnavailable,
			"tokenstore": tokenstore.ErrUnavailable,
			"mfa":        mfa.ErrUnavailable,
			"ratelimit":  ratelimit.ErrUnavailable,
			"oauth":      oauth.ErrUnavailable,
		}},
	} {
		for name, err := range root.sentinels {
			if !errors.Is(err, root.root) {
				t.Errorf("%s: %v does not wrap %v", name, err, root.root)
			}
		}
	}
	// A real constructor's error, not only the sentinel.
	if _, err := headers.New(headers.WithHeader("Bad Name", "x")); !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Errorf("headers.New with a bad header name: %v, want an authkit.ErrInvalidConfig", err)
	}
	if _, err := password.NewHasher(password.WithBcrypt(1)); !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Errorf("password.NewHasher with bcrypt cost 1: %v, want an authkit.ErrInvalidConfig", err)
	}
}
