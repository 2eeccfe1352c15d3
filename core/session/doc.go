// Package session implements server-side sessions: a Manager over a Store,
// with an in-memory store (the embedded default); the Redis store is
// core/session/redisstore.
//
// # Wiring
//
//	store, err := redisstore.New(redisClient) // or leave out WithStore for memory
//	if err != nil { ... }
//	sessions, err := session.New(
//		session.WithStore(store),
//		session.WithIdleTimeout(30*time.Minute),
//		session.WithAbsoluteLifetime(12*time.Hour),
//	)
//	if err != nil { ... }
//
//	// per request (the guard does this):
//	s, err := sessions.Load(ctx, cookieValue)     // ErrMalformedID, ErrNotFound, ErrUnavailable
//	if errors.Is(err, session.ErrNotFound) {
//		s, err = sessions.Create(ctx, session.Meta{ClientIP: ip, UserAgent: ua})
//	}
//	// at login:
//	s.SetUser(userID)
//	err = sessions.Rotate(ctx, s)                 // new id, old id dead at once
//	// after the handler:
//	err = sessions.Save(ctx, s)                   // writes only when Dirty
//	if s.Fresh() || s.Rotated() || s.Touched() {
//		setCookie(sessions.Cookie(s))
//	}
//	// logout: sessions.Destroy(ctx, s); setCookie(sessions.ExpiredCookie())
//
// # Ids
//
// An id is 256 bits from crypto/rand, sent as 43 characters of unpadded
// base64url. ParseID refuses anything else with ErrMalformedID before a
// store is asked. Stores key by the SHA-256 of the id, so a copy of the
// store (a Redis dump, a replica) hands out no live session id; a Hint is
// the first 8 hex characters of that hash. ID's String, Format and LogValue
// print only the hint.
//
// # Lifetimes
//
// Both limits are enforced on the server whatever the cookie says. The idle
// timeout (default 30m) slides on every Load; the absolute lifetime (default
// 12h) counts from Create and survives Rotate. A store's expiry is
// min(idle, remaining absolute), and every Load also checks the stored
// creation and last-seen times against the Manager's clock (WithClock).
// A Load that only reads slides the expiry; it rewrites LastSeen only when
// LastSeen is a touch interval (default 1m) old, so LastSeen is accurate to
// a minute and a read-only request usually costs one cheap PEXPIRE inside
// the Redis round trip. Because LastSeen lags by up to the touch interval,
// the clock check on LastSeen allows idle + touch interval; the exact idle
// timeout is enforced by the store's expiry (the memory store's deadline,
// the Redis key TTL).
//
// # Concurrency
//
// A Session value belongs to one request. Two requests that change one
// session at once are last-writer-wins for the whole session (values and
// metadata). But a write never brings back a session that is gone: Save is a
// conditional write (Redis: SET XX) that fails with ErrNotFound if the id
// was destroyed, expired or rotated away meanwhile, and Rotate fails the
// same way if its old id is already gone, creating nothing. So a rotation
// is never lost (the old id is dead the moment the new one exists) and a
// destroyed session never comes back.
//
// List and DestroyByHint back an "active devices" page; DestroyAll is "log
// out everywhere"; DestroyAllExcept is "sign out everywhere else" (the
// caller's session and the sessions of its sign-in stay), for flows that
// change what protects an account.
//
// # Stores
//
// MemoryStore (NewMemoryStore) is the embedded default, for one process
// and for development. The Redis store lives in its own package,
// core/session/redisstore, so that an application without Redis never
// links go-redis; it documents its key layout and the cost of each
// operation. Any Store, a third-party one included, proves itself with the
// conformance suite core/session/storetest.
//
// # Failures
//
// Every store failure is returned wrapped in ErrUnavailable, which wraps
// authkit.ErrUnavailable (the guard maps it to 503); it is never read as
// "no session" or "allowed". The memory store refuses new sessions with
// ErrFull (which matches ErrUnavailable) when it holds its maximum rather
// than evicting live ones. A bad option is ErrInvalidConfig, which wraps
// authkit.ErrInvalidConfig.
//
// # Cookies
//
// Manager.Cookie and ExpiredCookie give the guard the cookie to write:
// "__Host-session", HttpOnly, Secure, SameSite=Lax, Path=/, Max-Age = the
// session's remaining idle time. WithCookieDomain switches to
// "__Secure-session"; WithInsecureCookies (development only) to "session".
package session
