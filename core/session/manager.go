package session

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/internal/batch"
)

// Limits on metadata taken from the request, so a client cannot make its
// session record large.
const (
	maxUserID    = 256
	maxIP        = 64
	maxUserAgent = 256
)

// Manager creates, loads, saves, rotates and destroys sessions in a Store,
// enforcing the idle timeout and absolute lifetime on the server. It is safe
// for concurrent use.
type Manager struct {
	cfg    config
	tokens atomic.Pointer[tokenLink] // set by LinkTokens
}

// TokenLink revokes the refresh-token family linked to a destroyed session.
// *token.Issuer implements it; the guard links the two when it is given
// both (guard.WithTokens and guard.WithSessions).
type TokenLink interface {
	// RevokeLinked revokes family of sub without destroying sessions in
	// turn (the caller is doing that).
	RevokeLinked(ctx context.Context, sub, family string) error
}

type tokenLink struct{ l TokenLink }

// LinkTokens makes every destruction of a linked session (Destroy,
// DestroyByHint, DestroyAll) first revoke its refresh-token family through
// l, so a login's session and tokens end together. Call it once at start-up;
// the guard does when it has both tokens and sessions. A nil l unlinks.
func (m *Manager) LinkTokens(l TokenLink) {
	if l == nil {
		m.tokens.Store(nil)
		return
	}
	m.tokens.Store(&tokenLink{l})
}

// revokeLinked revokes the family rec is linked to, if tokens are linked.
func (m *Manager) revokeLinked(ctx context.Context, rec *Record) error {
	t := m.tokens.Load()
	if t == nil || rec.Link == "" || rec.UserID == "" {
		return nil
	}
	return t.l.RevokeLinked(ctx, rec.UserID, rec.Link)
}

// DestroyLinked destroys userID's sessions linked to family (see
// Session.SetLink) and reports how many; it revokes no tokens in turn. The
// token issuer calls it when the family is revoked — at logout with a
// token, or on refresh-token reuse — so the login's session cookie stops
// working too. It costs a List of the user's sessions, only at revocation,
// never on an ordinary request.
func (m *Manager) DestroyLinked(ctx context.Context, userID, family string) (int, error) {
	if family == "" {
		return 0, nil
	}
	return m.destroyWhere(ctx, userID, false, "tokens_revoked", func(st Stored) bool { return st.Record.Link == family })
}

// destroyWhere destroys userID's sessions that match, revoking their linked
// tokens first when revoke is set, and audits each with reason.
func (m *Manager) destroyWhere(ctx context.Context, userID string, revoke bool, reason string, match func(Stored) bool) (int, error) {
	if userID == "" {
		return 0, nil
	}
	stored, err := m.cfg.store.List(ctx, userID, m.policy())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, st := range stored {
		if !match(st) {
			continue
		}
		if revoke {
			if err := m.revokeLinked(ctx, st.Record); err != nil {
				return n, err
			}
		}
		if err := m.cfg.store.Destroy(ctx, st.Hash, userID); err != nil {
			return n, err
		}
		n++
		m.cfg.audit.Emit(ctx, audit.Event{Kind: audit.SessionDestroyed, Time: m.cfg.now(), Subject: userID, Reason: reason, Family: st.Hash.Hint()})
	}
	return n, nil
}

// Meta describes the request that creates a session.
type Meta struct {
	// UserID binds the session to a user at once; "" for an anonymous one.
	UserID string
	// ClientIP is the client address as the guard determined it.
	ClientIP string
	// UserAgent is the request's User-Agent header; it is truncated to 256
	// bytes.
	UserAgent string
}

// Info describes one of a user's sessions for an "active devices" page.
type Info struct {
	// Hint is a short non-secret handle (a hash prefix), not the id.
	Hint string
	// CreatedAt is when the session was created (at sign-in, for a bound one).
	CreatedAt time.Time
	// LastSeen is the last use, accurate to the touch interval.
	LastSeen time.Time
	// IP is the client address the session was created from.
	IP string
	// UserAgent is the User-Agent the session was created with.
	UserAgent string
	// Current is true for the session the caller passed to List.
	Current bool
}

// New returns a Manager configured by opts.
func New(opts ...Option) (*Manager, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Manager{cfg: cfg}, nil
}

// IdleTimeout returns the configured idle timeout.
func (m *Manager) IdleTimeout() time.Duration { return m.cfg.idle }

func (m *Manager) policy() Policy {
	return Policy{Now: m.cfg.now(), Idle: m.cfg.idle, Absolute: m.cfg.absolute, TouchEvery: m.cfg.touchEvery}
}

// Create starts a new session with a fresh id and stores it at once.
func (m *Manager) Create(ctx context.Context, meta Meta) (*Session, error) {
	if len(meta.UserID) > maxUserID || !utf8.ValidString(meta.UserID) {
		return nil, fmt.Errorf("%w: user id", ErrInvalidValue)
	}
	p := m.policy()
	rec := &Record{
		UserID:    meta.UserID,
		CreatedAt: p.Now,
		LastSeen:  p.Now,
		IP:        audit.Clip(meta.ClientIP, maxIP),
		UserAgent: audit.Clip(meta.UserAgent, maxUserAgent),
	}
	id := newID()
	s := &Session{id: id, hash: id.Hash(), rec: rec, storedUser: rec.UserID, owned: true, fresh: true}
	if err := m.cfg.store.Create(ctx, s.hash, rec, p); err != nil {
		return nil, err
	}
	m.emit(ctx, audit.SessionCreated, s, "")
	return s, nil
}

// Load returns the live session whose id is the cookie value raw. A
// malformed id fails with ErrMalformedID before the store is asked; an
// unknown, expired, destroyed or rotated-away one with an error matching
// ErrNotFound. Loading slides the idle timeout (one round trip on Redis) and
// refreshes LastSeen when it is older than the touch interval.
func (m *Manager) Load(ctx context.Context, raw string) (*Session, error) {
	id, err := ParseID(raw)
	if err != nil {
		return nil, err
	}
	p := m.policy()
	h := id.Hash()
	rec, err := m.cfg.store.Load(ctx, h, p)
	if err != nil {
		return nil, err
	}
	if p.Expired(rec) { // a backstop for stores that trust their own TTLs
		if err := m.cfg.store.Destroy(ctx, h, rec.UserID); err != nil {
			return nil, err
		}
		return nil, ErrExpired
	}
	return &Session{
		id: id, hash: h, rec: rec, storedUser: rec.UserID,
		touched: rec.Touched,
	}, nil
}

// loadPreparer is a Store that can prepare a Load for the guard's batch
// (redisstore.Store).
type loadPreparer interface {
	PrepareLoad(h Hash, p Policy) batch.Op
}

// Batches reports whether the store can prepare a Load ahead of the
// request's steps (see PrepareLoad): the guard asks, and batches only what
// can be.
func (m *Manager) Batches() bool {
	_, ok := m.cfg.store.(loadPreparer)
	return ok
}

// PrepareLoad adds to s the store call that Load(ctx, raw) will make, for
// the guard, which sends it ahead with the request's other store calls
// and then runs Load with s's context; a malformed id adds nothing. The
// Set comes from an internal package: applications do not call it.
func (m *Manager) PrepareLoad(raw string, s *batch.Set) {
	lp, ok := m.cfg.store.(loadPreparer)
	if !ok {
		return
	}
	id, err := ParseID(raw)
	if err != nil {
		return
	}
	s.Add(lp.PrepareLoad(id.Hash(), m.policy()))
}

// Save writes s's changes, if it has any. If the user changed since the
// session was loaded (SetUser), Save rotates the id instead, so binding a
// user always changes the id. Save never recreates a session that was
// destroyed or rotated away meanwhile: it fails with an error matching
// ErrNotFound. Concurrent Saves of one session are last-writer-wins for the
// whole session.
func (m *Manager) Save(ctx context.Context, s *Session) error {
	switch {
	case s == nil:
		return ErrNilSession
	case s.destroyed:
		return ErrDestroyed
	case s.rec.UserID != s.storedUser:
		return m.Rotate(ctx, s)
	case !s.dirty:
		return nil
	}
	p := m.policy()
	rec := s.rec.clone()
	rec.LastSeen = p.Now
	if err := m.cfg.store.Save(ctx, s.hash, rec, p); err != nil {
		return err
	}
	s.writable().LastSeen = p.Now
	s.dirty = false
	return nil
}

// Rotate gives s a new id with the same data and creation time, and kills
// the old id at once; call it at login and at every privilege change. It
// fails with an error matching ErrNotFound if the old id is no longer live
// (destroyed, expired or rotated by a concurrent request), in which case no
// new session exists either.
func (m *Manager) Rotate(ctx context.Context, s *Session) error {
	switch {
	case s == nil:
		return ErrNilSession
	case s.destroyed:
		return ErrDestroyed
	}
	if len(s.rec.UserID) > maxUserID || !utf8.ValidString(s.rec.UserID) || len(s.rec.Link) > maxUserID {
		return fmt.Errorf("%w: user id", ErrInvalidValue)
	}
	p := m.policy()
	rec := s.rec.clone()
	rec.LastSeen = p.Now
	id := newID()
	h := id.Hash()
	if err := m.cfg.store.Rotate(ctx, s.hash, h, s.storedUser, rec, p); err != nil {
		return err
	}
	s.id, s.hash, s.rec, s.storedUser, s.owned = id, h, rec, rec.UserID, true
	s.rotated, s.dirty = true, false
	m.emit(ctx, audit.SessionRotated, s, "")
	return nil
}

// Destroy removes s from the store, as at logout. Destroying a session twice
// is not an error. The guard then writes ExpiredCookie.
func (m *Manager) Destroy(ctx context.Context, s *Session) error {
	switch {
	case s == nil:
		return ErrNilSession
	case s.destroyed:
		return nil
	}
	// The linked tokens first: should that fail, the session still stands
	// and the caller can try again.
	if err := m.revokeLinked(ctx, s.rec); err != nil {
		return err
	}
	if err := m.cfg.store.Destroy(ctx, s.hash, s.storedUser); err != nil {
		return err
	}
	s.destroyed, s.dirty = true, false
	m.emit(ctx, audit.SessionDestroyed, s, "logout")
	return nil
}

// List returns userID's live sessions, most recently seen first. current,
// which may be nil, marks the caller's own session.
func (m *Manager) List(ctx context.Context, userID string, current *Session) ([]Info, error) {
	if userID == "" {
		return nil, nil
	}
	stored, err := m.cfg.store.List(ctx, userID, m.policy())
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(stored))
	for _, st := range stored {
		r := st.Record
		out = append(out, Info{
			Hint: st.Hash.Hint(), CreatedAt: r.CreatedAt, LastSeen: r.LastSeen,
			IP: r.IP, UserAgent: r.UserAgent,
			Current: current != nil && !current.destroyed && current.hash == st.Hash,
		})
	}
	slices.SortFunc(out, func(a, b Info) int {
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		return strings.Compare(a.Hint, b.Hint)
	})
	return out, nil
}

// DestroyByHint removes userID's sessions whose Hint (as List reports it)
// is hint, for a "log out this device" button, and reports how many it
// removed. Only userID's own sessions can match, so a user cannot log out
// someone else by guessing hints. A hint that is not 8 lower-case hex
// characters fails with ErrInvalidValue.
func (m *Manager) DestroyByHint(ctx context.Context, userID, hint string) (int, error) {
	if !validHint(hint) {
		return 0, fmt.Errorf("%w: hint", ErrInvalidValue)
	}
	return m.destroyWhere(ctx, userID, true, "logout_device", func(st Stored) bool { return st.Hash.Hint() == hint })
}

func validHint(h string) bool {
	if len(h) != hintLength {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !('0' <= h[i] && h[i] <= '9' || 'a' <= h[i] && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// DestroyAll removes every session of userID ("log out everywhere") and
// reports how many it removed. The caller's own session is among them; the
// guard then writes ExpiredCookie.
func (m *Manager) DestroyAll(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, nil
	}
	if m.tokens.Load() != nil {
		stored, err := m.cfg.store.List(ctx, userID, m.policy())
		if err != nil {
			return 0, err
		}
		for _, st := range stored {
			if err := m.revokeLinked(ctx, st.Record); err != nil {
				return 0, err
			}
		}
	}
	n, err := m.cfg.store.DestroyUser(ctx, userID)
	if err != nil {
		return n, err
	}
	m.cfg.audit.Emit(ctx, audit.Event{Kind: audit.SessionDestroyed, Time: m.cfg.now(), Subject: userID, Reason: "logout_all"})
	return n, nil
}

// DestroyAllExcept removes every session of userID but the caller's own
// sign-in — "sign out everywhere else", after a password change or when a
// second factor is turned on or off — and reports how many it removed. It
// keeps keep (the request's session; nil for none) and the sessions linked
// to keepFamily (the refresh-token family of the request's sign-in; when
// "", keep's own link), so a request authenticated by a bearer token keeps
// the session of the same login. With tokens linked (LinkTokens) the
// families of the destroyed sessions are revoked first; revoke the other
// token sign-ins with token.Issuer.RevokeSubjectExcept, or call
// guard.SignOutOthers, which does both. A session of userID written while
// it runs does not survive it. It costs a List of the user's sessions
// (when anything is linked), then what DestroyAll costs.
func (m *Manager) DestroyAllExcept(ctx context.Context, userID string, keep *Session, keepFamily string) (int, error) {
	if userID == "" {
		return 0, nil
	}
	var kept []Hash
	if keep != nil && !keep.destroyed && keep.storedUser == userID {
		kept = append(kept, keep.hash)
		if keepFamily == "" {
			keepFamily = keep.rec.Link
		}
	}
	if keepFamily != "" || m.tokens.Load() != nil {
		stored, err := m.cfg.store.List(ctx, userID, m.policy())
		if err != nil {
			return 0, err
		}
		for _, st := range stored {
			switch {
			case slices.Contains(kept, st.Hash):
			case keepFamily != "" && st.Record.Link == keepFamily:
				kept = append(kept, st.Hash)
			default:
				if err := m.revokeLinked(ctx, st.Record); err != nil {
					return 0, err
				}
			}
		}
	}
	n, err := m.cfg.store.DestroyUserExcept(ctx, userID, kept)
	if err != nil {
		return n, err
	}
	m.cfg.audit.Emit(ctx, audit.Event{Kind: audit.SessionDestroyed, Time: m.cfg.now(), Subject: userID, Reason: "logout_others"})
	return n, nil
}

func (m *Manager) emit(ctx context.Context, kind audit.Kind, s *Session, reason string) {
	m.cfg.audit.Emit(ctx, audit.Event{
		Kind: kind, Time: m.cfg.now(), Subject: s.rec.UserID, IP: s.rec.IP,
		UserAgent: s.rec.UserAgent, Reason: reason, Family: s.hash.Hint(),
	})
}
