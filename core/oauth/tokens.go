package oauth

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Tokens are the provider's tokens from one token response. Keep them on
// the server (in the session or a store): never put them in a URL, a
// cookie or a log. Printing them with fmt or log/slog shows only their type,
// expiry and which ones are present; json.Marshal writes them in full, for
// server-side storage.
type Tokens struct {
	// AccessToken calls the provider's APIs.
	AccessToken string `json:"access_token"`
	// TokenType is "Bearer" in practice.
	TokenType string `json:"token_type,omitempty"`
	// RefreshToken, when the provider issued one, renews the access token
	// through Client.Refresh.
	RefreshToken string `json:"refresh_token,omitempty"`
	// Expiry is when AccessToken expires; zero when the provider did not
	// say.
	Expiry time.Time `json:"expiry,omitzero"`
	// IDToken is the raw, verified ID token (an id_token_hint for logout).
	IDToken string `json:"id_token,omitempty"`
	// Scope is the granted scope when the provider reported one.
	Scope string `json:"scope,omitempty"`
}

func tokensFrom(t *oauth2.Token) *Tokens {
	out := &Tokens{AccessToken: t.AccessToken, TokenType: t.Type(), RefreshToken: t.RefreshToken, Expiry: t.Expiry}
	if s, ok := t.Extra("id_token").(string); ok {
		out.IDToken = s
	}
	if s, ok := t.Extra("scope").(string); ok {
		out.Scope = s
	}
	return out
}

// String describes t without its secrets.
func (t Tokens) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "oauth.Tokens{type=%s", t.TokenType)
	if !t.Expiry.IsZero() {
		fmt.Fprintf(&b, " expiry=%s", t.Expiry.UTC().Format(time.RFC3339))
	}
	for _, f := range [...]struct {
		name string
		set  bool
	}{{"access", t.AccessToken != ""}, {"refresh", t.RefreshToken != ""}, {"id", t.IDToken != ""}} {
		if f.set {
			b.WriteString(" " + f.name + "=[redacted]")
		}
	}
	b.WriteByte('}')
	return b.String()
}

// GoString is String, so %#v redacts too.
func (t Tokens) GoString() string { return t.String() }

// Format makes every fmt verb print String.
func (t Tokens) Format(f fmt.State, _ rune) { fmt.Fprint(f, t.String()) }

// LogValue makes log/slog print the redacted form.
func (t Tokens) LogValue() slog.Value { return slog.StringValue(t.String()) }
