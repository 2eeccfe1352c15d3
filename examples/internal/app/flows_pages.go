package app

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/password"
)

// The flows a browser front end (examples/demo) calls besides the JSON
// handlers. Flows with a body have a typed entry point beside their
// handler (Register, Login, LoginMFA, EnrollMFA, ConfirmMFA,
// ForgotPassword, ResetPassword, ChangePassword, RevokeSession); those
// without one are the handlers themselves, exported here. Each is the
// route's flow, nothing else: the caller runs it behind the guard and the
// route's Rules, as the JSON API does.

// Me is the flow of GET /me.
func (a *App) Me(r Request) Response { return a.me(r) }

// Sessions is the flow of GET /sessions.
func (a *App) Sessions(r Request) Response { return a.listSessions(r) }

// Logout is the flow of POST /logout, for a request without a body (the
// session cookie signs out).
func (a *App) Logout(r Request) Response { return a.logout(r) }

// LogoutAll is the flow of POST /logout/all.
func (a *App) LogoutAll(r Request) Response { return a.logoutAll(r) }

// PasswordCheck is the body of POST /password/check: a password to judge
// before it is sent for real, with the account it would belong to.
type PasswordCheck struct {
	Password string `json:"password"`
	// Username and Email are those of a registration; when Username is
	// empty and the request is signed in, the signed-in account's are used
	// (a password change).
	Username string `json:"username,omitempty"`
	Email    string `json:"email,omitempty"`
}

// PasswordVerdict is the answer of POST /password/check.
type PasswordVerdict struct {
	// OK is true when the registration (or the password change) would pass
	// every rule checked here.
	OK bool `json:"ok"`
	// Errors are the refusals /register (or /password/change) would give,
	// with the same codes and messages; empty when OK.
	Errors []FieldError `json:"errors"`
}

func (a *App) checkPassword(r Request) Response {
	var in PasswordCheck
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.CheckPassword(r, in)
}

// CheckPassword is POST /password/check: the refusals that /register would
// give the same username, email and password — its username and email
// rules and the password policy, with their codes and messages — or, when
// no username is given and the request is signed in, those that
// /password/change would give the new password. It is a 200 either way, so
// a page can show the rules live while the user types; nothing is stored,
// audited or looked up but the signed-in account, so it tells nothing about
// other accounts (whether a name is taken is only known at /register).
func (a *App) CheckPassword(r Request, in PasswordCheck) Response {
	if in.Password == "" {
		return badRequest("password is required")
	}
	var errs []FieldError
	var bad *Response
	p, signedIn := guard.PrincipalFrom(r.Ctx)
	switch {
	case in.Username != "":
		_, _, errs, _, bad = a.judgeRegistration(r, Registration{Username: in.Username, Password: in.Password, Email: in.Email})
	case !signedIn: // a registration whose username is not typed yet
		var email string
		email, errs = a.registrationEmail(in.Email, nil)
		var policyErrs []FieldError
		policyErrs, bad = a.policyErrors(r, in.Password, password.User{Email: email})
		errs = append(errs, policyErrs...)
	default:
		u, err := a.users.Get(r.Ctx, p.Subject)
		switch {
		case errors.Is(err, ErrNoUser): // an account without a password of ours (OAuth)
			u = User{Name: p.Subject}
		case err != nil:
			slog.WarnContext(r.Ctx, "reading a user failed", "error", err)
			return unavailable()
		}
		errs, bad = a.policyErrors(r, in.Password, password.User{Name: u.Name, Email: u.Email})
	}
	if bad != nil {
		return *bad
	}
	if errs == nil {
		errs = []FieldError{}
	}
	return Response{Status: http.StatusOK, Body: PasswordVerdict{OK: len(errs) == 0, Errors: errs}}
}
