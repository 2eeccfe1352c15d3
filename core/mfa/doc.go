// Package mfa is TOTP multi-factor authentication (RFC 6238) with recovery
// codes: enrolment with an otpauth URI and QR code, verification that no
// code can be replayed, attempt limits per account, and secrets sealed at
// rest. The HOTP/TOTP arithmetic is github.com/pquerna/otp's.
//
// # Wiring
//
//	keys, err := mfa.NewKeyring(mfa.Key{ID: "2026-01", Secret: sealingKey}) // 32 bytes, e.g. HKDF of the app key
//	store, err := redisstore.New(rdb)                                     // or mfa.NewMemoryStore() for tests
//	m, err := mfa.New("Example Co", store, keys)
//
//	// POST /mfa/enroll (after re-checking the password):
//	e, err := m.Enroll(ctx, userID, email)       // show e.QRCode (PNG) or e.URI / e.Secret
//	// POST /mfa/confirm:
//	codes, err := m.Confirm(ctx, userID, code)    // MFA on; show the recovery codes once
//	// at sign-in, after the password was right:
//	err = m.Verify(ctx, userID, code)             // or m.UseRecoveryCode(ctx, userID, rc)
//	var locked *mfa.LockedError
//	switch {
//	case err == nil: // signed in with otp (or rcv)
//	case errors.As(err, &locked): // 429, Retry-After: locked.RetryAfter
//	case errors.Is(err, mfa.ErrInvalidCode): // 401: wrong, malformed or replayed
//	case errors.Is(err, authkit.ErrUnavailable): // 503: never "verified"
//	}
//
// # Rules
//
// Enrolment: a 160-bit secret from crypto/rand. It is pending until Confirm
// receives a valid code for it, for 10 minutes (WithPendingTTL); a new
// Enroll replaces a pending one. Enroll refuses while a factor is active.
//
// Verification: the code, with spaces and dashes removed, must be exactly
// the factor's digits (ASCII only) or it is refused before any work. The
// server's clock decides the time step; the steps before and after the
// current one are accepted too (WithSkew(0) turns that off; a wider window
// is refused). Every candidate code is computed and compared in constant
// time.
//
// Replay: once a code of step s is accepted for a user, no code of a step
// at or before s is accepted for that user again — atomically, so of any
// number of concurrent requests with one code exactly one succeeds. The
// confirming code's step counts as used.
//
// Attempt limits, per user (never per session or connection): every
// attempt is counted before its code is checked, so concurrent guesses get
// no more checks than the limit. After 5 consecutive failures (TOTP and
// recovery codes together) the factor locks for 1 minute; each further lock
// without a success in between lasts twice as long, up to 1 hour
// (WithLockout). During a lock every code, a right one included, gets a
// *LockedError carrying RetryAfter. A lock ends on its own; a success ends
// the count and the growth. Malformed codes cost nothing. The lock is not
// a rate limit and no rate-limit setting lifts it.
//
// Secrets at rest: AES-256-GCM under the Keyring's newest key, with the key
// id in the record and the user id as associated data, so a record moved to
// another user does not open. Records sealed with an older key still open
// and are re-sealed on the next success.
//
// Recovery codes: 10 per enrolment (WithRecoveryCodes), 24 characters of
// Crockford's base32 (120 bits) in six groups of four, stored as SHA-256.
// Input is compared after removing spaces and dashes and upper-casing. Each
// code works once, atomically; RegenerateRecoveryCodes replaces the set.
//
// # Audit
//
// The Manager emits mfa.enroll_started, mfa.enrolled, mfa.verified,
// mfa.failed (Reason malformed, wrong_code, replayed, locked or
// wrong_recovery_code), mfa.locked, mfa.recovery_code_used,
// mfa.recovery_codes_regenerated and mfa.disabled, with the user id as
// Subject. No event carries a code or secret.
//
// # What the caller does
//
// The Manager checks the second factor only. The flows around it must ask
// for the password before Verify or UseRecoveryCode (so a stranger cannot
// burn a user's attempts) and again before Enroll, Disable and
// RegenerateRecoveryCodes (so a stolen session alone cannot change the
// factor), and rotate the session after Confirm and Disable.
//
// # Stores
//
// MemoryStore keeps everything in the process (lost on restart). The
// redisstore package keeps it in Redis: one hash tag per user, a Lua
// script per check-and-set, one round trip per store call (a successful
// Verify makes two calls: charge-and-read, then the step check-and-set;
// a wrong code, a recovery code, Enabled and RemainingRecoveryCodes make
// one). Both pass storetest.Run, which a third-party Store runs too.
package mfa
