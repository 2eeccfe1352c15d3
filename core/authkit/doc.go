// Package authkit holds the few names every authkit package shares: the
// root errors that each package's own sentinels wrap, so a caller can
// branch once for every store and every constructor.
//
//	if errors.Is(err, authkit.ErrUnavailable) {
//		// a session, token, MFA or rate-limit store is down: answer 503
//	}
//
// It imports nothing but the standard library and is safe to import from
// any package, adapters included.
package authkit
