package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/port"
)

// SignInFunc signs in the user of a completed sign-in. It finds the local
// account linked to (res.Issuer, res.Subject), or creates one — it must
// NEVER link an existing account because an email address matches, or
// whoever controls that address at some provider owns the account — and
// binds the request's session to it with guard.SignIn(ctx, ...), for which
// res.Principal() is the start. Provider tokens it keeps (res.Tokens) stay
// on the server, in the session or a store. It returns the local subject
// it signed in, for the audit event.
//
// An error is answered as guard.ProblemFor maps it: wrap
// authkit.ErrUnavailable for a store that failed (503); an error of no
// known kind is a 500.
type SignInFunc func(ctx context.Context, res *Result) (subject string, err error)

// Handlers are the two requests of a sign-in at the provider, as port
// handlers that every adapter serves with its Serve function
// (authhttp.Serve, authgin.Serve, authecho.Serve, authfiber.Serve), behind
// the guard's middleware:
//
//	h, err := oauth.NewHandlers(client, signIn, oauth.WithClientIP(g.ClientIP))
//	mux.Handle("GET /oauth/login", authhttp.Serve(h.Login()))
//	mux.Handle("GET /oauth/callback", authhttp.Serve(h.Callback()))
//
// The adapters hold no OAuth logic and this package imports no guard: the
// session is started by signIn, which the application passes in.
type Handlers struct {
	client *Client
	signIn SignInFunc
	cfg    config
}

// NewHandlers returns the sign-in handlers of client; signIn is called
// for every callback that passed all checks. Options: WithAudit,
// WithClientIP. Errors wrap ErrInvalidConfig.
func NewHandlers(client *Client, signIn SignInFunc, opts ...Option) (*Handlers, error) {
	if client == nil || signIn == nil {
		return nil, fmt.Errorf("%w: NewHandlers needs a client and a sign-in function", ErrInvalidConfig)
	}
	cfg, err := newConfig(forHandlers, opts)
	if err != nil {
		return nil, err
	}
	return &Handlers{client: client, signIn: signIn, cfg: cfg}, nil
}

// Login returns the handler of the login request, GET /oauth/login with an
// optional next=/path: a 302 to the provider's authorization endpoint
// (state, nonce, PKCE S256; see Client.Begin) that sets the attempt's
// cookie, and clears the oldest attempts when MaxAttempts are under way.
// next is kept when it is the query's only "next" and SafeReturnPath
// accepts it; anything else returns to "/". The answer is Cache-Control:
// no-store.
func (h *Handlers) Login() port.Handler { return port.HandlerFunc(h.login) }

func (h *Handlers) login(x port.Exchange) (port.Reply, error) {
	next := "/"
	if q, err := url.ParseQuery(x.RawQuery()); err == nil && len(q["next"]) == 1 {
		next = q["next"][0]
	}
	authURL, set, err := h.client.Begin(x.Context(), next, requestCookies(x))
	if err != nil {
		return port.Reply{}, err
	}
	for _, c := range set {
		x.SetCookie(c)
	}
	x.SetHeader("Cache-Control", "no-store")
	return port.Redirect(x, authURL), nil
}

// requestCookies are the cookies of x's Cookie header lines, read as
// net/http reads them (a malformed pair is skipped, not fatal).
func requestCookies(x port.Exchange) []*http.Cookie {
	return (&http.Request{Header: http.Header{"Cookie": x.HeaderValues("Cookie")}}).Cookies()
}

// Callback returns the handler of the provider's redirect back, GET
// /oauth/callback?code=...&state=...: Client.Complete checks it, signIn
// signs the user in, and the answer is a 302 to the attempt's return path
// at once, so the code leaves the address bar. A refused callback is the
// *Error Complete returned — 400 problem+json whose "code" member is its
// Code word (503 for provider_unavailable) — with no session started and
// an oauth.failed audit event. The attempt cookie is cleared whatever the
// outcome; every answer is Cache-Control: no-store.
func (h *Handlers) Callback() port.Handler { return port.HandlerFunc(h.callback) }

func (h *Handlers) callback(x port.Exchange) (port.Reply, error) {
	ctx := x.Context()
	res, clear, err := h.client.Complete(ctx, x.RawQuery(), x.Cookie)
	if clear != nil {
		x.SetCookie(clear)
	}
	x.SetHeader("Cache-Control", "no-store")
	if err != nil {
		h.emit(x, audit.Event{Kind: audit.OAuthFailed, Reason: reasonOf(err)})
		return port.Reply{}, err
	}
	sub, err := h.signIn(ctx, res)
	if err != nil {
		h.emit(x, audit.Event{Kind: audit.OAuthFailed, Reason: "sign_in_failed"})
		return port.Reply{}, err
	}
	h.emit(x, audit.Event{Kind: audit.LoginSucceeded, Subject: sub, Reason: "oauth"})
	return port.Redirect(x, res.Next), nil
}

// reasonOf is an audit Reason for a refused callback: the Code word, and
// for provider_error the provider's code after a colon (both are checked
// words, safe in a log line).
func reasonOf(err error) string {
	var oe *Error
	if !errors.As(err, &oe) {
		return "error"
	}
	if oe.ProviderCode != "" {
		return oe.Code + ":" + oe.ProviderCode
	}
	return oe.Code
}

func (h *Handlers) emit(x port.Exchange, e audit.Event) {
	e.IP = h.cfg.clientIP(x)
	e.UserAgent = audit.Clip(x.Header("User-Agent"), 256)
	h.cfg.audit.Emit(x.Context(), e)
}
