package password

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

const argon2Version = 0x13 // 19: the only version x/crypto/argon2 implements

func argon2Hash(password string, p Argon2idParams) (string, error) {
	salt := make([]byte, p.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLength)
	return encodeArgon2id(p, salt, key), nil
}

func encodeArgon2id(p Argon2idParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func argon2Key(d *decoded, password string) []byte {
	if d.alg == "argon2i" {
		return argon2.Key([]byte(password), d.salt, d.time, d.memory, d.threads, uint32(len(d.key)))
	}
	return argon2.IDKey([]byte(password), d.salt, d.time, d.memory, d.threads, uint32(len(d.key)))
}

// decodeArgon2 parses the PHC string $argon2id$v=19$m=M,t=T,p=P$salt$hash.
// The v= field may be absent: for argon2id that can only mean 19, since
// argon2id was introduced with version 1.3; for argon2i it means 1.0, which
// x/crypto does not implement.
func (h *Hasher) decodeArgon2(s string) (*decoded, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 && len(parts) != 6 {
		return nil, malformed("argon2: wrong number of fields")
	}
	d := &decoded{alg: parts[1]}
	switch d.alg {
	case "argon2id", "argon2i":
	case "argon2d":
		return nil, fmt.Errorf("%w: argon2d", ErrUnsupportedHash)
	default:
		return nil, malformed("argon2: unknown variant")
	}
	rest := parts[2:]
	version := uint64(0x10)
	if d.alg == "argon2id" {
		version = argon2Version
	}
	if len(parts) == 6 {
		v, ok := strings.CutPrefix(rest[0], "v=")
		if !ok {
			return nil, malformed("argon2: version field")
		}
		if version, ok = parseDecimal(v); !ok {
			return nil, malformed("argon2: version")
		}
		rest = rest[1:]
	}
	if version != argon2Version {
		if version == 0x10 {
			return nil, fmt.Errorf("%w: argon2 version 1.0", ErrUnsupportedHash)
		}
		return nil, malformed("argon2: unknown version")
	}
	var seen [3]bool
	var vals [3]uint64
	for _, kv := range strings.Split(rest[0], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, malformed("argon2: parameter")
		}
		i := strings.Index("mtp", k)
		if len(k) != 1 || i < 0 {
			if k == "keyid" || k == "data" {
				return nil, fmt.Errorf("%w: argon2 %s parameter", ErrUnsupportedHash, k)
			}
			return nil, malformed("argon2: unknown parameter")
		}
		if seen[i] {
			return nil, malformed("argon2: repeated parameter")
		}
		n, ok := parseDecimal(v)
		if !ok {
			return nil, malformed("argon2: parameter value")
		}
		seen[i], vals[i] = true, n
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return nil, malformed("argon2: missing parameter")
	}
	m, t, p := vals[0], vals[1], vals[2]
	if t < 1 || p < 1 || p > 0xFFFFFF || m < 8*p || m > 0xFFFFFFFF {
		return nil, malformed("argon2: parameters out of range")
	}
	mx := h.cfg.maxArgon2
	if m > uint64(mx.Memory) || t > uint64(mx.Time) || p > uint64(mx.Threads) {
		return nil, fmt.Errorf("%w: argon2 m=%d t=%d p=%d over m=%d t=%d p=%d", ErrHashLimits, m, t, p, mx.Memory, mx.Time, mx.Threads)
	}
	d.memory, d.time, d.threads = uint32(m), uint32(t), uint8(p)
	var err error
	if d.salt, err = decodeB64(rest[1], base64.RawStdEncoding, 8); err != nil {
		return nil, err
	}
	if d.key, err = decodeB64(rest[2], base64.RawStdEncoding, 4); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeB64 decodes a salt or hash field, bounding its length before
// decoding.
func decodeB64(s string, enc *base64.Encoding, minLen int) ([]byte, error) {
	if len(s) > enc.EncodedLen(maxKeyBytes) && len(s) > enc.EncodedLen(maxSaltBytes) {
		return nil, fmt.Errorf("%w: salt or hash longer than %d bytes", ErrHashLimits, maxSaltBytes)
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, malformed("base64")
	}
	if len(b) < minLen {
		return nil, malformed("salt or hash too short")
	}
	return b, nil
}
