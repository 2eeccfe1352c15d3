package session

import (
	"encoding/json"
	"fmt"
	"time"
)

// Session is one loaded session. It belongs to one request: it is not safe
// for concurrent use, and changes reach the store only through
// Manager.Save, Rotate or Destroy.
type Session struct {
	id         ID
	hash       Hash
	rec        *Record
	storedUser string // the user whose index holds this session in the store
	owned      bool   // rec is this Session's own; else it may be the store's (see Store.Load)
	fresh      bool
	dirty      bool
	rotated    bool
	touched    bool
	destroyed  bool
}

// ID returns the session id. It is a SECRET: put it in the session cookie
// (Manager.Cookie does) and nowhere else — never in a log, URL or event.
func (s *Session) ID() ID { return s.id }

// Hint returns a short non-secret handle for the session (a hash prefix),
// the same one List reports.
func (s *Session) Hint() string { return s.hash.Hint() }

// UserID returns the user the session is bound to, or "" when anonymous.
func (s *Session) UserID() string { return s.rec.UserID }

// CreatedAt returns when the session was created; Rotate keeps it.
func (s *Session) CreatedAt() time.Time { return s.rec.CreatedAt }

// LastSeen returns when the session was last used, to within the Manager's
// touch interval.
func (s *Session) LastSeen() time.Time { return s.rec.LastSeen }

// IP returns the client address the session was created from.
func (s *Session) IP() string { return s.rec.IP }

// UserAgent returns the User-Agent the session was created with.
func (s *Session) UserAgent() string { return s.rec.UserAgent }

// Fresh reports whether the session was created by this Session value's
// Manager.Create, so the guard must write its cookie.
func (s *Session) Fresh() bool { return s.fresh }

// Dirty reports whether the session has changes that Manager.Save has not
// yet written.
func (s *Session) Dirty() bool { return s.dirty || s.rec.UserID != s.storedUser }

// Rotated reports whether Manager.Rotate gave the session a new id, so the
// guard must write a new cookie.
func (s *Session) Rotated() bool { return s.rotated }

// Touched reports whether the Load that returned s refreshed LastSeen; the
// guard rewrites the cookie then so its Max-Age keeps sliding with the idle
// timeout, at most once per touch interval.
func (s *Session) Touched() bool { return s.touched }

// Destroyed reports whether Manager.Destroy removed the session.
func (s *Session) Destroyed() bool { return s.destroyed }

// SetUser binds the session to a user, as at login, or unbinds it with "".
// The next Manager.Save rotates the id (Rotate can be called directly too),
// so an id known before login is never logged in: session fixation fails.
func (s *Session) SetUser(userID string) { s.writable().UserID = userID }

// Link returns the refresh-token family the session is linked to, or "".
func (s *Session) Link() string { return s.rec.Link }

// SetLink links the session to the refresh-token family of the same
// sign-in (token.Pair.Family), or unlinks it with "". Saved with the next
// Manager.Save or Rotate. From then on destroying either ends both.
func (s *Session) SetLink(family string) { s.writable().Link, s.dirty = family, true }

// writable returns s's record for a change, copying it first when it may be
// the store's own: a loaded record is shared, so that a read-only request
// copies nothing.
func (s *Session) writable() *Record {
	if !s.owned {
		s.rec, s.owned = s.rec.clone(), true
	}
	return s.rec
}

// Set stores v under key, JSON-encoded.
func (s *Session) Set(key string, v any) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidValue)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrInvalidValue, key, err)
	}
	rec := s.writable()
	if rec.Values == nil {
		rec.Values = make(map[string]json.RawMessage)
	}
	rec.Values[key] = b
	s.dirty = true
	return nil
}

// Delete removes the value under key.
func (s *Session) Delete(key string) {
	if _, ok := s.rec.Values[key]; ok {
		delete(s.writable().Values, key)
		s.dirty = true
	}
}

// Get returns the value stored under key decoded as a T, and whether there
// was one that decodes as a T.
func Get[T any](s *Session, key string) (T, bool) {
	var v T
	if s == nil {
		return v, false
	}
	raw, ok := s.rec.Values[key]
	if !ok {
		return v, false
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		var zero T
		return zero, false
	}
	return v, true
}
