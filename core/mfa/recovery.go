package mfa

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
)

// Recovery codes are 24 characters of Crockford's base32 alphabet (digits
// and upper-case letters without I, L, O and U, so nothing reads as
// something else), 120 bits from crypto/rand, printed in six groups of four:
//
//	7K2M-Q9XD-4TNB-W0RC-HS5E-VG8A
//
// 120 bits leave no room for guessing, so a code is stored as a plain
// SHA-256 (ASVS 5.0 6.5.2 asks for at least 112 bits when no slow hash is
// used).
const (
	RecoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	recoveryBytes    = 15 // 120 bits: 24 base32 characters
	recoveryChars    = 24
	recoveryGroup    = 4
	maxRecoveryInput = 128 // raw bytes of a submitted code, separators included
	recoveryLabel    = "authkit/mfa/recovery-code"
)

var recoveryEncoding = base32.NewEncoding(RecoveryAlphabet).WithPadding(base32.NoPadding)

// CodeHash is the stored form of a recovery code: SHA-256 over a label,
// the user id and the normalised code. Binding the user id means one user's
// stored hashes say nothing about another's.
type CodeHash [sha256.Size]byte

// NewRecoveryCode returns a fresh recovery code, grouped for reading.
func NewRecoveryCode() (string, error) {
	var b [recoveryBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	raw := recoveryEncoding.EncodeToString(b[:])
	out := make([]byte, 0, recoveryChars+recoveryChars/recoveryGroup-1)
	for i := 0; i < recoveryChars; i += recoveryGroup {
		if i > 0 {
			out = append(out, '-')
		}
		out = append(out, raw[i:i+recoveryGroup]...)
	}
	return string(out), nil
}

// NormalizeRecoveryCode returns code as it is hashed: spaces, tabs and
// dashes removed and ASCII letters upper-cased. Anything else that is not
// 24 characters of RecoveryAlphabet is ErrMalformedCode; an input of more
// than 128 bytes is refused before it is looked at.
func NormalizeRecoveryCode(code string) (string, error) {
	if len(code) > maxRecoveryInput {
		return "", ErrMalformedCode
	}
	var b [recoveryChars]byte
	n := 0
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == ' ' || c == '\t' || c == '-':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if !inRecoveryAlphabet(c) || n == recoveryChars {
			return "", ErrMalformedCode
		}
		b[n] = c
		n++
	}
	if n != recoveryChars {
		return "", ErrMalformedCode
	}
	return string(b[:]), nil
}

func inRecoveryAlphabet(c byte) bool {
	switch {
	case c >= '0' && c <= '9':
		return true
	case c >= 'A' && c <= 'Z':
		return c != 'I' && c != 'L' && c != 'O' && c != 'U'
	}
	return false
}

// hashRecoveryCode returns the stored form of a normalised code.
func hashRecoveryCode(userID, normalized string) CodeHash {
	h := sha256.New()
	h.Write([]byte(recoveryLabel))
	h.Write([]byte{0})
	h.Write([]byte(userID))
	h.Write([]byte{0})
	h.Write([]byte(normalized))
	var out CodeHash
	h.Sum(out[:0])
	return out
}
