// Package rediskey holds what every authkit Redis store does the same way:
// checking the key prefix, deriving Cluster hash tags from ids, and wrapping
// Redis errors in the store's unavailable sentinel.
package rediskey

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/authkit-go/authkit/core/authkit"
)

// CheckPrefix returns an error wrapping authkit.ErrInvalidConfig when prefix
// contains a brace, which would break Cluster hash tags.
func CheckPrefix(prefix string) error {
	if strings.ContainsAny(prefix, "{}") {
		return fmt.Errorf("%w: Redis key prefix %q contains '{' or '}'", authkit.ErrInvalidConfig, prefix)
	}
	return nil
}

// Tag returns the Cluster hash tag (braces included) for id within kind:
// "{" + base64url(sha256(kind || 0 || id))[:22] + "}", 132 bits. Any byte of
// id is safe in it, and ids of different kinds never share a tag by
// accident. Stores call it on every request, so it allocates only the
// result for ids of a few hundred bytes.
func Tag(kind, id string) string {
	var sum [sha256.Size]byte
	var buf [256]byte
	if n := len(kind) + 1 + len(id); n <= len(buf) {
		sum = sha256.Sum256(append(append(append(buf[:0], kind...), 0), id...))
	} else {
		h := sha256.New()
		h.Write([]byte(kind))
		h.Write([]byte{0})
		h.Write([]byte(id))
		h.Sum(sum[:0])
	}
	// 18 bytes encode to 24 characters; the first 22 are those of the
	// whole sum's encoding.
	var out [1 + 24]byte
	out[0] = '{'
	base64.RawURLEncoding.Encode(out[1:], sum[:18])
	out[23] = '}'
	return string(out[:24])
}

// Unavailable wraps err in sentinel (a store's ErrUnavailable, itself
// wrapping authkit.ErrUnavailable), keeping err in the chain. It returns nil
// for a nil err and err itself when it already wraps sentinel.
func Unavailable(sentinel, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sentinel) {
		return err
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}
