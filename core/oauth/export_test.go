package oauth

import (
	"context"
	"time"

	"github.com/authkit-go/authkit/core/token"
)

// OpenAttemptNext opens the attempt cookie value for state and returns the
// return path sealed in it.
func OpenAttemptNext(c *Client, state, value string) (string, error) {
	a, _, err := c.sealer.open(state, func(string) (string, bool) { return value, true }, c.cfg.now())
	if err != nil {
		return "", err
	}
	return a.Next, nil
}

// VerifyIDTokenWith checks raw as Complete does, with keys in place of the
// provider's JWKS.
func VerifyIDTokenWith(c *Client, keys token.KeySource, now func() time.Time, raw, nonce, accessToken string) (*token.Claims, error) {
	v, err := token.NewVerifier(keys, token.WithIssuer(c.provider.Issuer), token.WithAudience(c.clientID),
		token.WithLeeway(c.cfg.leeway), token.WithClock(now))
	if err != nil {
		return nil, err
	}
	cc := *c
	cc.verifier = v
	return cc.verifyIDToken(context.Background(), raw, nonce, accessToken)
}
