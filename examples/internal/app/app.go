// Package app holds the reference API's flow logic once, for the four
// example servers. Each server's main only wires Routes into its framework
// with a small function that turns a framework request into a Request and
// writes the Response; no flow logic lives there. The framework's own
// answers (unknown path, wrong method, oversized body, panic) come from
// NotFound, MethodNotAllowed, TooLarge and Internal, so all four servers
// answer alike.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/account"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/password"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// RefreshPath is the refresh endpoint, the only path the refresh cookie
// is sent to.
const RefreshPath = "/token/refresh"

// MaxBodyBytes caps request bodies read by the flows. Framework handlers
// read at most MaxBodyBytes+1 bytes, so a flow can tell an oversized body
// (413) from one that just fits.
const MaxBodyBytes = 64 << 10

// Request is the framework-neutral view of a request that a flow reads.
type Request struct {
	// Ctx is the request context as the guard left it (principal, session).
	Ctx context.Context
	// Body is the request body, at most MaxBodyBytes+1 bytes.
	Body []byte
	// Header returns a request header.
	Header func(name string) string
	// ClientIP is the client's address as the guard determines it; it only
	// goes into audit events.
	ClientIP string
}

// Response is what a flow answers. Body is encoded as JSON (a
// json.RawMessage is sent as is); a *guard.Problem body is sent as
// application/problem+json with the problem's header fields. Header
// overrides the defaults Encode sets.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Body is the JSON body; nil sends none (204).
	Body any
	// Header holds response headers, set after Encode's defaults.
	Header map[string]string
}

// Handler is one flow.
type Handler func(Request) Response

// Route is one endpoint of the reference API.
type Route struct {
	// Method is the HTTP method, e.g. "POST".
	Method string
	// Path is the exact path; the API has no path parameters.
	Path string
	// Rules are checked by the adapter's Require before Handle runs.
	Rules []guard.Rule
	// Handle is the flow.
	Handle Handler
	// Serve, when set instead of Handle, is a port handler that the
	// framework adapter serves itself (authgin.Serve, ...): the OAuth
	// sign-in, which writes cookies and redirects.
	Serve guard.Handler
}

// App is the reference API: its guard, its stores and its routes.
type App struct {
	cfg       Config
	guard     *guard.Guard
	issuer    *token.Issuer
	keys      *token.KeySet
	sessions  *session.Manager
	users     UserStore
	hasher    *password.Hasher
	policy    *password.Policy
	audit     audit.Sink
	admins    map[string]bool
	mfa       *mfa.Manager
	limits    *rateLimits           // per client IP at the guard's step, per account in the sign-in flows
	appKey    AppKey                // the secret the MFA, OAuth state and audit keys derive from
	auditKey  []byte                // keys the hash of unknown usernames in login.failed
	deviceKey []byte                // keys the device ids of the new-device notice
	redis     redis.UniversalClient // nil on memory stores
	mailer    account.Mailer
	outbox    *account.Outbox // mail and the work of a reset request leave the request here
	routes    []Route
	oauth     *oauthFlow // nil without the OAuth flags
}

// New builds the App from cfg: memory stores, or Redis stores when
// cfg.RedisURL is set; the signing key from cfg.KeyFile, from Redis, or
// freshly generated.
func New(cfg Config) (*App, error) {
	a := &App{cfg: cfg, audit: cfg.Audit, admins: make(map[string]bool), auditKey: cfg.AuditKey}
	if a.audit == nil {
		a.audit = audit.Default()
	}
	for _, name := range cfg.Admins {
		canon, ok := CanonicalUsername(name)
		if !ok {
			return nil, fmt.Errorf("-admin %q: not a valid username (%s)", name, usernameRule)
		}
		a.admins[canon] = true
	}

	var tokStore tokenstore.Store = tokenstore.NewMemoryStore()
	var sessStore session.Store
	if cfg.RedisURL != "" || cfg.Redis != nil {
		if strings.ContainsAny(cfg.RedisPrefix, "{}") {
			return nil, fmt.Errorf("redis prefix %q must not contain '{' or '}'", cfg.RedisPrefix)
		}
		var err error
		if a.redis, err = cfg.redisClient(); err != nil {
			return nil, err
		}
		if tokStore, err = tokenredis.New(a.redis, tokenredis.WithPrefix(cfg.RedisPrefix+"tok:")); err != nil {
			return nil, err
		}
		if sessStore, err = sessionredis.New(a.redis, sessionredis.WithPrefix(cfg.RedisPrefix+"session:")); err != nil {
			return nil, err
		}
		a.users = NewRedisUserStore(a.redis, cfg.RedisPrefix+"user:")
	} else {
		a.users = NewMemoryUserStore()
	}

	a.warnMissingAdmins(context.Background())

	var err error
	if a.appKey, err = loadAppKey(context.Background(), cfg.AppKeyFile, cfg.AppKeyEnv, a.redis, cfg.RedisPrefix+"app-key"); err != nil {
		return nil, err
	}
	if len(a.auditKey) == 0 {
		a.auditKey = a.appKey.Derive(PurposeAudit)
	}
	if err := a.newMFA(cfg); err != nil {
		return nil, err
	}
	a.deviceKey = a.appKey.Derive(PurposeDevice)
	if err := a.newRateLimits(cfg); err != nil {
		return nil, err
	}

	key, err := a.signingKey(context.Background())
	if err != nil {
		return nil, err
	}
	if a.keys, err = token.NewKeySet(key); err != nil {
		return nil, err
	}
	if a.issuer, err = token.NewIssuer(a.keys, append([]token.IssuerOption{token.WithStore(tokStore), token.WithAudit(a.audit)}, cfg.TokenOptions...)...); err != nil {
		return nil, err
	}

	sessOpts := []session.Option{session.WithAudit(a.audit)}
	if sessStore != nil {
		sessOpts = append(sessOpts, session.WithStore(sessStore))
	}
	if cfg.InsecureCookies {
		sessOpts = append(sessOpts, session.WithInsecureCookies())
	}
	if a.sessions, err = session.New(sessOpts...); err != nil {
		return nil, err
	}

	hashOpts := []password.Option(nil)
	if cfg.DevFastHash {
		// FOR TESTS AND LOCAL DEMOS ONLY: these parameters are far below
		// the OWASP floor and make offline cracking cheap.
		hashOpts = append(hashOpts, password.WithArgon2id(password.Argon2idParams{Memory: 1024, Time: 1, Threads: 1}), password.WithInsecureParameters())
	}
	if a.hasher, err = password.NewHasher(hashOpts...); err != nil {
		return nil, err
	}
	if a.policy, err = password.NewPolicy(); err != nil {
		return nil, err
	}

	gopts := []guard.Option{guard.WithSessions(a.sessions), guard.WithTokens(a.issuer), guard.WithAudit(a.audit), guard.WithRefreshCookie(RefreshPath)}
	if cfg.InsecureCookies {
		gopts = append(gopts, guard.WithInsecureRefreshCookie())
	}
	gopts = append(gopts, guard.WithRateLimit(a.limits.ip, a.limits.flows))
	if a.limits.oauth != nil {
		gopts = append(gopts, guard.WithRateLimit(a.limits.oauth))
	}
	gopts = append(gopts, cfg.GuardOptions...)
	if a.guard, err = guard.New(gopts...); err != nil {
		return nil, err
	}
	if err := a.setUpMail(); err != nil {
		return nil, err
	}
	if a.oauth, err = newOAuthFlow(a, cfg.OAuth); err != nil {
		return nil, err
	}
	a.routes = a.buildRoutes()
	return a, nil
}

// warnMissingAdmins logs, for each -admin name without an account yet,
// that whoever registers it first gets the role admin. A store that cannot
// be asked is left to the start-up steps that follow.
func (a *App) warnMissingAdmins(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, name := range slices.Sorted(maps.Keys(a.admins)) {
		if _, err := a.users.Get(ctx, name); errors.Is(err, ErrNoUser) {
			slog.Warn("-admin names an account that does not exist yet: WHOEVER REGISTERS IT FIRST GETS THE ROLE admin; register it before others can reach the server", "username", name)
		}
	}
}

// parseRedisURL parses REDIS_URL. Its errors never repeat a credential:
// url.Parse puts the whole URL in its errors, and a password holding '/'
// or '@' can land in the host, port or path that go-redis quotes. So an
// error is explained from a copy of the URL in which everything that may
// be user info (all before the last '@') is replaced.
func parseRedisURL(raw string) (*redis.Options, error) {
	opts, err := redis.ParseURL(raw)
	if err == nil {
		return opts, nil
	}
	at := strings.LastIndexByte(raw, '@')
	if at < 0 {
		return nil, fmt.Errorf("REDIS_URL: %w", err) // no user info, nothing to hide
	}
	redacted := "REDACTED@" + raw[at+1:]
	if scheme, _, ok := strings.Cut(raw[:at], "://"); ok && isScheme(scheme) {
		redacted = scheme + "://" + redacted
	}
	if _, err := redis.ParseURL(redacted); err != nil {
		return nil, fmt.Errorf("REDIS_URL (user name and password hidden): %v", err)
	}
	return nil, errors.New("REDIS_URL: the user name or password part is malformed (percent-encode '/', '?', '#', '@', ':' and '%' in a password); the value is not shown")
}

// isScheme reports whether s is an RFC 3986 scheme (a letter, then
// letters, digits, '+', '-' or '.'), which cannot hold user info.
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// Close emits the coalesced rate-limit events, lets queued mail go out
// (for up to 10 seconds) and releases the
// App's Redis connection, if any.
func (a *App) Close() error {
	if a.limits != nil {
		a.limits.flushAudit(context.Background())
	}
	if a.outbox != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.outbox.Close(ctx); err != nil {
			slog.Warn("mail still queued at shutdown was dropped", "error", err)
		}
	}
	if a.redis != nil && a.cfg.Redis == nil { // a client the App made
		return a.redis.Close()
	}
	return nil
}

// Guard returns the guard every route runs behind.
func (a *App) Guard() *guard.Guard { return a.guard }

// Routes returns the endpoints in registration order.
func (a *App) Routes() []Route { return a.routes }

func (a *App) buildRoutes() []Route {
	authed := []guard.Rule{guard.Authenticated()}
	// The endpoints that mail on request: per user, MailPerHour.
	mails := []guard.Rule{guard.Authenticated(), guard.RateLimit(a.guard, a.limits.mail)}
	routes := []Route{
		{Method: http.MethodGet, Path: "/healthz", Handle: a.healthz},
		{Method: http.MethodPost, Path: "/register", Handle: a.register},
		{Method: http.MethodPost, Path: "/login", Handle: a.login},
		{Method: http.MethodPost, Path: RefreshPath, Handle: a.refresh},
		// /logout checks for itself: a refresh token alone suffices.
		{Method: http.MethodPost, Path: "/logout", Handle: a.logout},
		{Method: http.MethodPost, Path: "/logout/all", Rules: authed, Handle: a.logoutAll},
		{Method: http.MethodGet, Path: "/me", Rules: authed, Handle: a.me},
		{Method: http.MethodGet, Path: "/sessions", Rules: authed, Handle: a.listSessions},
		// The role, then the factor: a 403 says which is missing.
		{Method: http.MethodGet, Path: "/admin", Rules: []guard.Rule{guard.Role("admin"), guard.MFA()}, Handle: a.admin},
		{Method: http.MethodPost, Path: "/login/mfa", Handle: a.loginMFA},
		{Method: http.MethodPost, Path: "/mfa/enroll", Rules: authed, Handle: a.mfaEnroll},
		{Method: http.MethodPost, Path: "/mfa/confirm", Rules: authed, Handle: a.mfaConfirm},
		{Method: http.MethodPost, Path: "/mfa/disable", Rules: authed, Handle: a.mfaDisable},
		{Method: http.MethodPost, Path: "/mfa/recovery-codes", Rules: authed, Handle: a.mfaRecoveryCodes},
		{Method: http.MethodPost, Path: "/sessions/revoke", Rules: authed, Handle: a.revokeSession},
		{Method: http.MethodPost, Path: "/password/forgot", Handle: a.forgotPassword},
		{Method: http.MethodPost, Path: "/password/reset", Handle: a.resetPassword},
		{Method: http.MethodPost, Path: "/password/change", Rules: authed, Handle: a.changePassword},
		{Method: http.MethodPost, Path: "/password/check", Handle: a.checkPassword},
		{Method: http.MethodPost, Path: "/email/verify/request", Rules: mails, Handle: a.requestVerification},
		{Method: http.MethodPost, Path: "/email/verify", Handle: a.verifyEmail},
		{Method: http.MethodPost, Path: "/email/change", Rules: mails, Handle: a.changeEmail},
		{Method: http.MethodGet, Path: "/.well-known/jwks.json", Handle: a.jwks},
	}
	routes = append(routes, a.oauthRoutes()...)
	// Every GET answers HEAD too (RFC 9110 §9.3.2); the servers drop the
	// body.
	for _, rt := range routes {
		if rt.Method == http.MethodGet {
			rt.Method = http.MethodHead
			routes = append(routes, rt)
		}
	}
	return routes
}

// Paths returns the distinct routed paths, in registration order.
func (a *App) Paths() []string {
	var ps []string
	for _, rt := range a.routes {
		if !slices.Contains(ps, rt.Path) {
			ps = append(ps, rt.Path)
		}
	}
	return ps
}

// Allowed returns the methods routed at path, sorted, for an Allow header;
// nil when no route has that path.
func (a *App) Allowed(path string) []string {
	var ms []string
	for _, rt := range a.routes {
		if rt.Path == path && !slices.Contains(ms, rt.Method) {
			ms = append(ms, rt.Method)
		}
	}
	slices.Sort(ms)
	return ms
}

// NotFound is the answer to a path no route serves, on every framework.
func NotFound() Response {
	return problem(http.StatusNotFound, TypeNotFound, "no such endpoint")
}

// MethodNotAllowed is the answer to a known path asked with a method it
// does not serve, on every framework; allowed goes into the Allow header.
func MethodNotAllowed(allowed []string) Response {
	return Response{
		Status: http.StatusMethodNotAllowed,
		Body:   guard.NewProblem(http.StatusMethodNotAllowed, TypeMethodNotAllowed, "this endpoint does not accept this method"),
		Header: map[string]string{"Allow": strings.Join(allowed, ", ")},
	}
}

// TooLarge is the answer to a body over MaxBodyBytes.
func TooLarge() Response {
	return problem(http.StatusRequestEntityTooLarge, TypeTooLarge, fmt.Sprintf("the request body must be at most %d bytes", MaxBodyBytes))
}

// UnsupportedMediaType is the answer to a request body that does not
// come as application/json.
func UnsupportedMediaType() Response {
	return problem(http.StatusUnsupportedMediaType, TypeUnsupportedMediaType, "the request body must be sent as Content-Type: application/json")
}

// UnsupportedEncoding is the answer to a request body sent in a content
// coding (Content-Encoding: gzip, ...): the servers take bodies as sent.
// Accept-Encoding says so (RFC 9110 §12.5.3).
func UnsupportedEncoding() Response {
	resp := problem(http.StatusUnsupportedMediaType, TypeUnsupportedMediaType, "the request body must be sent without a content coding (no Content-Encoding)")
	resp.Header = map[string]string{"Accept-Encoding": "identity"}
	return resp
}

// Internal is the answer when a handler failed unexpectedly (a panic
// recovered by the framework). It says nothing about the failure.
func Internal() Response {
	return problem(http.StatusInternalServerError, guard.TypeInternal, port.InternalDetail)
}

// Fallback answers a request no route matched: 405 when another method is
// routed at path, else 404. Frameworks call it from their not-found and
// method-not-allowed hooks so that the choice is made here, once.
func (a *App) Fallback(path string) Response {
	if ms := a.Allowed(path); len(ms) > 0 {
		return MethodNotAllowed(ms)
	}
	return NotFound()
}

// Encode turns r into the status, headers and body to write. Every answer
// is Cache-Control: no-store unless the flow says otherwise: they carry
// tokens and account data.
func Encode(r Response) (status int, header map[string]string, body []byte) {
	header = map[string]string{}
	status, body = EncodeTo(r, func(k, v string) { header[k] = v })
	return status, header, body
}

// EncodeTo is Encode that hands the header fields to set, in order, a
// later one replacing an earlier one of the same name (Header().Set,
// fiber's Set), instead of building a map on every answer.
func EncodeTo(r Response, set func(name, value string)) (status int, body []byte) {
	set("Cache-Control", "no-store")
	if ja, ok := r.Body.(jsonAppender); ok {
		set("Content-Type", "application/json")
		body = ja.appendJSON(make([]byte, 0, 128))
	} else if r.Body != nil {
		var err error
		body, err = json.Marshal(r.Body)
		if err != nil {
			slog.Error("encoding a response failed", "error", err)
			body, _ = json.Marshal(guard.NewProblem(http.StatusInternalServerError, guard.TypeInternal, port.InternalDetail))
			set("Content-Type", guard.ProblemContentType)
			return http.StatusInternalServerError, body
		}
		if p, ok := r.Body.(*guard.Problem); ok {
			set("Content-Type", guard.ProblemContentType)
			for k, vs := range p.Header { // WWW-Authenticate, Retry-After, ...
				set(k, strings.Join(vs, ", "))
			}
		} else {
			set("Content-Type", "application/json")
		}
	}
	for k, v := range r.Header {
		set(k, v)
	}
	return r.Status, body
}

// WriteHTTP writes r to an http.ResponseWriter, for the servers whose
// framework hands one out.
func WriteHTTP(w http.ResponseWriter, r Response) {
	status, body := EncodeTo(r, w.Header().Set)
	w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = w.Write(body)
	}
}

// ReadBody reads at most MaxBodyBytes+1 bytes of body, enough for a flow
// to tell an oversized body from one that fits.
func ReadBody(body io.Reader) []byte {
	if body == nil || body == http.NoBody { // a GET, mostly: no 512-byte buffer for nothing
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	return b
}

// Problem type URIs the example adds to the guard's.
const (
	TypeNotFound             = "urn:authkit:problem:not-found"
	TypeMethodNotAllowed     = "urn:authkit:problem:method-not-allowed"
	TypeTooLarge             = "urn:authkit:problem:payload-too-large"
	TypeUnsupportedMediaType = "urn:authkit:problem:unsupported-media-type"
	TypeConflict             = guard.TypeConflict
)
