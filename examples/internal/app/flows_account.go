package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/account"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/password"
	"github.com/authkit-go/authkit/core/ratelimit"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
)

// Stable codes of the account flows' 400 answers, in the "errors" member
// beside the password policy's (password.Code*).
const (
	CodeInvalidEmail  = "invalid_email"  // an address account.ParseEmail refuses
	CodeEmailRequired = "email_required" // -require-verified-email and no email at /register
	CodeNoEmail       = "no_email"       // the account has no address to verify
	CodeInvalidToken  = "invalid_token"  // a reset or verification token that is forged, expired, used, of another kind or for another address
	CodeSamePassword  = "same_password"  // a password change to the current password
)

// TypeEmailUnverified is the problem type of a sign-in refused under
// -require-verified-email.
const TypeEmailUnverified = "urn:authkit:problem:email-unverified"

// fieldErrors is a 400 with an "errors" member naming every refusal.
func fieldErrors(detail string, errs ...FieldError) Response {
	p := guard.NewProblem(http.StatusBadRequest, guard.TypeInvalidRequest, detail).With("errors", errs)
	return Response{Status: http.StatusBadRequest, Body: p}
}

// setUpMail chooses the mailer (Config.Mailer, -smtp-addr, -mail-dir, or
// the log) and starts the outbox that sends for it.
func (a *App) setUpMail() error {
	for _, l := range []account.Link{account.Link(a.cfg.ResetLink), account.Link(a.cfg.VerifyLink)} {
		if err := account.CheckLink(l); err != nil {
			return err
		}
	}
	from := a.cfg.MailFrom
	if from == "" {
		from = DefaultMailFrom
	}
	var err error
	switch {
	case a.cfg.Mailer != nil:
		a.mailer = a.cfg.Mailer
	case a.cfg.SMTPAddr != "":
		var opts []account.SMTPOption
		if a.cfg.SMTPUsername != "" {
			opts = append(opts, account.WithSMTPAuth(a.cfg.SMTPUsername, a.cfg.SMTPPassword))
		}
		if a.mailer, err = account.NewSMTPMailer(a.cfg.SMTPAddr, from, opts...); err != nil {
			return fmt.Errorf("-smtp-addr: %w", err)
		}
	case a.cfg.MailDir != "":
		if a.mailer, err = account.NewDirMailer(a.cfg.MailDir, from); err != nil {
			return fmt.Errorf("-mail-dir: %w", err)
		}
	default:
		a.mailer = account.NewLogMailer(nil)
	}
	a.outbox, err = account.NewOutbox()
	return err
}

// MailPerHour is how many messages one user may have the endpoints that
// mail on request (/email/verify/request, /email/change, and the reset
// mail of /password/forgot, which anyone may ask for) send per hour: an
// account cannot be made to flood an address, its own or the one it names,
// with mail.
const MailPerHour = 10

// newMailLimits are the limits of the mail sent on request: per user, on
// the endpoints that mail (mail, rl), and per address that a request names
// (mailTo): accounts are cheap, so without it many accounts of one
// stranger could each name somebody else's address at /email/change or
// /register. MailPerHour for each.
func newMailLimits(store ratelimit.Store, opts []ratelimit.Option) (mail *ratelimit.Limiter, rl *ratelimit.RequestLimit, mailTo *ratelimit.Limiter, err error) {
	limit := ratelimit.Limit{Rate: MailPerHour, Period: time.Hour, Burst: MailPerHour}
	if mail, err = ratelimit.New("mail", limit, store, opts...); err != nil {
		return nil, nil, nil, err
	}
	if rl, err = ratelimit.NewRequestLimit(mail, ratelimit.ByUser()); err != nil {
		return nil, nil, nil, err
	}
	mailTo, err = ratelimit.New("mail-to", limit, store, opts...)
	return mail, rl, mailTo, err
}

// chargeAddress charges one message to addr's budget (its address
// compared without case): the decision, or an error when the store could
// not decide (the limiter fails closed).
func (a *App) chargeAddress(ctx context.Context, addr string) (ratelimit.Decision, error) {
	return a.limits.mailTo.Allow(ctx, ratelimit.Key{Kind: "email", Value: strings.ToLower(addr)}, 1)
}

// mail queues m; it goes out in the background (a failure is logged), and
// nowhere when the account has no address.
func (a *App) mail(m account.Message) {
	if m.To != "" {
		_ = a.outbox.Send(a.mailer, m)
	}
}

// notify tells u's address about a change to the account (never with a
// token in it), with the request's client address and User-Agent.
func (a *App) notify(r Request, u User, kind account.Kind) {
	a.mail(account.Notice(kind, u.Email, u.Name, account.NoticeDetails{Time: time.Now(), IP: r.ClientIP, UserAgent: r.Header("User-Agent")}))
}

// delivery is where a sign-in's answer puts what it grants.
type delivery int

const (
	inBody          delivery = iota // the token pair in the body
	inRefreshCookie                 // the refresh token in the refresh cookie, the rest in the body
	sessionOnly                     // no tokens: the session cookie alone (the demo's pages)
)

// deliveryOf is the delivery a sign-in's body asks for.
func deliveryOf(refreshCookie, session bool) delivery {
	switch {
	case session:
		return sessionOnly
	case refreshCookie:
		return inRefreshCookie
	}
	return inBody
}

// signIn finishes a sign-in of u whose credentials passed (amr says how):
// it issues the token pair, binds the request's session to it (rotating
// its id; session and family are linked, so either ends both), and answers
// with the pair — the refresh token in the refresh cookie when d says so.
// A sessionOnly sign-in issues no tokens: the session alone, and a 200
// that says who signed in and how.
// Every sign-in flow ends here.
func (a *App) signIn(r Request, u User, amr []string, d delivery) Response {
	if a.cfg.RequireVerifiedEmail && !u.EmailVerified {
		// Only after the credentials passed: it tells nothing to whoever
		// does not hold them.
		// The user cannot sign in to ask for a token, so this attempt,
		// with the right password, mails a fresh one.
		a.audit.Emit(r.Ctx, audit.Event{Kind: audit.LoginFailed, Subject: u.Name, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256), Reason: "email_unverified"})
		if u.Email == "" {
			return problem(http.StatusForbidden, TypeEmailUnverified, "sign-in needs a verified email address, and the account has none")
		}
		_ = a.outbox.Go(func(ctx context.Context) error { return a.mailVerification(ctx, u) })
		return problem(http.StatusForbidden, TypeEmailUnverified, "verify the account's email address first: a verification token was mailed to it")
	}
	roles := u.Roles
	if a.admins[u.Name] && !slices.Contains(roles, "admin") {
		roles = append(roles, "admin")
	}
	var pair token.Pair
	if d != sessionOnly {
		var err error
		if pair, err = a.issuer.IssuePair(r.Ctx, token.Subject{ID: u.Name, Roles: roles, AMR: amr}); err != nil {
			slog.WarnContext(r.Ctx, "issuing tokens failed", "error", err)
			return unavailable()
		}
	}
	// The session is linked to the pair's family: revoking either ends both.
	if _, err := guard.SignIn(r.Ctx, guard.Principal{Subject: u.Name, Roles: roles, AMR: amr, Family: pair.Family()}); err != nil {
		slog.WarnContext(r.Ctx, "starting a session failed", "error", err)
		return unavailable()
	}
	a.audit.Emit(r.Ctx, audit.Event{Kind: audit.LoginSucceeded, Subject: u.Name, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256)})
	a.noticeNewDevice(r, u)
	if d == sessionOnly {
		return Response{Status: http.StatusOK, Body: sessionSignIn{Subject: u.Name, AMR: amr}}
	}
	return tokenAnswer(r, pair, d == inRefreshCookie)
}

// noticeNewDevice records the device u signed in from and, when the
// account has signed in before but never from it, mails a notice — in the
// background, so the sign-in neither waits for it nor fails with it. A
// device is the User-Agent and the client's network (/24 for IPv4, /64
// for IPv6, so an address that changes within one network is the same
// device), kept as an HMAC under a key derived from the application key.
func (a *App) noticeNewDevice(r Request, u User) {
	ua := audit.Clip(r.Header("User-Agent"), 256)
	network := r.ClientIP
	if ip, err := netip.ParseAddr(r.ClientIP); err == nil {
		bits := 64
		if ip.Unmap().Is4() {
			ip, bits = ip.Unmap(), 24
		}
		if p, err := ip.Prefix(bits); err == nil {
			network = p.String()
		}
	}
	mac := hmac.New(sha256.New, a.deviceKey)
	mac.Write([]byte(ua + "\x00" + network))
	device := hex.EncodeToString(mac.Sum(nil)[:16])
	now := time.Now()
	d := account.NoticeDetails{Time: now, IP: r.ClientIP, UserAgent: ua}
	_ = a.outbox.Go(func(ctx context.Context) error {
		known, first, err := a.users.SeenDevice(ctx, u.Name, device, now)
		if err != nil || known || first || u.Email == "" {
			return err
		}
		return a.mailer.Send(ctx, account.Notice(account.KindNewDevice, u.Email, u.Name, d))
	})
}

// sessionSignIn is the answer of a session-only sign-in (the demo's pages).
type sessionSignIn struct {
	Subject string   `json:"sub"`
	AMR     []string `json:"amr"`
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

// registrationEmail checks /register's optional "email", adding its
// refusal to errs; under -require-verified-email it is required.
func (a *App) registrationEmail(raw string, errs []FieldError) (string, []FieldError) {
	if raw == "" {
		if a.cfg.RequireVerifiedEmail {
			errs = append(errs, FieldError{Code: CodeEmailRequired, Message: "an email address is required: sign-in waits until it is verified"})
		}
		return "", errs
	}
	email, err := account.ParseEmail(raw)
	if err != nil {
		return "", append(errs, FieldError{Code: CodeInvalidEmail, Message: "the email address is not valid: " + emailRule})
	}
	return email, errs
}

// emailRule is account.ParseEmail's rule in words.
const emailRule = "one address such as name@example.com, without a display name, quotes, spaces or an IP address"

// registered mails a new account, under -require-verified-email, the
// verification token its first sign-in waits for, in the background (a
// failure is logged; a sign-in attempt with the right password mails
// another).
func (a *App) registered(r Request, u User) {
	if !a.cfg.RequireVerifiedEmail || u.Email == "" {
		return
	}
	_ = a.outbox.Go(func(ctx context.Context) error {
		// The address was named by whoever registered: on its budget
		// (beyond it nothing is sent; a sign-in with the right password
		// mails a fresh token, off that budget).
		if d, err := a.chargeAddress(ctx, u.Email); err != nil || !d.Allowed {
			return err
		}
		return a.mailVerification(ctx, u)
	})
}

// mailVerification issues a 24-hour verification token bound to u's
// address and mails it there.
func (a *App) mailVerification(ctx context.Context, u User) error {
	tok, err := a.issuer.IssuePurpose(ctx, u.Name, token.PurposeEmailVerification, token.BoundTo(u.Email))
	if err != nil {
		return err
	}
	return a.mailer.Send(ctx, account.TokenMessage(account.KindEmailVerification, u.Email, u.Name, tok, token.DefaultEmailVerificationTTL, account.Link(a.cfg.VerifyLink)))
}

// addEmail adds "email" and "email_verified" to a /me body for an account
// that has an address. A subject without an account here (an OAuth
// sign-in) gets neither.
func (a *App) addEmail(r Request, sub string, body *meAnswer) *Response {
	u, err := a.users.Get(r.Ctx, sub)
	switch {
	case errors.Is(err, ErrNoUser):
		return nil
	case err != nil:
		slog.WarnContext(r.Ctx, "reading a user failed", "error", err)
		resp := unavailable()
		return &resp
	}
	if u.Email != "" {
		body.Email, body.EmailVerified = u.Email, &u.EmailVerified
	}
	return nil
}

// forgotAccepted is the one answer of /password/forgot.
var forgotAccepted = map[string]string{"status": "accepted", "detail": "if the account exists and has an email address, a reset token is on its way"}

// forgotPassword starts a password reset. Its answer is the same — 202,
// the same body — whether the account exists, has no address, or does
// not exist, and so is its cost in the request: one lookup. Issuing the
// 15-minute token (bound to the address) and mailing it happen in the
// outbox, for an account with an address only.
func (a *App) forgotPassword(r Request) Response {
	var in PasswordForgot
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.ForgotPassword(r, in)
}

// PasswordForgot is the body of POST /password/forgot.
type PasswordForgot struct {
	Username string `json:"username"`
}

// ForgotPassword is the flow of POST /password/forgot for a body read
// already.
func (a *App) ForgotPassword(r Request, in PasswordForgot) (resp Response) {
	if in.Username == "" {
		return badRequest("username is required")
	}
	// The per-client-IP bucket covers this path in the guard; the
	// account's bucket is /login's, charged whether the account exists or
	// not, so a 429 tells nothing either.
	at, refused := a.throttleSignIn(r, in.Username)
	if refused != nil {
		return *refused
	}
	defer func() { resp = at.done(r, resp) }()
	name, ok := CanonicalUsername(in.Username)
	var u User
	err := ErrNoUser
	if ok {
		u, err = a.users.Get(r.Ctx, name)
	}
	ev := audit.Event{Kind: audit.PasswordResetRequested, Subject: name, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256)}
	switch {
	case errors.Is(err, ErrNoUser):
		ev.Subject, ev.Reason = a.typedName(in.Username), "unknown_user"
	case err != nil:
		slog.WarnContext(r.Ctx, "reading a user failed", "error", err)
		return unavailable()
	case u.Email == "":
		ev.Reason = "no_email"
	default:
		_ = a.outbox.Go(func(ctx context.Context) error {
			// Anyone may ask, so the mail goes on the account's mail
			// budget (MailPerHour), here in the background: a refusal
			// must neither change the answer nor its timing. Within the
			// budget a token mailed less than 15 minutes ago is always
			// there for the owner.
			if d, err := a.limits.mailer.Allow(ctx, ratelimit.UserKey(u.Name), 1); err != nil || !d.Allowed {
				return err
			}
			tok, err := a.issuer.IssuePurpose(ctx, u.Name, token.PurposePasswordReset, token.BoundTo(u.Email))
			if err != nil {
				return err
			}
			return a.mailer.Send(ctx, account.TokenMessage(account.KindPasswordReset, u.Email, u.Name, tok, token.DefaultPasswordResetTTL, account.Link(a.cfg.ResetLink)))
		})
	}
	a.audit.Emit(r.Ctx, ev)
	return Response{Status: http.StatusAccepted, Body: forgotAccepted}
}

// boundToEmail binds a purpose token to its account's current address and
// keeps the account it read in *u: a token mailed to an address the
// account no longer has is refused. An account that is gone binds to
// nothing, which refuses every token.
func (a *App) boundToEmail(u *User) token.PurposeOption {
	return token.BoundToLookup(func(ctx context.Context, sub string) (string, error) {
		got, err := a.users.Get(ctx, sub)
		if errors.Is(err, ErrNoUser) {
			*u = User{}
			return "\x00gone", nil
		}
		*u = got
		return got.Email, err
	})
}

// tokenRefused answers a purpose token that failed: 503 when a store did,
// else a 400 that never says why.
func tokenRefused(r Request, err error) Response {
	if errors.Is(err, authkit.ErrUnavailable) {
		slog.WarnContext(r.Ctx, "checking a token failed", "error", err)
		return unavailable()
	}
	return fieldErrors("the token is not valid", FieldError{Code: CodeInvalidToken, Message: "the token is invalid, expired, already used or not for this"})
}

// checkNewPassword checks pw against the policy for u: nil when it
// passes, else the 400 naming every failed rule (or a 503).
func (a *App) checkNewPassword(r Request, u User, pw string) *Response {
	errs, bad := a.policyErrors(r, pw, password.User{Name: u.Name, Email: u.Email})
	if bad != nil || len(errs) == 0 {
		return bad
	}
	a.audit.Emit(r.Ctx, audit.Event{Kind: audit.PasswordRejected, Subject: u.Name, IP: r.ClientIP, Reason: errs[len(errs)-1].Code})
	resp := fieldErrors("the new password was refused", errs...)
	return &resp
}

// resetPassword sets a new password with a reset token. The token is
// checked first without spending it, then the password policy — a weak
// password leaves the token usable — and only then is the token spent,
// the hash stored, and every session and token of the user ended.
func (a *App) resetPassword(r Request) Response {
	var in PasswordReset
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.ResetPassword(r, in)
}

// PasswordReset is the body of POST /password/reset.
type PasswordReset struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// ResetPassword is the flow of POST /password/reset for a body read
// already.
func (a *App) ResetPassword(r Request, in PasswordReset) Response {
	if in.Token == "" || in.Password == "" {
		return badRequest("token and password are required")
	}
	var u User
	bound := a.boundToEmail(&u)
	if _, err := a.issuer.VerifyPurpose(r.Ctx, in.Token, token.PurposePasswordReset, bound); err != nil {
		return tokenRefused(r, err)
	}
	if bad := a.checkNewPassword(r, u, in.Password); bad != nil {
		return *bad
	}
	hash, err := a.hasher.Hash(r.Ctx, in.Password)
	if err != nil {
		slog.WarnContext(r.Ctx, "hashing a password failed", "error", err)
		return unavailable()
	}
	if _, err := a.issuer.ConsumePurpose(r.Ctx, in.Token, token.PurposePasswordReset, bound); err != nil {
		return tokenRefused(r, err)
	}
	// The token is spent: from here a store failure leaves the user to ask
	// for another one (the answer is a 503).
	switch err := a.users.ChangeHash(r.Ctx, u.Name, u.Hash, hash); {
	case errors.Is(err, ErrStale), errors.Is(err, ErrNoUser):
		return tokenRefused(r, err) // the password changed since the token was checked
	case err != nil:
		slog.WarnContext(r.Ctx, "storing a password failed", "error", err)
		return unavailable()
	}
	if err := a.issuer.RevokeSubject(r.Ctx, u.Name); err != nil {
		slog.WarnContext(r.Ctx, "ending the sign-ins after a reset failed", "user", u.Name, "error", err)
		return unavailable()
	}
	if _, err := a.sessions.DestroyAll(r.Ctx, u.Name); err != nil {
		slog.WarnContext(r.Ctx, "ending the sessions after a reset failed", "user", u.Name, "error", err)
		return unavailable()
	}
	a.audit.Emit(r.Ctx, audit.Event{Kind: audit.PasswordReset, Subject: u.Name, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256)})
	a.notify(r, u, account.KindPasswordWasReset)
	return Response{Status: http.StatusNoContent}
}

// mailSecurityChange mails the notice of an MFA change (the MFA flows'
// notifySecurityChange) to the account's address, in the background.
func (a *App) mailSecurityChange(name string, change SecurityChange) {
	kind := map[SecurityChange]account.Kind{
		ChangeMFAEnabled: account.KindMFAEnabled, ChangeMFADisabled: account.KindMFADisabled,
		ChangeRecoveryCodesReplaced: account.KindRecoveryCodesReplaced,
	}[change]
	if kind == "" {
		return
	}
	now := time.Now()
	_ = a.outbox.Go(func(ctx context.Context) error {
		u, err := a.users.Get(ctx, name)
		if errors.Is(err, ErrNoUser) || err == nil && u.Email == "" {
			return nil
		}
		if err != nil {
			return err
		}
		return a.mailer.Send(ctx, account.Notice(kind, u.Email, u.Name, account.NoticeDetails{Time: now}))
	})
}

// changePassword replaces the password of the signed-in user, who gives
// the current one. The request's sign-in continues on a rotated session;
// every other session and token of the user ends (guard.SignOutOthers),
// pending reset and verification tokens included.
func (a *App) changePassword(r Request) Response {
	var in PasswordChange
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.ChangePassword(r, in)
}

// PasswordChange is the body of POST /password/change.
type PasswordChange struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// ChangePassword is the flow of POST /password/change for a body read
// already.
func (a *App) ChangePassword(r Request, in PasswordChange) Response {
	if in.Current == "" || in.New == "" {
		return badRequest("current_password and new_password are required")
	}
	p, _ := guard.PrincipalFrom(r.Ctx)
	u, bad := a.reauthenticateUser(r, p.Subject, in.Current)
	if bad != nil {
		return *bad
	}
	if subtle.ConstantTimeCompare([]byte(in.Current), []byte(in.New)) == 1 {
		return fieldErrors("the new password was refused", FieldError{Code: CodeSamePassword, Message: "the new password must differ from the current one"})
	}
	if bad := a.checkNewPassword(r, u, in.New); bad != nil {
		return *bad
	}
	hash, err := a.hasher.Hash(r.Ctx, in.New)
	if err != nil {
		slog.WarnContext(r.Ctx, "hashing a password failed", "error", err)
		return unavailable()
	}
	switch err := a.users.ChangeHash(r.Ctx, u.Name, u.Hash, hash); {
	case errors.Is(err, ErrStale):
		return problem(http.StatusConflict, TypeConflict, "the password changed meanwhile; sign in again")
	case err != nil:
		slog.WarnContext(r.Ctx, "storing a password failed", "error", err)
		return unavailable()
	}
	if err := guard.SignOutOthers(r.Ctx); err != nil {
		slog.WarnContext(r.Ctx, "ending the other sign-ins failed", "user", u.Name, "error", err)
		return answer(guard.ProblemFor(err))
	}
	if s, ok := guard.SessionFrom(r.Ctx); ok && !s.Destroyed() && s.UserID() == u.Name {
		if err := a.sessions.Rotate(r.Ctx, s); err != nil && !errors.Is(err, session.ErrNotFound) {
			slog.WarnContext(r.Ctx, "rotating the session failed", "error", err)
			return unavailable()
		}
	}
	a.audit.Emit(r.Ctx, audit.Event{Kind: audit.PasswordChanged, Subject: u.Name, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256)})
	a.notify(r, u, account.KindPasswordChanged)
	return Response{Status: http.StatusNoContent}
}

// requestVerification mails the signed-in user's address a 24-hour
// verification token.
func (a *App) requestVerification(r Request) Response {
	if bad := decode(r, &struct{}{}, true); bad != nil {
		return *bad
	}
	p, _ := guard.PrincipalFrom(r.Ctx)
	u, err := a.users.Get(r.Ctx, p.Subject)
	switch {
	case errors.Is(err, ErrNoUser) || err == nil && u.Email == "":
		return fieldErrors("the account has no email address", FieldError{Code: CodeNoEmail, Message: "set one with POST /email/change first"})
	case err != nil:
		slog.WarnContext(r.Ctx, "reading a user failed", "error", err)
		return unavailable()
	}
	tok, err := a.issuer.IssuePurpose(r.Ctx, u.Name, token.PurposeEmailVerification, token.BoundTo(u.Email))
	if err != nil {
		slog.WarnContext(r.Ctx, "issuing a verification token failed", "error", err)
		return unavailable()
	}
	a.mail(account.TokenMessage(account.KindEmailVerification, u.Email, u.Name, tok, token.DefaultEmailVerificationTTL, account.Link(a.cfg.VerifyLink)))
	a.audit.Emit(r.Ctx, audit.Event{Kind: audit.EmailVerificationSent, Subject: u.Name, IP: r.ClientIP})
	return Response{Status: http.StatusAccepted, Body: map[string]string{"status": "accepted", "detail": "a verification token was mailed to the account's address"}}
}

// verifyEmail marks an address verified with the token mailed to it. It
// needs no sign-in: the token says whose address it is, and works only
// while the account still has that address.
func (a *App) verifyEmail(r Request) Response {
	var in struct {
		Token string `json:"token"`
	}
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	if in.Token == "" {
		return badRequest("token is required")
	}
	var u User
	if _, err := a.issuer.ConsumePurpose(r.Ctx, in.Token, token.PurposeEmailVerification, a.boundToEmail(&u)); err != nil {
		return tokenRefused(r, err)
	}
	switch err := a.users.VerifyEmail(r.Ctx, u.Name, u.Email); {
	case errors.Is(err, ErrStale), errors.Is(err, ErrNoUser):
		return tokenRefused(r, err) // the address changed since the token was checked
	case err != nil:
		slog.WarnContext(r.Ctx, "storing a verification failed", "error", err)
		return unavailable()
	}
	a.audit.Emit(r.Ctx, audit.Event{Kind: audit.EmailVerified, Subject: u.Name, IP: r.ClientIP})
	return Response{Status: http.StatusNoContent}
}

// changeEmail gives the signed-in user, who gives the password, a new
// address: not verified, a verification token mailed to it, a notice to
// the old one. Tokens mailed to the old address stop working (they are
// bound to it).
func (a *App) changeEmail(r Request) Response {
	var in struct {
		Password string `json:"password"`
		Email    string `json:"email"`
	}
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	if in.Password == "" || in.Email == "" {
		return badRequest("password and email are required")
	}
	email, err := account.ParseEmail(in.Email)
	if err != nil {
		return fieldErrors("the email address was refused", FieldError{Code: CodeInvalidEmail, Message: "the email address is not valid: " + emailRule})
	}
	p, _ := guard.PrincipalFrom(r.Ctx)
	u, bad := a.reauthenticateUser(r, p.Subject, in.Password)
	if bad != nil {
		return *bad
	}
	// The new address is on its own budget too, whatever account names it.
	switch d, err := a.chargeAddress(r.Ctx, email); {
	case err != nil:
		slog.WarnContext(r.Ctx, "the mail limit could not decide", "error", err)
		return answer(guard.ProblemFor(err))
	case !d.Allowed:
		return answer(guard.ProblemFor(append(ratelimit.DecisionsFrom(r.Ctx), d).Err()))
	}
	// The token first: bound to the new address, it is worthless until the
	// address is stored, so a failure in between changes nothing.
	tok, err := a.issuer.IssuePurpose(r.Ctx, u.Name, token.PurposeEmailVerification, token.BoundTo(email))
	if err != nil {
		slog.WarnContext(r.Ctx, "issuing a verification token failed", "error", err)
		return unavailable()
	}
	if err := a.users.SetEmail(r.Ctx, u.Name, email); err != nil {
		slog.WarnContext(r.Ctx, "storing an email address failed", "error", err)
		return unavailable()
	}
	a.mail(account.TokenMessage(account.KindEmailVerification, email, u.Name, tok, token.DefaultEmailVerificationTTL, account.Link(a.cfg.VerifyLink)))
	if u.Email != "" && u.Email != email {
		a.mail(account.Notice(account.KindEmailChanged, u.Email, u.Name, account.NoticeDetails{Time: time.Now(), IP: r.ClientIP, UserAgent: r.Header("User-Agent"), NewEmail: email}))
	}
	a.audit.Emit(r.Ctx, audit.Event{Kind: audit.EmailChanged, Subject: u.Name, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256)})
	return Response{Status: http.StatusAccepted, Body: map[string]string{"status": "accepted", "detail": "a verification token was mailed to the new address"}}
}

// revokeSession ends one of the user's sessions, as GET /sessions lists
// them, with its linked refresh family: "sign out this device".
func (a *App) revokeSession(r Request) Response {
	var in SessionRevoke
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.RevokeSession(r, in)
}

// SessionRevoke is the body of POST /sessions/revoke.
type SessionRevoke struct {
	IDHint string `json:"id_hint"`
}

// RevokeSession is the flow of POST /sessions/revoke for a body read
// already.
func (a *App) RevokeSession(r Request, in SessionRevoke) Response {
	if in.IDHint == "" {
		return badRequest("id_hint is required")
	}
	p, _ := guard.PrincipalFrom(r.Ctx)
	n, err := a.sessions.DestroyByHint(r.Ctx, p.Subject, in.IDHint)
	switch {
	case errors.Is(err, session.ErrInvalidValue) || err == nil && n == 0:
		return problem(http.StatusNotFound, TypeNotFound, "no session of yours has this id_hint")
	case err != nil:
		slog.WarnContext(r.Ctx, "ending a session failed", "error", err)
		return unavailable()
	}
	return Response{Status: http.StatusNoContent}
}
