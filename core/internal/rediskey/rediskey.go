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
// accident.
func Tag(kind, id string) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(id))
	var sum [sha256.Size]byte
	return "{" + base64.RawURLEncoding.EncodeToString(h.Sum(sum[:0]))[:22] + "}"
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
