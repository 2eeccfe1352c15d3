// Package session implements server-side sessions: a Manager over a Store,
// with an in-memory store (the embedded default) and a Redis store.
//
// # Wiring
//
//	store, err := session.NewRedisStore(redisClient) // or leave out WithStore for memory
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
// # Redis layout and Cluster
//
// With the default prefix "authkit:session:":
//
//	authkit:session:s:{<sha256(id) hex>}    string: "<created ms>:<last seen ms>:<JSON>"
//	authkit:session:u:{<sha256(user) hex>}  sorted set: member sha256(id) hex, score absolute deadline ms
//
// Each session key and each user index is its own hash tag, so any
// operation that needs only the id (Load, Save) finds its key from the id
// alone, whether or not a user is bound. Operations that touch a session and
// an index together (Create, Rotate, Destroy) are one MULTI or Lua script
// on a single server or Sentinel: atomic, one round trip. On Redis Cluster
// those keys sit in different slots, so the store runs them as ordered
// single-slot steps instead: the index entry is written before the record
// and removed after it, the old id is deleted before the new one is written
// (a failure in between logs the user out rather than leaving two live ids),
// and the index is treated as a hint that List prunes. DestroyAll drains the
// index in batches until it is empty, so a session indexed while it runs is
// caught too. On Cluster, DestroyAll bumps a per-user generation (beside
// the index, same slot) before and after its work; a Create or Rotate reads
// it when indexing and again after writing its record, and deletes the
// record if it moved, so a record written in the middle of "log out
// everywhere" cannot survive it, while a concurrent List that pruned the
// not-yet-written record only makes the write index it again (one or two
// more round trips each, on Cluster only).
//
// Round trips (single server): Load 1, Save 1, Create 1, Rotate 1, Destroy 1,
// List 2 (+1 to prune), DestroyAll 2 per 500 sessions + 1.
//
// List and DestroyByHint back an "active devices" page; DestroyAll is "log
// out everywhere".
//
// # Failures
//
// Every Redis failure is returned wrapped in ErrUnavailable (the guard maps
// it to 503); it is never read as "no session" or "allowed". The memory
// store refuses new sessions with ErrFull (which matches ErrUnavailable)
// when it holds its maximum rather than evicting live ones.
//
// # Cookies
//
// Manager.Cookie and ExpiredCookie give the guard the cookie to write:
// "__Host-session", HttpOnly, Secure, SameSite=Lax, Path=/, Max-Age = the
// session's remaining idle time. WithCookieDomain switches to
// "__Secure-session"; WithInsecureCookies (development only) to "session".
package session
