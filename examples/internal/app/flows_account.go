package app

import (
	"log/slog"
	"net/http"
	"slices"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/token"
)

// signIn finishes a sign-in of u whose credentials passed (amr says how):
// it issues the token pair, binds the request's session to it (rotating
// its id; session and family are linked, so either ends both), and answers
// with the pair — the refresh token in the refresh cookie when
// refreshCookie asks for it. Every sign-in flow ends here.
func (a *App) signIn(r Request, u User, amr []string, refreshCookie bool) Response {
	roles := u.Roles
	if a.admins[u.Name] && !slices.Contains(roles, "admin") {
		roles = append(roles, "admin")
	}
	pair, err := a.issuer.IssuePair(r.Ctx, token.Subject{ID: u.Name, Roles: roles, AMR: amr})
	if err != nil {
		slog.WarnContext(r.Ctx, "issuing tokens failed", "error", err)
		return unavailable()
	}
	// The session is linked to the pair's family: revoking either ends both.
	if _, err := guard.SignIn(r.Ctx, guard.Principal{Subject: u.Name, Roles: roles, AMR: amr, Family: pair.Family()}); err != nil {
		slog.WarnContext(r.Ctx, "starting a session failed", "error", err)
		return unavailable()
	}
	a.audit.Emit(r.Ctx, audit.Event{Kind: audit.LoginSucceeded, Subject: u.Name, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256)})
	return tokenAnswer(r, pair, refreshCookie)
}

// cookiePair is a token answer in cookie mode: the refresh token is in the
// refresh cookie, so the body leaves it out — a token JavaScript can read
// would gain nothing from the cookie.
type cookiePair struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// tokenAnswer is the 200 of a sign-in or a refresh: the pair in the body
// or, in cookie mode, the refresh token in the refresh cookie (Max-Age its
// remaining lifetime) and the rest in the body.
func tokenAnswer(r Request, pair token.Pair, cookieMode bool) Response {
	header := map[string]string{"Pragma": "no-cache"}
	if !cookieMode {
		return Response{Status: http.StatusOK, Body: pair, Header: header}
	}
	if err := guard.SetRefreshCookie(r.Ctx, pair.RefreshToken, pair.RefreshExpiresIn()); err != nil {
		slog.ErrorContext(r.Ctx, "setting the refresh cookie failed", "error", err)
		return Internal()
	}
	return Response{Status: http.StatusOK, Body: cookiePair{AccessToken: pair.AccessToken, TokenType: pair.TokenType, ExpiresIn: pair.ExpiresIn}, Header: header}
}

// signedOut is the 204 of a logout: the refresh cookie is cleared with the
// session cookie (its family has ended through the access token, the linked
// session or a refresh token in the body; the browser sends the cookie only
// to /token/refresh, so it is cleared unseen).
func signedOut(r Request) Response {
	if err := guard.ClearRefreshCookie(r.Ctx); err != nil {
		slog.ErrorContext(r.Ctx, "clearing the refresh cookie failed", "error", err)
	}
	return Response{Status: http.StatusNoContent}
}
