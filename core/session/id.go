package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
)

// IDLength is the length of an encoded session id: 256 random bits in
// unpadded base64url.
const IDLength = 43

// hintLength is how many hex characters of the id's hash a Hint shows.
const hintLength = 8

var idEncoding = base64.RawURLEncoding.Strict()

// ID is a session id: 256 bits from crypto/rand. It is a bearer secret: whoever
// holds it is logged in as the session's user. Its String, GoString and
// LogValue methods print only a short hint, so an ID dropped into a log line
// leaks nothing; only Secret returns the cookie value.
type ID struct {
	raw [32]byte
}

// newID draws a fresh id from crypto/rand.
func newID() ID {
	var id ID
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+
	// crashes the program instead of returning weak randomness).
	_, _ = rand.Read(id.raw[:])
	return id
}

// ParseID decodes a session id as found in a cookie. Anything other than
// exactly IDLength characters of canonical unpadded base64url is refused with
// ErrMalformedID; the length is checked first, so oversized input costs O(1).
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != IDLength {
		return id, ErrMalformedID
	}
	n, err := idEncoding.Decode(id.raw[:], []byte(s))
	if err != nil || n != len(id.raw) {
		return ID{}, ErrMalformedID
	}
	return id, nil
}

// Secret returns the encoded id for the session cookie. Never log it.
func (id ID) Secret() string { return idEncoding.EncodeToString(id.raw[:]) }

// Hash is the SHA-256 of the id's bytes: what stores key by, so a copy of the
// store hands out no live session id.
func (id ID) Hash() Hash { return sha256.Sum256(id.raw[:]) }

// String returns a non-secret hint, never the id.
func (id ID) String() string { return "session.ID(" + id.Hash().Hint() + ")" }

// GoString returns a non-secret hint, never the id.
func (id ID) GoString() string { return id.String() }

// LogValue returns a non-secret hint, never the id.
func (id ID) LogValue() slog.Value { return slog.StringValue(id.String()) }

// Format prints a non-secret hint whatever the verb, so %x or %v on an ID
// cannot leak it.
func (id ID) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(id.String())) }

// Hash is the SHA-256 of a session id. It is not secret.
type Hash [sha256.Size]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Hint returns the first few hex characters of the hash: enough to tell a
// user's sessions apart on an "active devices" page or in an audit event,
// useless for taking one over.
func (h Hash) Hint() string { return h.String()[:hintLength] }

// ParseHash decodes the hex form written by String, as stores keep it.
func ParseHash(s string) (Hash, bool) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, false
	}
	return h, true
}
