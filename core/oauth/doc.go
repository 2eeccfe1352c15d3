// Package oauth is authkit's OAuth 2.0 and OpenID Connect client, built on
// golang.org/x/oauth2: sign-in with the authorization code flow and PKCE,
// and client credentials tokens for service-to-service calls. It follows
// RFC 9700 (the OAuth 2.0 Security BCP) and OpenID Connect Core.
//
// Sign-in takes two requests, and the package keeps no server-side state
// for them:
//
//   - Begin makes a fresh state, nonce and PKCE verifier, seals them (with
//     the return path) into a short-lived cookie of their own — HttpOnly,
//     Secure, SameSite=Lax, "__Host-" — and returns the provider URL with
//     the S256 challenge. Several attempts (tabs) live side by side.
//   - Complete, at the callback, finds the attempt's cookie by the state,
//     opens it, checks state (constant time), expiry and RFC 9207 iss,
//     exchanges the code with the verifier, verifies the ID token through
//     core/token's remote JWKS and returns a Result. Every refusal is an
//     *Error with a stable Code word (state_mismatch, invalid_grant, ...).
//     The attempt cookie is cleared whatever the outcome: an attempt is
//     used once.
//
// Both take and return plain values — a query string, a cookie lookup,
// *http.Cookie — so a framework adapter only translates:
//
//	provider, err := oauth.Discover(ctx, "https://accounts.example.com")
//	if err != nil { ... }
//	client, err := oauth.NewClient(provider, "my-client-id",
//		[]string{"https://app.example.com/oauth/callback"}, appKey, // appKey: ≥ 32 random bytes
//		oauth.WithClientSecret(secret), oauth.WithScopes("email"))
//	if err != nil { ... }
//
//	// GET /oauth/login?next=/settings
//	authURL, set, err := client.Begin(r.Context(), r.URL.Query().Get("next"), r.Cookies())
//	for _, c := range set { http.SetCookie(w, c) } // the attempt, and clears of the oldest
//	http.Redirect(w, r, authURL, http.StatusFound)
//
//	// GET /oauth/callback?code=...&state=...
//	res, clear, err := client.Complete(r.Context(), r.URL.RawQuery, oauth.RequestCookies(r))
//	if clear != nil { http.SetCookie(w, clear) }
//	var oe *oauth.Error
//	if errors.As(err, &oe) { /* answer oe.Status() with code oe.Code */ }
//	// sign the user in as (res.Issuer, res.Subject), keep res.Tokens on the
//	// server, then redirect to res.Next at once.
//
// Behind authkit's guard, Handlers does the two requests as port handlers
// that every adapter serves (authhttp.Serve, authgin.Serve, ...), with
// refusals answered by guard.ProblemFor (400 problem+json with the Code
// word as "code", 503 for provider_unavailable) and audited; the
// application passes the function that signs the user in:
//
//	h, err := oauth.NewHandlers(client, func(ctx context.Context, res *oauth.Result) (string, error) {
//		// the account linked to res.LocalSubject(), never matched by email
//		_, err := guard.SignIn(ctx, res.Principal())
//		return res.LocalSubject(), err
//	}, oauth.WithClientIP(g.ClientIP))
//	mux.Handle("GET /oauth/login", authhttp.Serve(h.Login()))
//	mux.Handle("GET /oauth/callback", authhttp.Serve(h.Callback()))
//
// Every *Error wraps authkit.ErrInvalidRequest (ErrUnavailable for
// provider_unavailable), the root ProblemFor reads.
//
// Return paths: Begin accepts "next" only when SafeReturnPath does (a path
// on this server starting with exactly one "/"); anything else becomes "/".
//
// Client credentials: NewClientCredentials caches its token, renews it
// before expiry and lets one token request run for any number of callers;
// its Transport and Client attach the token to outgoing requests.
//
// Provider tokens (Tokens) and the client secret print as "[redacted]"
// through fmt and log/slog. Keep Tokens on the server.
package oauth
