package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/mfa"
	mfaredis "github.com/authkit-go/authkit/core/mfa/redisstore"
	"github.com/authkit-go/authkit/core/password"
	"github.com/authkit-go/authkit/core/token"
)

// MFAIssuer is the name authenticator apps show above the example's codes.
const MFAIssuer = "authkit example"

// mfaKeyID names the MFA sealing key inside every sealed secret. The key
// is the application key's PurposeMFASeal derivation; a new application
// key makes the old records unopenable (503 for their users, never a
// silent pass), so rotating it needs a Keyring holding both.
const mfaKeyID = "app-v1"

// How a sign-in authenticated (RFC 8176 amr values, and "rcv" for a
// recovery code).
var (
	amrPassword     = []string{"pwd"}
	amrTOTP         = []string{"pwd", "otp", "mfa"}
	amrRecoveryCode = []string{"pwd", "rcv", "mfa"}
)

// SecurityChange names a change to what protects an account, for a
// SecurityNotifier.
type SecurityChange string

// The changes the MFA flows report.
const (
	ChangeMFAEnabled            SecurityChange = "mfa_enabled"
	ChangeMFADisabled           SecurityChange = "mfa_disabled"
	ChangeRecoveryCodesReplaced SecurityChange = "recovery_codes_replaced"
)

// SecurityNotifier is told about changes to what protects an account once
// they have taken effect, to send the user a security notice (an email:
// "two-factor sign-in was turned off"). It must not block for long and
// cannot refuse the change; a failure is its own to log.
type SecurityNotifier interface {
	SecurityChanged(ctx context.Context, username string, change SecurityChange)
}

// Refusals of the MFA flows, answered through guard.ProblemFor.
var (
	// errSecondFactorDue: the password was right, a code is still due (or
	// the one given was wrong). A 401, sent with mfa_required and a fresh
	// mfa_token.
	errSecondFactorDue = fmt.Errorf("app: a second factor is required: %w", authkit.ErrInvalidCredentials)
	// errWrongCode: a wrong code on an MFA settings endpoint, whose
	// request is already authenticated: a 400, so that the client does not
	// take it for a dead sign-in.
	errWrongCode = fmt.Errorf("app: wrong code: %w", authkit.ErrInvalidRequest)
)

// newMFA builds the MFA manager: its secrets sealed under the application
// key's MFA derivation, its state on Redis when the App uses Redis.
func (a *App) newMFA(cfg Config) error {
	keys, err := mfa.NewKeyring(mfa.Key{ID: mfaKeyID, Secret: a.appKey.Derive(PurposeMFASeal)})
	if err != nil {
		return err
	}
	var store mfa.Store = mfa.NewMemoryStore()
	if a.redis != nil {
		if store, err = mfaredis.New(a.redis, mfaredis.WithPrefix(cfg.RedisPrefix+"mfa:")); err != nil {
			return err
		}
	}
	a.mfa, err = mfa.New(MFAIssuer, store, keys, append([]mfa.Option{mfa.WithAudit(a.audit)}, cfg.MFAOptions...)...)
	return err
}

// loginFactor decides the second factor of a /login whose password was
// right: none for a user without MFA (a code given is ignored), else the
// otp or recovery_code of the request. A missing or wrong code gets the
// mfa_required answer; a wrong one counts as a failed attempt.
func (a *App) loginFactor(r Request, name, otp, recoveryCode string) ([]string, *Response) {
	if otp == "" && recoveryCode == "" {
		switch on, err := a.mfa.Enabled(r.Ctx, name); {
		case err != nil:
			slog.WarnContext(r.Ctx, "reading the MFA state failed", "user", name, "error", err)
			return nil, ref(unavailable())
		case !on:
			return amrPassword, nil
		}
		return nil, a.secondFactorDue(r, name)
	}
	amr, err := a.checkFactor(r, name, otp, recoveryCode)
	if errors.Is(err, mfa.ErrMalformedCode) {
		// Refused before the store was asked: whether the user has a
		// factor at all is still open.
		switch on, e := a.mfa.Enabled(r.Ctx, name); {
		case e != nil:
			err = e
		case !on:
			err = mfa.ErrNotEnrolled
		}
	}
	if errors.Is(err, mfa.ErrNotEnrolled) {
		return amrPassword, nil
	}
	return amr, a.factorRefused(r, name, err)
}

// checkFactor checks a TOTP code or a recovery code (exactly one) and
// returns the amr it earns.
func (a *App) checkFactor(r Request, name, otp, recoveryCode string) ([]string, error) {
	switch {
	case otp != "" && recoveryCode != "":
		return nil, fmt.Errorf("app: otp and recovery_code together: %w", authkit.ErrInvalidRequest)
	case otp != "":
		return amrTOTP, a.mfa.Verify(r.Ctx, name, otp)
	case recoveryCode != "":
		_, err := a.mfa.UseRecoveryCode(r.Ctx, name, recoveryCode)
		return amrRecoveryCode, err
	}
	return nil, fmt.Errorf("app: no code: %w", authkit.ErrInvalidRequest)
}

// factorRefused answers a failed sign-in factor: a wrong, malformed or
// replayed code as "a second factor is due" (with a new mfa_token), a
// locked factor 429 with Retry-After, a store failure 503. nil for nil.
func (a *App) factorRefused(r Request, name string, err error) *Response {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mfa.ErrInvalidCode):
		a.audit.Emit(r.Ctx, audit.Event{Kind: audit.LoginFailed, Subject: name, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256), Reason: "bad_second_factor"})
		return a.secondFactorDue(r, name)
	case errors.Is(err, authkit.ErrUnavailable):
		slog.WarnContext(r.Ctx, "checking a second factor failed", "user", name, "error", err)
	}
	return ref(answer(guard.ProblemFor(err)))
}

// secondFactorDue is the 401 of a sign-in whose password was right and
// whose second factor is due: mfa_required and an mfa_token, the
// single-use, 5-minute purpose token that POST /login/mfa exchanges with a
// code, so the password is not sent again.
func (a *App) secondFactorDue(r Request, name string) *Response {
	tok, err := a.issuer.IssuePurpose(r.Ctx, name, token.PurposeMFA)
	if err != nil {
		slog.WarnContext(r.Ctx, "issuing an MFA token failed", "error", err)
		return ref(unavailable())
	}
	p := guard.ProblemFor(errSecondFactorDue)
	p.Detail = "a second factor is required: send otp or recovery_code (with the mfa_token to /login/mfa)"
	p.With("mfa_required", true).With("mfa_token", tok)
	return &Response{Status: p.Status, Body: p, Header: map[string]string{"Pragma": "no-cache"}}
}

func ref(r Response) *Response { return &r }

// loginMFA is POST /login/mfa: the mfa_token of a /login whose password
// was right, and a code. The token works once, whatever the outcome; a
// wrong code gets the same answer as /login's, with a new mfa_token.
func (a *App) loginMFA(r Request) Response {
	var in MFASignIn
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.LoginMFA(r, in)
}

// MFASignIn is the body of POST /login/mfa.
type MFASignIn struct {
	MFAToken     string `json:"mfa_token"`
	OTP          string `json:"otp,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
	// RefreshCookie asks for the refresh token in the refresh cookie,
	// as at /login.
	RefreshCookie bool `json:"refresh_cookie,omitempty"`
	// SessionOnly signs in with the session cookie alone, as
	// Credentials.SessionOnly. Not part of the JSON API.
	SessionOnly bool `json:"-"`
}

// LoginMFA is the flow of POST /login/mfa for a body read already (the
// demo's second sign-in step).
func (a *App) LoginMFA(r Request, in MFASignIn) (resp Response) {
	if in.MFAToken == "" || (in.OTP == "") == (in.RecoveryCode == "") {
		return badRequest("mfa_token and one of otp or recovery_code are required")
	}
	c, err := a.issuer.ConsumePurpose(r.Ctx, in.MFAToken, token.PurposeMFA)
	if err != nil {
		// Forged, expired, used, revoked: one 401; 503 when a store failed.
		return answer(guard.ProblemForToken(err))
	}
	name := c.Subject
	// The per-account sign-in throttle of /login; the factor's own lock
	// (core/mfa) applies besides.
	at, refused := a.throttleSignIn(r, name)
	if refused != nil {
		return *refused
	}
	defer func() { resp = at.done(r, resp) }()
	u, err := a.users.Get(r.Ctx, name)
	switch {
	case errors.Is(err, ErrNoUser):
		return badCredentials()
	case err != nil:
		slog.WarnContext(r.Ctx, "reading a user failed", "error", err)
		return unavailable()
	}
	amr, err := a.checkFactor(r, name, in.OTP, in.RecoveryCode)
	if errors.Is(err, mfa.ErrNotEnrolled) {
		// MFA went off since the password was checked: the token's
		// purpose is gone.
		return badCredentials()
	}
	if refuse := a.factorRefused(r, name, err); refuse != nil {
		return *refuse
	}
	return a.signIn(r, u, amr, deliveryOf(in.RefreshCookie, in.SessionOnly))
}

// reauthenticate checks the current password of the request's user, as the
// endpoints that change the factor require, so that a stolen session alone
// can neither enrol, disable nor regenerate. nil when it is right.
func (a *App) reauthenticate(r Request, name, pw string) *Response {
	_, refuse := a.reauthenticateUser(r, name, pw)
	return refuse
}

// reauthenticateUser is reauthenticate that also returns the account, for
// the flows that change it (password and email change).
func (a *App) reauthenticateUser(r Request, name, pw string) (User, *Response) {
	if pw == "" {
		return User{}, ref(badRequest("password is required"))
	}
	// A stolen session must not become a password oracle: each check is
	// an attempt on the account's sign-in budget (throttleSignIn), and a
	// right password gives back what a failure costs more, as a sign-in
	// does.
	at, refused := a.throttleSignIn(r, name)
	if refused != nil {
		return User{}, refused
	}
	fail := func(reason string) (User, *Response) {
		a.audit.Emit(r.Ctx, audit.Event{Kind: audit.LoginFailed, Subject: name, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256), Reason: reason})
		return User{}, ref(at.done(r, badCredentials()))
	}
	if len(pw) > password.MaxPasswordBytes {
		return fail("reauth_password_too_long")
	}
	u, err := a.users.Get(r.Ctx, name)
	switch {
	case errors.Is(err, ErrNoUser): // an account without a password
		_ = a.hasher.VerifyDummy(r.Ctx)
		return fail("reauth_no_password")
	case err != nil:
		slog.WarnContext(r.Ctx, "reading a user failed", "error", err)
		return User{}, ref(unavailable())
	}
	if _, err := a.hasher.Verify(r.Ctx, pw, u.Hash); err != nil {
		return fail("reauth_bad_password")
	}
	at.done(r, Response{Status: http.StatusOK}) // the refund; the flow's own answer follows
	return u, nil
}

// reauthWithCode reads the {"password","code"} body of /mfa/disable and
// /mfa/recovery-codes and checks the password, before any code.
func (a *App) reauthWithCode(r Request) (guard.Principal, string, *Response) {
	var in struct {
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	p, _ := guard.PrincipalFrom(r.Ctx)
	if bad := decode(r, &in, false); bad != nil {
		return p, "", bad
	}
	if in.Code == "" {
		return p, "", ref(badRequest("password and code are required"))
	}
	return p, in.Code, a.reauthenticate(r, p.Subject, in.Password)
}

// mfaRefused answers a refusal of the Manager on a settings endpoint: a
// wrong code 400, the rest as guard.ProblemFor says (409 already
// enrolled, 400 nothing pending or not enrolled, 429 locked, 503).
func mfaRefused(r Request, err error) Response {
	if errors.Is(err, mfa.ErrInvalidCode) {
		err = errWrongCode
	}
	p := guard.ProblemFor(err)
	switch {
	case errors.Is(err, errWrongCode):
		p.Detail = "the code is wrong or was already used"
	case errors.Is(err, authkit.ErrUnavailable):
		slog.WarnContext(r.Ctx, "an MFA store failed", "error", err)
	}
	return answer(p)
}

// mfaEnroll is POST /mfa/enroll: with the current password, a new pending
// factor (replacing a pending one) to show as a secret, URI and QR code.
func (a *App) mfaEnroll(r Request) Response {
	var in MFAEnroll
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.EnrollMFA(r, in)
}

// MFAEnroll is the body of POST /mfa/enroll.
type MFAEnroll struct {
	Password string `json:"password"`
}

// EnrollMFA is the flow of POST /mfa/enroll for a body read already.
func (a *App) EnrollMFA(r Request, in MFAEnroll) Response {
	p, _ := guard.PrincipalFrom(r.Ctx)
	if refuse := a.reauthenticate(r, p.Subject, in.Password); refuse != nil {
		return *refuse
	}
	e, err := a.mfa.Enroll(r.Ctx, p.Subject, p.Subject)
	if err != nil {
		return mfaRefused(r, err)
	}
	return Response{Status: http.StatusOK, Body: map[string]string{
		"secret":        e.Secret,
		"otpauth_uri":   e.URI,
		"qr_png_base64": base64.StdEncoding.EncodeToString(e.QRCode),
	}}
}

// mfaConfirm is POST /mfa/confirm: a code for the pending factor turns MFA
// on and returns the recovery codes. The account's protection changed, so
// every other sign-in ends (unless Config.KeepOtherSignInsOnMFAChange),
// and a session is rotated and marked otp, so the browser needs no second
// sign-in; a bearer client signs in again for tokens that carry otp.
func (a *App) mfaConfirm(r Request) Response {
	var in MFAConfirm
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.ConfirmMFA(r, in)
}

// MFAConfirm is the body of POST /mfa/confirm.
type MFAConfirm struct {
	Code string `json:"code"`
}

// ConfirmMFA is the flow of POST /mfa/confirm for a body read already.
func (a *App) ConfirmMFA(r Request, in MFAConfirm) Response {
	if in.Code == "" {
		return badRequest("code is required")
	}
	p, _ := guard.PrincipalFrom(r.Ctx)
	codes, err := a.mfa.Confirm(r.Ctx, p.Subject, in.Code)
	if errors.Is(err, mfa.ErrAlreadyEnrolled) {
		// MFA on and nothing pending: for this endpoint that is "nothing
		// pending", a 400 (REFERENCE-API.md); the 409 is /mfa/enroll's.
		err = mfa.ErrNothingPending
	}
	if err != nil {
		return mfaRefused(r, err)
	}
	if refuse := a.factorChanged(r, p, true, ChangeMFAEnabled); refuse != nil {
		return *refuse
	}
	return Response{Status: http.StatusOK, Body: map[string][]string{"recovery_codes": codes}}
}

// mfaDisable is POST /mfa/disable: with the current password and a TOTP or
// recovery code, MFA off. Every other sign-in ends, as for enabling.
func (a *App) mfaDisable(r Request) Response {
	p, code, refuse := a.reauthWithCode(r)
	if refuse != nil {
		return *refuse
	}
	var err error
	if _, shaped := mfa.NormalizeRecoveryCode(code); shaped == nil {
		_, err = a.mfa.UseRecoveryCode(r.Ctx, p.Subject, code)
	} else {
		err = a.mfa.Verify(r.Ctx, p.Subject, code)
	}
	if err == nil {
		err = a.mfa.Disable(r.Ctx, p.Subject)
	}
	if err != nil {
		return mfaRefused(r, err)
	}
	if refuse := a.factorChanged(r, p, false, ChangeMFADisabled); refuse != nil {
		return *refuse
	}
	return Response{Status: http.StatusNoContent}
}

// mfaRecoveryCodes is POST /mfa/recovery-codes: with the current password
// and a TOTP code, a new set of recovery codes; the old set stops working.
func (a *App) mfaRecoveryCodes(r Request) Response {
	p, code, refuse := a.reauthWithCode(r)
	if refuse != nil {
		return *refuse
	}
	err := a.mfa.Verify(r.Ctx, p.Subject, code)
	var codes []string
	if err == nil {
		codes, err = a.mfa.RegenerateRecoveryCodes(r.Ctx, p.Subject)
	}
	if err != nil {
		return mfaRefused(r, err)
	}
	a.notifySecurityChange(r.Ctx, p.Subject, ChangeRecoveryCodesReplaced)
	return Response{Status: http.StatusOK, Body: map[string][]string{"recovery_codes": codes}}
}

// factorChanged does what turning MFA on or off requires of the request's
// sign-in: every other sign-in of the user ends (guard.SignOutOthers:
// sessions, refresh families, pending purpose tokens), then a session is
// rotated — and, when the factor was just passed (enabled), marked otp
// with MFAAt now — and the notifier is told. A store failure is a 503:
// the change itself stands, and the user can repeat what is left (sign out
// everywhere, regenerate the recovery codes).
func (a *App) factorChanged(r Request, p guard.Principal, passed bool, change SecurityChange) *Response {
	if !a.cfg.KeepOtherSignInsOnMFAChange {
		if err := guard.SignOutOthers(r.Ctx); err != nil {
			slog.WarnContext(r.Ctx, "ending the other sign-ins after an MFA change failed", "user", p.Subject, "error", err)
			return ref(answer(guard.ProblemFor(err)))
		}
	}
	if p.Via == guard.ViaSession {
		if passed {
			p.AMR = withFactor(p.AMR)
			p.MFAAt = time.Now()
		}
		if _, err := guard.SignIn(r.Ctx, p); err != nil {
			slog.WarnContext(r.Ctx, "rotating the session after an MFA change failed", "user", p.Subject, "error", err)
			return ref(unavailable())
		}
	}
	a.notifySecurityChange(r.Ctx, p.Subject, change)
	return nil
}

// withFactor returns amr with otp and mfa added (once each).
func withFactor(amr []string) []string {
	out := slices.Clone(amr)
	for _, m := range []string{"otp", "mfa"} {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func (a *App) notifySecurityChange(ctx context.Context, name string, change SecurityChange) {
	if a.cfg.SecurityNotifier != nil {
		a.cfg.SecurityNotifier.SecurityChanged(ctx, name, change)
	}
	a.mailSecurityChange(name, change)
}
