package main

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/account"
	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/examples/internal/app"
)

// pageRoute is one page or form handler.
type pageRoute struct {
	method, path string
	h            http.Handler
}

// Paths of the pages. None is a path of the JSON API (newDemo checks).
const (
	pathHome       = "/"
	pathSignUp     = "/signup"
	pathSignIn     = "/signin"
	pathSignInCode = "/signin/code"
	pathSignOut    = "/signout"
	pathDevices    = "/devices"
	pathRevoke     = "/devices/signout"
	pathEverywhere = "/devices/signout-everywhere"
	pathTwoFactor  = "/security/two-factor"
	pathTFSetup    = "/security/two-factor/setup"
	pathTFConfirm  = "/security/two-factor/confirm"
	pathPassword   = "/security/password"
	pathForgot     = "/forgot"
	pathReset      = "/reset"
	pathMailbox    = "/demo/mail"
	cspReportPath  = "/csp-report"
)

// FormPaths are the form handlers that a client can use to guess
// passwords, codes or names: the demo's share of the reference API's
// per-client rate limit.
var FormPaths = []string{"POST " + pathSignUp, "POST " + pathSignIn, "POST " + pathSignInCode, "POST " + pathTFConfirm, "POST " + pathForgot}

// FlowFormPaths are the form handlers that redeem a mailed token or end a
// device's session: the demo's share of the second per-client bucket,
// that of POST /password/reset and POST /sessions/revoke, whose flows
// they call.
var FlowFormPaths = []string{"POST " + pathReset, "POST " + pathRevoke}

func (d *demo) pageRoutes() []pageRoute {
	hf := func(f http.HandlerFunc) http.Handler { return f }
	return []pageRoute{
		{"GET", pathHome, d.signedIn(d.home)},
		{"GET", pathSignUp, hf(d.signUpPage)},
		{"POST", pathSignUp, d.form(signUpForm)},
		{"GET", pathSignIn, hf(d.signInPage)},
		{"POST", pathSignIn, hf(d.signIn)},
		{"POST", pathSignInCode, hf(d.signInCode)},
		{"POST", pathSignOut, hf(d.signOut)},
		{"GET", pathDevices, d.signedIn(d.devices)},
		{"POST", pathRevoke, d.signedIn(d.form(revokeForm))},
		{"POST", pathEverywhere, d.signedIn(d.form(everywhereForm))},
		{"GET", pathTwoFactor, d.signedIn(d.twoFactor)},
		{"POST", pathTFSetup, d.signedIn(d.twoFactorSetup)},
		{"POST", pathTFConfirm, d.signedIn(d.twoFactorConfirm)},
		{"GET", pathPassword, d.signedIn(d.passwordPage)},
		{"POST", pathPassword, d.signedIn(d.form(passwordForm))},
		{"GET", pathForgot, hf(d.forgotPage)},
		{"POST", pathForgot, d.form(forgotForm)},
		{"GET", pathReset, hf(d.resetPage)},
		{"POST", pathReset, d.form(resetForm)},
		{"GET", pathMailbox, hf(d.mailboxPage)},
		{"POST", cspReportPath, hf(d.cspReport)},
	}
}

// formFlow is a form handler of the usual shape: read the form's fields,
// run the flow, redirect to done on success (POST, redirect, GET), else
// show page again with the refusal.
type formFlow struct {
	fields []string
	flow   func(a *app.App, r app.Request, f map[string]string) app.Response
	done   func(f map[string]string) string
	page   string                        // the page that shows a refusal
	title  string                        // its title
	data   func(f map[string]string) any // its data (what the user typed, never a password)
}

func (d *demo) form(ff formFlow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := readForm(r, ff.fields...)
		if err != nil {
			d.formRefused(w, r, err)
			return
		}
		o := outcomeOf(ff.flow(d.app, d.request(r), f))
		if !o.ok() {
			v := view{Title: ff.title}
			if ff.data != nil {
				v.Data = ff.data(f)
			}
			d.refused(w, r, o, ff.page, v)
			return
		}
		seeOther(w, ff.done(f))
	}
}

func to(path string) func(map[string]string) string {
	return func(map[string]string) string { return path }
}

var (
	signUpForm = formFlow{
		fields: []string{"username", "email", "password"},
		flow: func(a *app.App, r app.Request, f map[string]string) app.Response {
			return a.Register(r, app.Registration{Username: f["username"], Email: f["email"], Password: f["password"]})
		},
		done: func(f map[string]string) string {
			name, _ := app.CanonicalUsername(f["username"])
			return pathSignIn + "?done=registered&username=" + url.QueryEscape(name)
		},
		page: "signup", title: "Create an account",
		data: func(f map[string]string) any {
			return map[string]string{"username": f["username"], "email": f["email"]}
		},
	}
	revokeForm = formFlow{
		fields: []string{"id_hint"},
		flow: func(a *app.App, r app.Request, f map[string]string) app.Response {
			return a.RevokeSession(r, app.SessionRevoke{IDHint: f["id_hint"]})
		},
		done: to(pathDevices + "?done=revoked"), page: "error", title: "That device could not be signed out",
	}
	everywhereForm = formFlow{
		flow: func(a *app.App, r app.Request, _ map[string]string) app.Response { return a.LogoutAll(r) },
		done: to(pathSignIn + "?done=everywhere"), page: "error", title: "Signing out everywhere failed",
	}
	passwordForm = formFlow{
		fields: []string{"current_password", "new_password"},
		flow: func(a *app.App, r app.Request, f map[string]string) app.Response {
			return a.ChangePassword(r, app.PasswordChange{Current: f["current_password"], New: f["new_password"]})
		},
		done: to(pathPassword + "?done=password"), page: "password", title: "Change your password",
	}
	forgotForm = formFlow{
		fields: []string{"username"},
		flow: func(a *app.App, r app.Request, f map[string]string) app.Response {
			return a.ForgotPassword(r, app.PasswordForgot{Username: f["username"]})
		},
		done: to(pathForgot + "?done=sent"), page: "forgot", title: "Forgot your password?",
	}
	resetForm = formFlow{
		fields: []string{"token", "password"},
		flow: func(a *app.App, r app.Request, f map[string]string) app.Response {
			return a.ResetPassword(r, app.PasswordReset{Token: f["token"], Password: f["password"]})
		},
		done: to(pathSignIn + "?done=reset"), page: "reset", title: "Choose a new password",
		data: func(f map[string]string) any { return f["token"] },
	}
)

// signedIn lets h run for a signed-in request only; others are sent to
// the sign-in page.
func (d *demo) signedIn(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := authhttp.Principal(r); !ok {
			seeOther(w, pathSignIn)
			return
		}
		h(w, r)
	})
}

// flashes are the fixed messages a redirect can ask a page to show.
var flashes = map[string]string{
	"registered":  "Your account is ready. Sign in.",
	"signed-out":  "You are signed out.",
	"everywhere":  "You are signed out everywhere: on this device and every other.",
	"revoked":     "That device is signed out.",
	"password":    "Your password is changed. Your other devices are signed out.",
	"sent":        "If the account exists and has an email address, a reset link is on its way. (In this demo: open the demo mailbox.)",
	"reset":       "Your password is reset and every device is signed out. Sign in with the new password.",
	"two-factor":  "Two-factor sign-in is on. Your other devices are signed out.",
	"signin-code": "Enter the code to finish signing in.",
}

func flash(r *http.Request) string { return flashes[r.URL.Query().Get("done")] }

// me is the signed-in account as GET /me tells it.
type me struct {
	Sub           string   `json:"sub"`
	Roles         []string `json:"roles"`
	AMR           []string `json:"amr"`
	Via           string   `json:"via"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	MFAEnabled    bool     `json:"mfa_enabled"`
}

// amrWords says in words how a sign-in authenticated (RFC 8176 values).
var amrWords = map[string]string{
	"pwd": "your password",
	"otp": "a code from your authenticator app",
	"rcv": "a recovery code",
	"mfa": "two factors",
	"hwk": "a security key",
}

type homeData struct {
	Me  me
	How []string
	// Provider names the OpenID provider the account signs in at, ""
	// for an account of this server.
	Provider string
}

// providerOf names the OpenID provider that signs in the account sub, ""
// when sub is an account of this server (with its own password): the
// accounts of an OAuth sign-in are named oauth.LocalSubject, which no
// username can be.
func (d *demo) providerOf(sub string) string {
	if !strings.HasPrefix(sub, oauth.LocalSubjectPrefix) {
		return ""
	}
	if p := d.oauthProvider(); p != "" {
		return p
	}
	return "your OpenID provider"
}

func (d *demo) whoAmI(w http.ResponseWriter, r *http.Request) (me, bool) {
	o := outcomeOf(d.app.Me(d.request(r)))
	var m me
	if !o.ok() || o.into(&m) != nil {
		d.refused(w, r, o, "error", view{Title: "Your account could not be read"})
		return me{}, false
	}
	return m, true
}

func (d *demo) home(w http.ResponseWriter, r *http.Request) {
	m, ok := d.whoAmI(w, r)
	if !ok {
		return
	}
	data := homeData{Me: m, Provider: d.providerOf(m.Sub)}
	for _, v := range m.AMR {
		if words, ok := amrWords[v]; ok {
			data.How = append(data.How, words+" ("+v+")")
		} else {
			data.How = append(data.How, v)
		}
	}
	d.render(w, r, http.StatusOK, "home", view{Title: "Signed in as " + m.Sub, Flash: flash(r), Data: data})
}

func (d *demo) signUpPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "signup", view{Title: "Create an account", Data: map[string]string{}})
}

// signInData fills the sign-in page.
type signInData struct {
	Username string
	OAuth    string // the provider's name when OAuth sign-in is configured
}

func (d *demo) signInPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "signin", view{Title: "Sign in", Flash: flash(r), Data: signInData{Username: r.URL.Query().Get("username"), OAuth: d.oauthProvider()}})
}

// oauthProvider names the OpenID provider of GET /oauth/login by its
// issuer's host, "" when the server has none configured.
func (d *demo) oauthProvider() string {
	if d.app.Allowed("/oauth/login") == nil {
		return ""
	}
	if u, err := url.Parse(d.cfg.OAuth.Issuer); err == nil && u.Host != "" {
		return u.Host
	}
	return "your OpenID provider"
}

func (d *demo) signIn(w http.ResponseWriter, r *http.Request) {
	f, err := readForm(r, "username", "password")
	if err != nil {
		d.formRefused(w, r, err)
		return
	}
	o := outcomeOf(d.app.Login(d.request(r), app.Credentials{Username: f["username"], Password: f["password"], SessionOnly: true}))
	d.signedInOr(w, r, o, func() {
		d.refused(w, r, o, "signin", view{Title: "Sign in", Data: signInData{Username: f["username"], OAuth: d.oauthProvider()}})
	})
}

// signedInOr finishes a sign-in step: home on success, the code page when
// the second factor is due (again, after a wrong code), else refused.
func (d *demo) signedInOr(w http.ResponseWriter, r *http.Request, o outcome, refused func()) {
	if o.ok() {
		seeOther(w, pathHome)
		return
	}
	if p := o.problem(); p.MFARequired && p.MFAToken != "" {
		// The password was right: the page asks for the next step (200);
		// after a wrong code it says so (the flow's 401).
		v, status := view{Title: "Enter your code", Data: p.MFAToken}, http.StatusOK
		if r.URL.Path == pathSignInCode {
			status = o.status
			v.Problem = &problem{Status: o.status, Title: "Wrong code", Detail: "That code is wrong or was used already. Try the next code from your app, or a recovery code."}
		}
		d.render(w, r, status, "signin_code", v)
		return
	}
	refused()
}

func (d *demo) signInCode(w http.ResponseWriter, r *http.Request) {
	f, err := readForm(r, "mfa_token", "code")
	if err != nil {
		d.formRefused(w, r, err)
		return
	}
	in := app.MFASignIn{MFAToken: f["mfa_token"], SessionOnly: true}
	if _, shaped := mfa.NormalizeRecoveryCode(f["code"]); shaped == nil {
		in.RecoveryCode = f["code"]
	} else {
		in.OTP = f["code"]
	}
	o := outcomeOf(d.app.LoginMFA(d.request(r), in))
	d.signedInOr(w, r, o, func() {
		// A dead mfa_token (expired, used): sign in again.
		d.refused(w, r, o, "signin", view{Title: "Sign in", Data: signInData{OAuth: d.oauthProvider()}})
	})
}

func (d *demo) signOut(w http.ResponseWriter, r *http.Request) {
	if _, err := readForm(r); err != nil {
		d.formRefused(w, r, err)
		return
	}
	o := outcomeOf(d.app.Logout(d.request(r)))
	if !o.ok() && o.status != http.StatusUnauthorized { // signed out already: fine
		d.refused(w, r, o, "error", view{Title: "Signing out failed"})
		return
	}
	seeOther(w, pathSignIn+"?done=signed-out")
}

// device is one row of the devices page.
type device struct {
	app.SessionInfo
	Browser             string
	Created, Seen       string
	CreatedISO, SeenISO string
}

func (d *demo) devices(w http.ResponseWriter, r *http.Request) {
	o := outcomeOf(d.app.Sessions(d.request(r)))
	var infos []app.SessionInfo
	if !o.ok() || o.into(&infos) != nil {
		d.refused(w, r, o, "error", view{Title: "Your devices could not be listed"})
		return
	}
	rows := make([]device, 0, len(infos))
	for _, in := range infos {
		rows = append(rows, device{SessionInfo: in, Browser: describeUserAgent(in.UserAgent),
			Created: humanTime(in.Created), Seen: humanTime(in.LastSeen), CreatedISO: in.Created, SeenISO: in.LastSeen})
	}
	// This device first, the others as the flow lists them.
	slices.SortStableFunc(rows, func(x, y device) int {
		switch {
		case x.Current == y.Current:
			return 0
		case x.Current:
			return -1
		}
		return 1
	})
	d.render(w, r, http.StatusOK, "devices", view{Title: "Your devices", Flash: flash(r), Data: rows})
}

// humanTime shows an RFC 3339 time as "2 Jan 2006, 15:04 UTC".
func humanTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// twoFactorData fills the two-factor page.
type twoFactorData struct {
	Me       me
	Provider string // the account signs in there: no factor to set up here
}

func (d *demo) twoFactor(w http.ResponseWriter, r *http.Request) {
	m, ok := d.whoAmI(w, r)
	if !ok {
		return
	}
	d.render(w, r, http.StatusOK, "twofactor", view{Title: "Two-factor sign-in", Flash: flash(r), Data: twoFactorData{Me: m, Provider: d.providerOf(m.Sub)}})
}

// enrolment fills the set-up page: the QR code and the secret of a
// pending factor, and the URI they encode (sent back with the code, so
// that a wrong code can show them again).
type enrolment struct {
	QR     template.URL // data:image/png;base64,…
	Secret string       // grouped in fours for reading
	URI    string
}

func (d *demo) twoFactorSetup(w http.ResponseWriter, r *http.Request) {
	f, err := readForm(r, "password")
	if err != nil {
		d.formRefused(w, r, err)
		return
	}
	o := outcomeOf(d.app.EnrollMFA(d.request(r), app.MFAEnroll{Password: f["password"]}))
	var e struct {
		Secret string `json:"secret"`
		URI    string `json:"otpauth_uri"`
		QR     string `json:"qr_png_base64"`
	}
	if !o.ok() || o.into(&e) != nil {
		m, _ := d.whoAmIQuiet(r)
		d.refused(w, r, o, "twofactor", view{Title: "Two-factor sign-in", Data: twoFactorData{Me: m, Provider: d.providerOf(m.Sub)}})
		return
	}
	d.render(w, r, http.StatusOK, "twofactor_setup", view{Title: "Set up two-factor sign-in", Data: enrolment{
		QR: pngURL(e.QR), Secret: groupSecret(e.Secret), URI: e.URI,
	}})
}

// whoAmIQuiet is whoAmI that renders nothing on failure.
func (d *demo) whoAmIQuiet(r *http.Request) (me, bool) {
	var m me
	o := outcomeOf(d.app.Me(d.request(r)))
	return m, o.ok() && o.into(&m) == nil
}

// pngURL is a data: URL of a base64 PNG the server made (the QR code).
// html/template would refuse a data: URL it did not know to be safe.
func pngURL(b64 string) template.URL {
	if _, err := base64.StdEncoding.DecodeString(b64); err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + b64)
}

// groupSecret writes a base32 secret in groups of four, as authenticator
// apps show them.
func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// enrolmentOf rebuilds the set-up page's data from the otpauth URI the
// page sent back, after a wrong code: the pending factor is the server's,
// the URI only shows it again (a URI the user edited shows only what they
// typed, to them).
func enrolmentOf(uri string) (enrolment, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || len(uri) > 1024 {
		return enrolment{}, false
	}
	secret := u.Query().Get("secret")
	if _, err := mfa.ParseSecret(secret); err != nil {
		return enrolment{}, false
	}
	png, err := mfa.QRCode(uri, 256)
	if err != nil {
		return enrolment{}, false
	}
	return enrolment{QR: pngURL(base64.StdEncoding.EncodeToString(png)), Secret: groupSecret(secret), URI: uri}, true
}

// recoveryCodes fills the page that shows them, once.
type recoveryCodes struct {
	Codes    []string
	Download template.URL // a data: URL of the codes as a text file
}

func (d *demo) twoFactorConfirm(w http.ResponseWriter, r *http.Request) {
	f, err := readForm(r, "code", "otpauth_uri")
	if err != nil {
		d.formRefused(w, r, err)
		return
	}
	o := outcomeOf(d.app.ConfirmMFA(d.request(r), app.MFAConfirm{Code: f["code"]}))
	var out struct {
		Codes []string `json:"recovery_codes"`
	}
	if !o.ok() || o.into(&out) != nil {
		if e, ok := enrolmentOf(f["otpauth_uri"]); ok && o.status == http.StatusBadRequest {
			d.refused(w, r, o, "twofactor_setup", view{Title: "Set up two-factor sign-in", Data: e})
			return
		}
		d.refused(w, r, o, "error", view{Title: "Two-factor sign-in was not turned on"})
		return
	}
	text := "authkit demo recovery codes for " + d.user(r) + "\r\nEach code works once.\r\n\r\n" + strings.Join(out.Codes, "\r\n") + "\r\n"
	d.render(w, r, http.StatusOK, "recovery_codes", view{Title: "Your recovery codes", Flash: flashes["two-factor"], Data: recoveryCodes{
		Codes: out.Codes, Download: template.URL("data:text/plain;charset=utf-8," + url.PathEscape(text)),
	}})
}

func (d *demo) user(r *http.Request) string {
	p, _ := authhttp.Principal(r)
	return p.Subject
}

func (d *demo) passwordPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "password", view{Title: "Change your password", Flash: flash(r), Data: d.providerOf(d.user(r))})
}

func (d *demo) forgotPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "forgot", view{Title: "Forgot your password?", Flash: flash(r)})
}

func (d *demo) resetPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "reset", view{Title: "Choose a new password"})
}

// mailView is one message on the mailbox page.
type mailView struct {
	mail
	ResetLink string
}

// mailboxData fills the mailbox page.
type mailboxData struct {
	Mail    []mailView
	Where   string // where the mail goes when not to the mailbox
	Enabled bool
}

func (d *demo) mailboxPage(w http.ResponseWriter, r *http.Request) {
	if !d.local(r) {
		d.fail(w, r, http.StatusNotFound, "There is no such page.")
		return
	}
	data := mailboxData{Enabled: d.mailbox != nil}
	switch {
	case d.mailbox != nil:
		for _, m := range d.mailbox.list() {
			mv := mailView{mail: m}
			if m.Kind == account.KindPasswordReset && m.Token != "" {
				mv.ResetLink = pathReset + "#token=" + url.QueryEscape(m.Token)
			}
			data.Mail = append(data.Mail, mv)
		}
	case d.cfg.MailDir != "":
		data.Where = "files in " + d.cfg.MailDir
	case d.cfg.SMTPAddr != "":
		data.Where = "the mail server at " + d.cfg.SMTPAddr
	default:
		data.Where = "the server's log, tokens redacted"
	}
	d.render(w, r, http.StatusOK, "mailbox", view{Title: "Demo mailbox", Data: data})
}
