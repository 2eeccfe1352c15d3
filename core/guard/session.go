package guard

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/session"
)

// principalKeyInSession is the session value under which SignIn keeps the
// principal's roles and authentication methods.
const principalKeyInSession = "authkit.principal"

// sessionPrincipal is the principal's part that SignIn stores in the
// session; the subject and family are the session's own.
type sessionPrincipal struct {
	Roles    []string  `json:"roles,omitempty"`
	Scopes   []string  `json:"scopes,omitempty"`
	AMR      []string  `json:"amr,omitempty"`
	AuthTime time.Time `json:"auth_time,omitzero"`
	MFAAt    time.Time `json:"mfa_at,omitzero"`
}

// Bounds of a Guard's cache of decoded session principals: with the usual
// few roles and methods an encoding is 60–150 bytes, counted as at most
// about 1.5 KiB (session.ValueCache counts the worst a decoding can hold),
// so 10,000 signed-in sessions in use at once stay hits; more share the
// room at random.
const (
	principalCacheEntries = 10_000
	principalCacheBytes   = 16 << 20
)

// newPrincipalCache returns the cache that spares a request by session
// cookie the JSON decoding of its principal: it is keyed by the stored
// bytes, so a principal that SignIn changed (login, step-up, new roles) is
// a miss, never the old value.
func newPrincipalCache() *session.ValueCache[sessionPrincipal] {
	return session.NewValueCache[sessionPrincipal](principalCacheEntries, principalCacheBytes)
}

// requestState is what the Guard keeps about one request between Before and
// Commit. It lives in the request context; a pointer, so that flows can
// start, rotate or end the request's session and Commit sees it.
type requestState struct {
	g *Guard

	mu          sync.Mutex
	sess        *session.Session
	pending     string   // a session cookie not loaded yet (a bearer token authenticated the request)
	staleCookie bool     // the client sent a session cookie that is not live
	signedOut   bool     // SignOut ran: Commit clears the cookie, session or not
	unavailable bool     // the session store could not be asked
	x           Exchange // the request, for the metadata of a session a flow starts
	committed   bool
}

type stateKey struct{}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// load reads the session named by the cookie value raw into st and returns
// its principal when a user is bound. The caller holds st.mu or owns st.
func (st *requestState) load(ctx context.Context, raw string) (Principal, bool) {
	s, err := st.g.sessions.Load(ctx, raw)
	switch {
	case err == nil:
		st.sess = s
		return st.g.sessionPrincipalOf(s)
	case errors.Is(err, authkit.ErrUnavailable): // session.ErrUnavailable, or a third-party store's own
		st.unavailable = true
	default: // malformed, unknown, expired: drop the cookie
		st.staleCookie = true
	}
	return Principal{}, false
}

// loadPendingLocked loads a session that Before left for later. The caller
// holds st.mu.
func (st *requestState) loadPendingLocked(ctx context.Context) {
	if st.pending != "" {
		raw := st.pending
		st.pending = ""
		st.load(ctx, raw)
	}
}

// sessionPrincipalOf returns the principal of a session bound to a user.
// The decoded part comes from g.principals and is shared with it: the
// request gets a Clone, so a handler that changes its Roles changes no
// other request's.
func (g *Guard) sessionPrincipalOf(s *session.Session) (Principal, bool) {
	if s.UserID() == "" {
		return Principal{}, false
	}
	sp, _ := g.principals.Get(s, principalKeyInSession)
	return Principal{
		Subject: s.UserID(), Roles: sp.Roles, Scopes: sp.Scopes, AMR: sp.AMR, Via: ViaSession, Family: s.Link(),
		AuthTime: sp.AuthTime, MFAAt: sp.MFAAt,
	}.Clone(), true
}

// SessionFrom returns the request's session: the one its cookie named, or
// one a flow started with StartSession or SignIn.
func SessionFrom(ctx context.Context) (*session.Session, bool) {
	st := stateFrom(ctx)
	if st == nil {
		return nil, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.loadPendingLocked(ctx)
	return st.sess, st.sess != nil
}

// StartSession returns the request's session, creating one (anonymous, with
// the client's IP and User-Agent) when the request has none. The Guard must
// have been built WithSessions.
func StartSession(ctx context.Context) (*session.Session, error) {
	st := stateFrom(ctx)
	if st == nil || st.g.sessions == nil {
		return nil, ErrNoSessions
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.loadPendingLocked(ctx)
	if st.sess != nil && !st.sess.Destroyed() {
		return st.sess, nil
	}
	// Read only now, when a session is really created: most requests never
	// need the client's address or User-Agent.
	s, err := st.g.sessions.Create(ctx, session.Meta{ClientIP: st.g.ClientIP(st.x), UserAgent: audit.Clip(st.x.Header("User-Agent"), 256)})
	if err != nil {
		return nil, err
	}
	st.sess = s
	return s, nil
}

// SignIn binds the request's session (started if needed) to p — subject,
// roles, scopes, authentication methods, AuthTime and MFAAt — and rotates
// its id, so a
// session id planted before login is worthless after it. A session bound to
// another user is destroyed first and p gets a fresh one, so nothing the
// previous user stored carries over. Later requests
// bearing the session cookie authenticate as p (Via ViaSession). A
// non-empty p.Family links the session to that refresh-token family (the
// login's token.Pair.Family): with WithTokens(issuer) and WithSessions,
// destroying the session (SignOut) revokes the family, and revoking the
// family (logout with a token, refresh-token reuse) destroys the session.
// A zero p.AuthTime is the time of the call, and then a zero p.MFAAt is
// too when p.AMR holds a second factor: the factor was passed for this
// sign-in. A caller that gives p.AuthTime gives p.MFAAt as well: zero
// means the second factor's time is unknown (an OpenID provider's "mfa"
// without auth_time), which MFAWithin refuses until a fresh step-up.
func SignIn(ctx context.Context, p Principal) (*session.Session, error) {
	st := stateFrom(ctx)
	if st == nil || st.g.sessions == nil {
		return nil, ErrNoSessions
	}
	st.mu.Lock()
	st.loadPendingLocked(ctx)
	prev := st.sess
	st.mu.Unlock()
	if prev != nil && !prev.Destroyed() && prev.UserID() != "" && prev.UserID() != p.Subject {
		// Another user's session: end it, so none of its values reach p.
		if err := st.g.sessions.Destroy(ctx, prev); err != nil {
			return nil, err
		}
	}
	s, err := StartSession(ctx)
	if err != nil {
		return nil, err
	}
	s.SetUser(p.Subject)
	s.SetLink(p.Family)
	sp := sessionPrincipal{Roles: p.Roles, Scopes: p.Scopes, AMR: p.AMR, AuthTime: p.AuthTime, MFAAt: p.MFAAt}
	if sp.AuthTime.IsZero() {
		sp.AuthTime = time.Now()
		if sp.MFAAt.IsZero() && p.HasMFA() {
			sp.MFAAt = sp.AuthTime
		}
	}
	if err := s.Set(principalKeyInSession, sp); err != nil {
		return nil, err
	}
	if err := st.g.sessions.Rotate(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// SignOut destroys the request's session, if it has one, and Commit then
// clears the session cookie — also when the request came without one (a
// logout with the bearer token alone), so that a client never keeps a
// cookie past its logout. A session linked to a refresh-token family
// (SignIn with Principal.Family) revokes that family's tokens first.
func SignOut(ctx context.Context) error {
	st := stateFrom(ctx)
	if st == nil || st.g.sessions == nil {
		return ErrNoSessions
	}
	st.mu.Lock()
	st.loadPendingLocked(ctx)
	s := st.sess
	st.signedOut = true
	st.mu.Unlock()
	if s == nil {
		return nil
	}
	return st.g.sessions.Destroy(ctx, s)
}

// Commit saves the request's session changes and sets or clears the session
// cookie. Adapters call it once, right before the response header is written
// (or after the handler when it wrote nothing); later calls do nothing. A
// store failure here is logged: the response is already decided.
func (g *Guard) Commit(ctx context.Context, x Exchange) {
	st := stateFrom(ctx)
	if st == nil || g.sessions == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.committed {
		return
	}
	st.committed = true
	s := st.sess
	switch {
	case s == nil:
		if st.staleCookie || st.signedOut {
			g.setCookie(x, g.sessions.ExpiredCookie())
		}
		return
	case s.Destroyed():
		g.setCookie(x, g.sessions.ExpiredCookie())
		return
	}
	if err := g.sessions.Save(ctx, s); err != nil {
		if errors.Is(err, session.ErrNotFound) {
			g.setCookie(x, g.sessions.ExpiredCookie())
			return
		}
		slog.WarnContext(ctx, "authkit: saving session failed", "session", s.Hint(), "error", err)
		return
	}
	if s.Fresh() || s.Rotated() || s.Touched() {
		g.setCookie(x, g.sessions.Cookie(s))
	}
}

// setCookie sets or clears the session cookie on the answer and keeps the
// answer out of shared caches (noStoreCookie).
func (g *Guard) setCookie(x Exchange, c *http.Cookie) {
	x.SetCookie(c)
	g.noStoreCookie(x)
}

// SessionUnavailable reports whether the request's session cookie could not
// be read because the session store was unavailable. A flow that decides
// on its own whether a request is authenticated (rather than with Require)
// answers 503 then, not 401: the client may well be signed in.
func SessionUnavailable(ctx context.Context) bool { return sessionUnavailable(ctx) }

// sessionUnavailable reports whether the request's session could not be
// loaded because the store was down.
func sessionUnavailable(ctx context.Context) bool {
	st := stateFrom(ctx)
	if st == nil {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.unavailable
}
