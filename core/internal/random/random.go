// Package random makes the random identifiers of authkit — OAuth state
// and nonce, token ids, key ids, MFA enrolment ids — in one way: n bytes
// from crypto/rand, base64url without padding.
package random

import (
	"crypto/rand"
	"encoding/base64"
)

// Base64URL returns n bytes from crypto/rand, base64url-encoded without
// padding (4n/3 characters, rounded up).
func Base64URL(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}
