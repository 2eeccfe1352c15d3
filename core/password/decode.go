package password

import (
	"fmt"
	"strconv"
	"strings"
)

// decoded is a parsed, bounds-checked stored hash.
type decoded struct {
	alg string // argon2id, argon2i, bcrypt, pbkdf2-sha256, pbkdf2-sha1, pbkdf2-sha512

	// argon2
	memory, time uint32
	threads      uint8

	// bcrypt: the hash normalised to $2a$ (all variants compute the same for
	// passwords of at most 72 bytes), its cost, and its original minor letter.
	bcrypt []byte
	cost   int
	minor  byte

	// pbkdf2
	iterations int

	salt, key []byte
}

// decode detects the format of encoded, parses it strictly and checks its
// parameters against the Hasher's maxima before any work is done.
func (h *Hasher) decode(encoded string) (*decoded, error) {
	if len(encoded) > maxEncodedLen {
		return nil, fmt.Errorf("%w: encoded hash longer than %d bytes", ErrHashLimits, maxEncodedLen)
	}
	switch {
	case strings.HasPrefix(encoded, "$argon2"):
		return h.decodeArgon2(encoded)
	case strings.HasPrefix(encoded, "$2"):
		return h.decodeBcrypt(encoded)
	case strings.HasPrefix(encoded, "$pbkdf2"):
		return h.decodePasslibPBKDF2(encoded)
	case strings.HasPrefix(encoded, "pbkdf2_"):
		return h.decodeDjangoPBKDF2(encoded)
	case encoded == "":
		return nil, fmt.Errorf("%w: empty", ErrMalformedHash)
	case strings.HasPrefix(encoded, "$"):
		return nil, fmt.Errorf("%w: unknown scheme", ErrUnsupportedHash)
	}
	// Django's other hashers (argon2$, bcrypt_sha256$, ...) and the like.
	if i := strings.IndexByte(encoded, '$'); i > 0 && isIdent(encoded[:i]) {
		return nil, fmt.Errorf("%w: unknown scheme", ErrUnsupportedHash)
	}
	return nil, fmt.Errorf("%w: unrecognised format", ErrMalformedHash)
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return len(s) <= 32
}

// parseDecimal parses a canonical unsigned decimal (no sign, no leading
// zeros, at most 19 digits) into a uint64.
func parseDecimal(s string) (uint64, bool) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformedHash, what) }
