package app

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/password"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/strictjson"
	"github.com/authkit-go/authkit/core/token"
)

// usernameRule is the username rule in words, for error messages.
const usernameRule = "3 to 128 characters: letters, digits, '.', '_', '-', '@' or '+' (an email address will do)"

// CanonicalUsername checks name against the username rule and returns its
// canonical, lower-case form: "Alice" and "alice" are one account.
func CanonicalUsername(name string) (string, bool) {
	if len(name) < 3 || len(name) > 128 {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-@+", c) >= 0) {
			return "", false
		}
	}
	return strings.ToLower(name), true
}

// FieldError is one entry of a 400 problem's "errors" member.
type FieldError struct {
	// Code is a stable, machine-readable code (password.Code*, or
	// "invalid_username").
	Code string `json:"code"`
	// Message says it in English.
	Message string `json:"message"`
}

func badRequest(detail string) Response {
	return problem(http.StatusBadRequest, guard.TypeInvalidRequest, detail)
}

func problem(status int, typ, detail string) Response {
	return Response{Status: status, Body: guard.NewProblem(status, typ, detail)}
}

// answer is the problem guard.ProblemFor gives for p: the same answer the
// guard's own steps give for the same kind of error.
func answer(p *guard.Problem) Response { return Response{Status: p.Status, Body: p} }

// unavailable is the answer when a store the flow needs failed.
func unavailable() Response { return answer(guard.ProblemFor(authkit.ErrUnavailable)) }

// decode reads the request body, one JSON object, into v with
// strictjson: member names match the fields exactly, and a duplicate,
// case-variant or unknown member is a 400, as are trailing data and a
// body that is no object; an oversized body is a 413, and a body that
// does not come as application/json, or comes in a content coding, a
// 415. A request without a body needs no Content-Type; it is a 400 unless
// optional.
func decode(r Request, v any, optional bool) *Response {
	refuse := func(resp Response) *Response { return &resp }
	if len(r.Body) > MaxBodyBytes {
		return refuse(TooLarge())
	}
	if len(r.Body) > 0 && !isJSON(r.Header("Content-Type")) {
		return refuse(UnsupportedMediaType())
	}
	if len(r.Body) > 0 && !isIdentity(r.Header("Content-Encoding")) {
		return refuse(UnsupportedEncoding())
	}
	if len(bytes.TrimSpace(r.Body)) == 0 {
		if optional {
			return nil
		}
		return refuse(badRequest("the request body must be a JSON object"))
	}
	err := strictjson.Unmarshal(r.Body, v)
	if err == nil {
		return nil
	}
	member := ""
	if e := (*strictjson.Error)(nil); errors.As(err, &e) {
		member = fmt.Sprintf("%q", audit.Clip(e.Member, 64))
	}
	switch {
	case errors.Is(err, strictjson.ErrDuplicate):
		return refuse(badRequest("the member " + member + " appears more than once (member names are compared case-insensitively)"))
	case errors.Is(err, strictjson.ErrUnknown):
		return refuse(badRequest("unknown member " + member + " (member names are case-sensitive)"))
	case errors.Is(err, strictjson.ErrType):
		return refuse(badRequest("the member " + member + " has the wrong type"))
	case errors.Is(err, strictjson.ErrNotObject):
		return refuse(badRequest("the request body must be a JSON object"))
	case errors.Is(err, strictjson.ErrDepth):
		return refuse(badRequest("the request body is nested too deeply"))
	case errors.Is(err, strictjson.ErrSyntax):
		return refuse(badRequest("the request body is not valid JSON"))
	}
	// ErrTarget: a flow's struct that strictjson cannot fill.
	slog.Error("decoding a request body failed", "error", err)
	return refuse(Internal())
}

// isIdentity reports whether a Content-Encoding value names no content
// coding: absent, or only "identity". The flows read bodies as sent and
// never inflate one, so that a small request cannot grow into a large one
// (a "zip bomb") on any server.
func isIdentity(contentEncoding string) bool {
	for _, c := range strings.Split(contentEncoding, ",") {
		if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
			return false
		}
	}
	return true
}

// isJSON reports whether a Content-Type value is application/json, with
// any parameters (RFC 8259 defines none; a charset is harmless).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

func (a *App) healthz(Request) Response {
	return Response{Status: http.StatusOK, Body: map[string]string{"status": "ok"}}
}

// Credentials is the body of POST /login.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// OTP or RecoveryCode is the second factor of a user with MFA
	// (flows_mfa.go); ignored for a user without.
	OTP          string `json:"otp,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
	// RefreshCookie asks for the refresh token in the refresh cookie
	// instead of the body (browser clients).
	RefreshCookie bool `json:"refresh_cookie,omitempty"`
	// SessionOnly signs in with the session cookie alone: no tokens are
	// issued, and success is a 200 {"sub","amr"}. Not part of the JSON
	// API; the demo's sign-in form sets it.
	SessionOnly bool `json:"-"`
}

// Registration is the body of POST /register.
type Registration struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Email    string `json:"email,omitempty"`
}

func (a *App) register(r Request) Response {
	var in Registration
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.Register(r, in)
}

// Register is the flow of POST /register for a body read already: the
// demo's sign-up form calls it as the JSON handler does.
func (a *App) Register(r Request, in Registration) Response {
	if in.Username == "" || in.Password == "" {
		return badRequest("username and password are required")
	}
	name, email, errs, rejected, bad := a.judgeRegistration(r, in)
	if bad != nil {
		return *bad
	}
	if len(errs) > 0 {
		if rejected {
			a.audit.Emit(r.Ctx, audit.Event{Kind: audit.PasswordRejected, Subject: name, IP: r.ClientIP, Reason: errs[len(errs)-1].Code})
		}
		p := guard.NewProblem(http.StatusBadRequest, guard.TypeInvalidRequest, "the registration was refused").With("errors", errs)
		return Response{Status: http.StatusBadRequest, Body: p}
	}
	hash, err := a.hasher.Hash(r.Ctx, in.Password)
	if err != nil {
		slog.WarnContext(r.Ctx, "hashing a password failed", "error", err)
		return unavailable()
	}
	// -admin is not written into the account: login adds the role while
	// the flag is given, so dropping the flag takes it away.
	switch err := a.users.Create(r.Ctx, User{Name: name, Hash: hash, Email: email}); {
	case errors.Is(err, ErrUserExists):
		return problem(http.StatusConflict, TypeConflict, "the username is taken")
	case err != nil:
		slog.WarnContext(r.Ctx, "storing a user failed", "error", err)
		return unavailable()
	}
	a.registered(r, User{Name: name, Email: email})
	return Response{Status: http.StatusCreated, Body: map[string]string{"username": name}}
}

// judgeRegistration is every refusal /register gives in before the name
// is looked up: the username rule, the email and the password policy
// (rejected reports that the policy refused the password). bad is the
// answer when the policy could not be asked. POST /password/check
// answers with the same refusals.
func (a *App) judgeRegistration(r Request, in Registration) (name, email string, errs []FieldError, rejected bool, bad *Response) {
	name, ok := CanonicalUsername(in.Username)
	if !ok {
		errs = append(errs, FieldError{Code: "invalid_username", Message: "the username must be " + usernameRule})
		name = in.Username
	}
	email, errs = a.registrationEmail(in.Email, errs)
	user := password.User{Name: name, Email: email}
	if user.Email == "" && strings.Contains(name, "@") { // an email address as username: its local part counts too
		user.Email = name
	}
	policyErrs, bad := a.policyErrors(r, in.Password, user)
	return name, email, append(errs, policyErrs...), len(policyErrs) > 0, bad
}

// policyErrors is the password policy's verdict on pw for user as the
// "errors" of a 400: nil when it passes; bad is the answer when the
// policy could not be asked.
func (a *App) policyErrors(r Request, pw string, user password.User) (errs []FieldError, bad *Response) {
	err := a.policy.Check(r.Ctx, pw, user)
	var pe *password.PolicyError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &pe):
		errs = make([]FieldError, 0, len(pe.Violations))
		for _, v := range pe.Violations {
			errs = append(errs, FieldError{Code: v.Code, Message: v.Message})
		}
		return errs, nil
	}
	slog.WarnContext(r.Ctx, "password policy check failed", "error", err)
	return nil, ref(unavailable())
}

// badCredentials is the one answer to every failed login: unknown user and
// wrong password alike.
func badCredentials() Response { return answer(guard.ProblemFor(authkit.ErrInvalidCredentials)) }

func (a *App) login(r Request) Response {
	var in Credentials
	if bad := decode(r, &in, false); bad != nil {
		return *bad
	}
	return a.Login(r, in)
}

// Login is the flow of POST /login for a body read already: the demo's
// sign-in form calls it as the JSON handler does.
func (a *App) Login(r Request, in Credentials) (resp Response) {
	if in.Username == "" || in.Password == "" {
		return badRequest("username and password are required")
	}
	at, refused := a.throttleSignIn(r, in.Username)
	if refused != nil {
		return *refused
	}
	defer func() { resp = at.done(r, resp) }()
	fail := func(sub, reason string) Response {
		a.audit.Emit(r.Ctx, audit.Event{Kind: audit.LoginFailed, Subject: sub, IP: r.ClientIP, UserAgent: audit.Clip(r.Header("User-Agent"), 256), Reason: reason})
		return badCredentials()
	}
	name, ok := CanonicalUsername(in.Username)
	typed := name
	if !ok {
		typed = in.Username
	}
	if len(in.Password) > password.MaxPasswordBytes {
		// Refused before any hashing, for known and unknown users alike.
		return fail(a.typedName(typed), "password_too_long")
	}
	var u User
	var err error
	if ok {
		u, err = a.users.Get(r.Ctx, name)
	} else {
		err = ErrNoUser
	}
	switch {
	case errors.Is(err, ErrNoUser):
		// Spend the same work as a real verification: the answer's timing
		// must not tell which usernames exist.
		_ = a.hasher.VerifyDummy(r.Ctx)
		return fail(a.typedName(typed), "unknown_user")
	case err != nil:
		slog.WarnContext(r.Ctx, "reading a user failed", "error", err)
		return unavailable()
	}
	needsRehash, err := a.hasher.Verify(r.Ctx, in.Password, u.Hash)
	switch {
	case errors.Is(err, password.ErrMismatch):
		return fail(name, "bad_password")
	case err != nil:
		// A hash that cannot take this password (a bcrypt hash and over 72
		// bytes, say) fails before any work: spend a verification anyway,
		// or the quick answer would tell which accounts have such hashes.
		_ = a.hasher.VerifyDummy(r.Ctx)
		slog.WarnContext(r.Ctx, "verifying a password failed", "user", name, "error", err)
		return fail(name, "unverifiable_hash")
	}
	if needsRehash {
		a.rehash(r, u, in.Password)
	}
	amr, refuse := a.loginFactor(r, name, in.OTP, in.RecoveryCode)
	if refuse != nil {
		return *refuse
	}
	return a.signIn(r, u, amr, deliveryOf(in.RefreshCookie, in.SessionOnly))
}

// typedName is how a login.failed event names a username that matched no
// account: "hmac:" and the first 64 bits, in hex, of HMAC-SHA-256 under the
// audit key. Such a "username" may be a password typed into the wrong
// field, so it never reaches the log in clear; repeated attempts with one
// name still carry one value.
func (a *App) typedName(name string) string {
	mac := hmac.New(sha256.New, a.auditKey)
	mac.Write([]byte(name))
	return "hmac:" + hex.EncodeToString(mac.Sum(nil)[:8])
}

// rehash stores a hash with the current parameters after a successful
// login whose stored hash is outdated. A failure only costs the upgrade.
func (a *App) rehash(r Request, u User, pw string) {
	enc, err := a.hasher.Hash(r.Ctx, pw)
	if err == nil {
		err = a.users.SetHash(r.Ctx, u.Name, u.Hash, enc)
	}
	if err != nil {
		slog.WarnContext(r.Ctx, "upgrading a password hash failed", "user", u.Name, "error", err)
		return
	}
	a.audit.Emit(r.Ctx, audit.Event{Kind: audit.PasswordRehashed, Subject: u.Name, IP: r.ClientIP})
}

func (a *App) refresh(r Request) Response {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	if bad := decode(r, &in, true); bad != nil {
		return *bad
	}
	// No body: a browser's refresh, with the token in the refresh cookie;
	// it stays in cookie mode.
	cookieMode := len(bytes.TrimSpace(r.Body)) == 0
	raw := in.RefreshToken
	if cookieMode {
		raw, _ = guard.RefreshCookie(r.Ctx)
	}
	if raw == "" {
		return badRequest("refresh_token is required (or, without a body, the refresh cookie)")
	}
	pair, err := a.issuer.Refresh(r.Ctx, raw)
	if err != nil {
		// 503 when a store failed; expired, revoked, reused (the family
		// is now revoked): one 401, and a dead cookie is dropped.
		p := guard.ProblemForToken(err)
		if cookieMode && p.Status == http.StatusUnauthorized {
			_ = guard.ClearRefreshCookie(r.Ctx)
		}
		return answer(p)
	}
	return tokenAnswer(r, pair, cookieMode)
}

// logout ends the sign-in the request presents: a bearer token, the
// session cookie, or a refresh token in the body. The refresh token alone
// suffices (RFC 7009: holding it is proof enough), so a client whose access
// token expired can still log out; a refresh token that verifies counts
// even when it is already revoked or expired (logging out twice is not an
// error). Each presented token is revoked with its family, which ends the
// family's linked session too, and the request's session is destroyed.
// Nothing valid presented is a 401.
func (a *App) logout(r Request) Response {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	if bad := decode(r, &in, true); bad != nil {
		return *bad
	}
	// A bearer token that failed never gets here (the guard answered 401),
	// so a principal means a valid bearer token or signed-in session.
	_, presented := guard.PrincipalFrom(r.Ctx)
	// The refresh cookie is sent only to /token/refresh; a client that
	// sends it here anyway has it revoked too.
	cookie, _ := guard.RefreshCookie(r.Ctx)
	for _, raw := range []string{in.RefreshToken, cookie} {
		if raw == "" {
			continue
		}
		switch err := a.issuer.Revoke(r.Ctx, raw); {
		case err == nil:
			presented = true
		case errors.Is(err, token.ErrInvalid):
			// Forged, malformed or not ours: it proves nothing.
		default:
			slog.WarnContext(r.Ctx, "revoking a refresh token failed", "error", err)
			return unavailable()
		}
	}
	if !presented {
		if guard.SessionUnavailable(r.Ctx) {
			return unavailable()
		}
		return unauthenticated()
	}
	if raw, ok := guard.BearerToken(r.Ctx); ok {
		if err := a.issuer.Revoke(r.Ctx, raw); err != nil && !errors.Is(err, token.ErrInvalid) {
			return unavailable()
		}
	}
	if err := guard.SignOut(r.Ctx); err != nil {
		slog.WarnContext(r.Ctx, "destroying a session failed", "error", err)
		return unavailable()
	}
	return signedOut(r)
}

// unauthenticated is the 401 of a flow that checks credentials itself, the
// same answer Require(guard.Authenticated()) gives.
func unauthenticated() Response { return answer(guard.ProblemFor(authkit.ErrUnauthenticated)) }

func (a *App) logoutAll(r Request) Response {
	if bad := decode(r, &struct{}{}, true); bad != nil {
		return *bad
	}
	p, _ := guard.PrincipalFrom(r.Ctx)
	if err := a.issuer.RevokeSubject(r.Ctx, p.Subject); err != nil {
		slog.WarnContext(r.Ctx, "revoking tokens failed", "error", err)
		return unavailable()
	}
	if err := guard.SignOut(r.Ctx); err != nil {
		return unavailable()
	}
	if _, err := a.sessions.DestroyAll(r.Ctx, p.Subject); err != nil {
		slog.WarnContext(r.Ctx, "destroying sessions failed", "error", err)
		return unavailable()
	}
	return signedOut(r)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (a *App) me(r Request) Response {
	p, _ := guard.PrincipalFrom(r.Ctx)
	mfaOn, err := a.mfa.Enabled(r.Ctx, p.Subject)
	if err != nil {
		slog.WarnContext(r.Ctx, "reading the MFA state failed", "error", err)
		return unavailable()
	}
	body := &meAnswer{Sub: p.Subject, Roles: orEmpty(p.Roles), AMR: orEmpty(p.AMR), Via: p.Via, MFAEnabled: mfaOn}
	if bad := a.addEmail(r, p.Subject, body); bad != nil {
		return *bad
	}
	return Response{Status: http.StatusOK, Body: body}
}

// meAnswer is the answer of GET /me: a struct, which encodes without the
// reflection and key sorting of a map, with its members in the sorted
// order a map gave them, so the bytes are the same.
type meAnswer struct {
	AMR           []string `json:"amr"`
	Email         string   `json:"email,omitempty"`
	EmailVerified *bool    `json:"email_verified,omitempty"` // with Email only
	MFAEnabled    bool     `json:"mfa_enabled"`
	Roles         []string `json:"roles"`
	Sub           string   `json:"sub"`
	Via           string   `json:"via"`
}

// SessionInfo is one entry of GET /sessions.
type SessionInfo struct {
	// IDHint is a non-secret hash prefix, never the session id.
	IDHint string `json:"id_hint"`
	// Created and LastSeen are RFC 3339 times in UTC.
	Created  string `json:"created"`
	LastSeen string `json:"last_seen"`
	// IP and UserAgent describe the request that created the session.
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	// Current marks the session the request came with.
	Current bool `json:"current"`
}

func (a *App) listSessions(r Request) Response {
	p, _ := guard.PrincipalFrom(r.Ctx)
	var current *session.Session
	if s, ok := guard.SessionFrom(r.Ctx); ok && s.UserID() == p.Subject {
		current = s
	}
	infos, err := a.sessions.List(r.Ctx, p.Subject, current)
	if err != nil {
		slog.WarnContext(r.Ctx, "listing sessions failed", "error", err)
		return unavailable()
	}
	out := make([]SessionInfo, 0, len(infos))
	for _, in := range infos {
		out = append(out, SessionInfo{
			IDHint:    in.Hint,
			Created:   in.CreatedAt.UTC().Format(time.RFC3339),
			LastSeen:  in.LastSeen.UTC().Format(time.RFC3339),
			IP:        in.IP,
			UserAgent: in.UserAgent,
			Current:   in.Current,
		})
	}
	return Response{Status: http.StatusOK, Body: out}
}

func (a *App) admin(Request) Response {
	return Response{Status: http.StatusOK, Body: map[string]bool{"ok": true}}
}

func (a *App) jwks(r Request) Response {
	set, err := a.keys.PublicJWKS()
	if err != nil {
		slog.ErrorContext(r.Ctx, "building the JWKS failed", "error", err)
		return Internal()
	}
	return Response{Status: http.StatusOK, Body: json.RawMessage(set), Header: map[string]string{
		"Content-Type":  "application/jwk-set+json",
		"Cache-Control": "public, max-age=300",
	}}
}
