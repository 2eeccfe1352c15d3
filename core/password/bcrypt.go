package password

import (
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

const bcryptMaxBytes = 72

// bcryptB64 is bcrypt's own base64 alphabet.
var bcryptB64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").WithPadding(base64.NoPadding)

func bcryptHash(password string, cost int) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("password: bcrypt: %w", err)
	}
	return string(b), nil
}

func bcryptCompare(d *decoded, password string) bool {
	return bcrypt.CompareHashAndPassword(d.bcrypt, []byte(password)) == nil
}

// decodeBcrypt parses $2a$NN$ + 22 salt + 31 hash characters, and the
// $2b$, $2y$ and $2x$ variants.
func (h *Hasher) decodeBcrypt(s string) (*decoded, error) {
	if len(s) != 60 || s[0] != '$' || s[1] != '2' || s[3] != '$' || s[6] != '$' {
		return nil, malformed("bcrypt: layout")
	}
	minor := s[2]
	switch minor {
	case 'a', 'b', 'y', 'x':
	default:
		return nil, fmt.Errorf("%w: bcrypt variant $2%c$", ErrUnsupportedHash, minor)
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return nil, malformed("bcrypt: cost")
	}
	cost := int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < 4 || cost > 31 {
		return nil, malformed("bcrypt: cost out of range")
	}
	if cost > h.cfg.maxBcryptCost {
		return nil, fmt.Errorf("%w: bcrypt cost %d over %d", ErrHashLimits, cost, h.cfg.maxBcryptCost)
	}
	salt, err := bcryptB64.DecodeString(s[7:29])
	if err != nil {
		return nil, malformed("bcrypt: salt")
	}
	key, err := bcryptB64.DecodeString(s[29:])
	if err != nil {
		return nil, malformed("bcrypt: hash")
	}
	norm := []byte(s)
	norm[2] = 'a'
	return &decoded{alg: "bcrypt", bcrypt: norm, cost: cost, minor: minor, salt: salt, key: key}, nil
}
