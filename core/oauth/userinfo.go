package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/authkit-go/authkit/core/strictjson"
)

// fetchUserinfo reads the userinfo endpoint with the access token (in the
// Authorization header, never the URL) and returns its JSON object, which
// must be strict (core/strictjson: no duplicate or case-variant members),
// so every later reader sees the same claims.
// For an OpenID provider its sub must equal the ID token's (OpenID Connect
// Core §5.3.2). Signed or encrypted (application/jwt) answers are refused.
func (c *Client) fetchUserinfo(ctx context.Context, t *Tokens, subject string) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.provider.UserinfoEndpoint, nil)
	if err != nil {
		return nil, fail(CodeUserinfoInvalid, errors.New("userinfo request"))
	}
	req.Header.Set("Authorization", "Bearer "+t.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.httpClient.Do(req)
	if err != nil {
		return nil, fail(CodeProviderUnavailable, errors.New("userinfo endpoint unreachable"))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		return nil, fail(CodeProviderUnavailable, errors.New("userinfo endpoint failed"))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fail(CodeUserinfoInvalid, errors.New("userinfo endpoint refused the access token"))
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, fail(CodeUserinfoInvalid, errors.New("userinfo answer is not application/json"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fail(CodeProviderUnavailable, errors.New("userinfo answer cut short"))
	}
	if len(body) > maxResponseBytes {
		return nil, fail(CodeUserinfoInvalid, errors.New("userinfo answer too large"))
	}
	if err := strictjson.Check(body); err != nil {
		return nil, fail(CodeUserinfoInvalid, fmt.Errorf("userinfo answer: %w", err))
	}
	if c.oidc() {
		var claims struct {
			Sub *string `json:"sub"`
		}
		if err := json.Unmarshal(body, &claims); err != nil || claims.Sub == nil || *claims.Sub != subject {
			return nil, fail(CodeUserinfoInvalid, errors.New("userinfo sub differs from the ID token's"))
		}
	}
	return body, nil
}
