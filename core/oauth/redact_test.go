package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/oauth"
)

const (
	secretAccess  = "AT-secret-0123456789"
	secretRefresh = "RT-secret-0123456789"
	secretID      = "eyJID.secret.0123456789"
	secretClient  = "client-secret-0123456789"
)

// printed returns every way a value is commonly printed or logged.
func printed(v any) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%v|%+v|%#v|%s|%q|", v, v, v, v, v)
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "v", v)
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "v", v)
	return b.String()
}

func assertNoSecret(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{secretAccess, secretRefresh, secretID, secretClient} {
		if strings.Contains(out, s) {
			t.Fatalf("printed form shows a secret: %s", out)
		}
	}
}

func TestTokensRedacted(t *testing.T) {
	tok := oauth.Tokens{AccessToken: secretAccess, TokenType: "Bearer", RefreshToken: secretRefresh, IDToken: secretID, Expiry: time.Unix(1_780_000_000, 0)}
	for _, v := range []any{tok, &tok, oauth.Result{Subject: "u", Tokens: &tok}, &oauth.Result{Tokens: &tok}} {
		out := printed(v)
		assertNoSecret(t, out)
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("printed form does not say what it hides: %s", out)
		}
	}
	// Server-side storage keeps them.
	b, err := json.Marshal(tok)
	if err != nil || !bytes.Contains(b, []byte(secretRefresh)) {
		t.Fatalf("json = %s, %v", b, err)
	}
	var back oauth.Tokens
	if err := json.Unmarshal(b, &back); err != nil || !back.Expiry.Equal(tok.Expiry) || back.AccessToken != tok.AccessToken ||
		back.RefreshToken != tok.RefreshToken || back.IDToken != tok.IDToken || back.TokenType != tok.TokenType {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}

func TestSecretsNotPrinted(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey, oauth.WithClientSecret(secretClient))
	cc, err := oauth.NewClientCredentials("https://op.example/token", "svc", secretClient)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{c, cc} {
		out := printed(v)
		assertNoSecret(t, out)
		if bytes.Contains([]byte(out), testKey) {
			t.Fatalf("printed form shows the key: %s", out)
		}
	}
}

func TestNewClientCredentialsRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, url, id, secret string
		opts                  []oauth.Option
	}{
		{"http off loopback", "http://op.example/token", "svc", "s", nil},
		{"relative URL", "/token", "svc", "s", nil},
		{"no client id", "https://op.example/token", "", "s", nil},
		{"no secret", "https://op.example/token", "svc", "", nil},
		{"reserved param", "https://op.example/token", "svc", "s", []oauth.Option{oauth.WithTokenParam("grant_type", "password")}},
		{"early refresh too long", "https://op.example/token", "svc", "s", []oauth.Option{oauth.WithEarlyRefresh(2 * time.Hour)}},
		{"option for a sign-in client", "https://op.example/token", "svc", "s", []oauth.Option{oauth.WithUserinfo()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := oauth.NewClientCredentials(tc.url, tc.id, tc.secret, tc.opts...); !errors.Is(err, oauth.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

// The transport never sends a token in clear text off loopback, and closes
// the request body it was handed.
func TestTransportRefusesPlainHTTP(t *testing.T) {
	cc, err := oauth.NewClientCredentials("https://op.example/token", "svc", secretClient)
	if err != nil {
		t.Fatal(err)
	}
	body := &closeTracker{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest(http.MethodPost, "http://api.example/x", body)
	resp, err := cc.Transport(nil).RoundTrip(req)
	if err == nil || resp != nil || !body.closed {
		t.Fatalf("RoundTrip = %v, %v (body closed %v)", resp, err, body.closed)
	}
}

func TestClientCredentialsUnreachable(t *testing.T) {
	cc, err := oauth.NewClientCredentials(deadServer(t)+"/token", "svc", secretClient)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cc.Token(context.Background())
	if !errors.Is(err, oauth.ErrUnavailable) || !errors.Is(err, oauth.ErrProviderUnavailable) {
		t.Fatalf("err = %v", err)
	}
	assertNoSecret(t, err.Error())
}

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }
