package password

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
)

// ab64 is passlib's "adapted base64": standard alphabet with '.' for '+',
// no padding.
var ab64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./").WithPadding(base64.NoPadding)

func pbkdf2Hash(password string, iterations int) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		return "", fmt.Errorf("password: pbkdf2: %w", err)
	}
	return encodePBKDF2(iterations, salt, key), nil
}

func encodePBKDF2(iterations int, salt, key []byte) string {
	return fmt.Sprintf("$pbkdf2-sha256$%d$%s$%s", iterations, ab64.EncodeToString(salt), ab64.EncodeToString(key))
}

func pbkdf2Digest(alg string) (func() hash.Hash, int) {
	switch alg {
	case "pbkdf2-sha1":
		return sha1.New, sha1.Size
	case "pbkdf2-sha512":
		return sha512.New, sha512.Size
	default:
		return sha256.New, sha256.Size
	}
}

func pbkdf2Key(d *decoded, password string) []byte {
	h, _ := pbkdf2Digest(d.alg)
	key, err := pbkdf2.Key(h, password, d.salt, d.iterations, len(d.key))
	if err != nil {
		// Only reachable in FIPS 140-only mode for short salts or keys;
		// a key that cannot be derived matches nothing.
		return nil
	}
	return key
}

// checkPBKDF2 bounds iterations × output blocks and the salt and key sizes.
func (h *Hasher) checkPBKDF2(d *decoded) error {
	_, size := pbkdf2Digest(d.alg)
	if d.iterations < 1 {
		return malformed("pbkdf2: iterations")
	}
	if len(d.salt) == 0 || len(d.key) < 16 {
		return malformed("pbkdf2: salt or hash too short")
	}
	if len(d.salt) > maxSaltBytes || len(d.key) > maxKeyBytes {
		return fmt.Errorf("%w: pbkdf2 salt or hash too long", ErrHashLimits)
	}
	blocks := (len(d.key) + size - 1) / size
	if d.iterations > h.cfg.maxPBKDF2Iter/blocks {
		return fmt.Errorf("%w: pbkdf2 %d iterations × %d blocks over %d", ErrHashLimits, d.iterations, blocks, h.cfg.maxPBKDF2Iter)
	}
	return nil
}

// decodePasslibPBKDF2 parses passlib's $pbkdf2-sha256$rounds$salt$hash (and
// $pbkdf2$ for SHA-1, $pbkdf2-sha512$), with adapted base64, and the PHC
// form $pbkdf2-sha256$i=rounds[,l=len]$salt$hash with standard base64.
func (h *Hasher) decodePasslibPBKDF2(s string) (*decoded, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 || parts[0] != "" {
		return nil, malformed("pbkdf2: wrong number of fields")
	}
	d := &decoded{}
	switch parts[1] {
	case "pbkdf2-sha256":
		d.alg = "pbkdf2-sha256"
	case "pbkdf2":
		d.alg = "pbkdf2-sha1"
	case "pbkdf2-sha512":
		d.alg = "pbkdf2-sha512"
	default:
		return nil, fmt.Errorf("%w: pbkdf2 variant", ErrUnsupportedHash)
	}
	enc := ab64
	wantLen := -1
	if strings.HasPrefix(parts[2], "i=") {
		// PHC string format: i=N[,l=L], standard base64 without padding
		// (passlib's '.' is accepted too).
		enc = base64.RawStdEncoding
		for i, kv := range strings.Split(parts[2], ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, ok := parseDecimal(v)
			switch {
			case !ok:
				return nil, malformed("pbkdf2: parameter value")
			case i == 0 && k == "i":
				d.iterations = int(min(n, 1<<40))
			case i == 1 && k == "l":
				wantLen = int(min(n, 1<<20))
			default:
				return nil, malformed("pbkdf2: parameter")
			}
		}
		parts[3] = strings.ReplaceAll(parts[3], ".", "+")
		parts[4] = strings.ReplaceAll(parts[4], ".", "+")
	} else {
		n, ok := parseDecimal(parts[2])
		if !ok {
			return nil, malformed("pbkdf2: rounds")
		}
		d.iterations = int(min(n, 1<<40))
	}
	var err error
	if d.salt, err = decodeB64(parts[3], enc, 0); err != nil {
		return nil, err
	}
	if d.key, err = decodeB64(parts[4], enc, 0); err != nil {
		return nil, err
	}
	if wantLen >= 0 && wantLen != len(d.key) {
		return nil, malformed("pbkdf2: l= does not match the hash length")
	}
	if err := h.checkPBKDF2(d); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeDjangoPBKDF2 parses Django's pbkdf2_sha256$iterations$salt$hash
// (and pbkdf2_sha1): the salt is used as its UTF-8 bytes, the hash is
// standard padded base64.
func (h *Hasher) decodeDjangoPBKDF2(s string) (*decoded, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 {
		return nil, malformed("django pbkdf2: wrong number of fields")
	}
	d := &decoded{}
	switch parts[0] {
	case "pbkdf2_sha256":
		d.alg = "pbkdf2-sha256"
	case "pbkdf2_sha1":
		d.alg = "pbkdf2-sha1"
	default:
		return nil, fmt.Errorf("%w: django pbkdf2 variant", ErrUnsupportedHash)
	}
	n, ok := parseDecimal(parts[1])
	if !ok {
		return nil, malformed("django pbkdf2: iterations")
	}
	d.iterations = int(min(n, 1<<40))
	if len(parts[2]) > maxSaltBytes {
		return nil, fmt.Errorf("%w: salt longer than %d bytes", ErrHashLimits, maxSaltBytes)
	}
	d.salt = []byte(parts[2])
	var err error
	if d.key, err = decodeB64(parts[3], base64.StdEncoding, 0); err != nil {
		return nil, err
	}
	if err := h.checkPBKDF2(d); err != nil {
		return nil, err
	}
	return d, nil
}
