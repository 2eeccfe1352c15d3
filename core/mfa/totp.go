package mfa

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// Algorithm is the HMAC hash of a TOTP factor (RFC 6238 section 1.2).
type Algorithm string

// The algorithms authkit accepts. Authenticator apps agree on SHA1; the
// others are for apps and tokens that say they support them.
const (
	SHA1   Algorithm = "SHA1"
	SHA256 Algorithm = "SHA256"
	SHA512 Algorithm = "SHA512"
)

func (a Algorithm) otp() (otp.Algorithm, bool) {
	switch a {
	case SHA1:
		return otp.AlgorithmSHA1, true
	case SHA256:
		return otp.AlgorithmSHA256, true
	case SHA512:
		return otp.AlgorithmSHA512, true
	}
	return 0, false
}

// SecretSize is the size in bytes of the secrets NewSecret makes: 160 bits,
// the size RFC 4226 recommends and SHA1's block-aligned output.
const SecretSize = 20

// Limits on outside input, checked before any other work.
const (
	maxSecretBytes = 1024 // decoded; an HMAC key of any length works, this bounds the work
	maxCodeInput   = 64   // raw bytes of a submitted code, spaces and dashes included
)

// Params are a TOTP factor's parameters: what its otpauth URI says and what
// the user's authenticator app computes with.
type Params struct {
	// Algorithm is the HMAC hash.
	Algorithm Algorithm
	// Digits is the length of a code, 6 to 8 (RFC 4226 section 5.3).
	Digits int
	// Period is the length of a time step, in whole seconds.
	Period time.Duration
}

// DefaultParams are what every authenticator app supports: SHA1, 6 digits,
// 30 seconds.
var DefaultParams = Params{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second}

// Validate reports whether p can compute codes: a known algorithm, 6 to 8
// digits and a period of 1 s to 1 h in whole seconds. The error wraps
// ErrInvalidConfig. (The Manager accepts a narrower set; see WithDigits and
// WithPeriod.)
func (p Params) Validate() error {
	if _, ok := p.Algorithm.otp(); !ok {
		return fmt.Errorf("%w: unknown TOTP algorithm %q (want SHA1, SHA256 or SHA512)", ErrInvalidConfig, p.Algorithm)
	}
	if p.Digits < 6 || p.Digits > 8 {
		return fmt.Errorf("%w: TOTP digits %d (want 6 to 8)", ErrInvalidConfig, p.Digits)
	}
	if p.Period < time.Second || p.Period > time.Hour || p.Period%time.Second != 0 {
		return fmt.Errorf("%w: TOTP period %v (want whole seconds, 1s to 1h)", ErrInvalidConfig, p.Period)
	}
	return nil
}

// Step returns the RFC 6238 time step of t: the Unix time in seconds
// divided by the period, rounded down. It is negative before 1970.
func (p Params) Step(t time.Time) int64 {
	s, per := t.Unix(), int64(p.Period/time.Second)
	q := s / per
	if s%per < 0 {
		q--
	}
	return q
}

// Code returns the code for secret at time t.
func (p Params) Code(secret []byte, t time.Time) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if err := checkSecret(secret); err != nil {
		return "", err
	}
	step := p.Step(t)
	if step < 0 {
		return "", fmt.Errorf("%w: time %v is before 1970", ErrInvalidInput, t)
	}
	return p.codeAt(encodeSecret(secret), step)
}

// codeAt computes the HOTP value of step (RFC 6238: TOTP = HOTP(K, T)) with
// pquerna/otp.
func (p Params) codeAt(secretB32 string, step int64) (string, error) {
	alg, _ := p.Algorithm.otp()
	code, err := hotp.GenerateCodeCustom(secretB32, uint64(step), hotp.ValidateOpts{Digits: otp.Digits(p.Digits), Algorithm: alg})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	return code, nil
}

// Match reports the time step within skew steps of t whose code equals
// code, after normalising code as NormalizeCode does. It returns
// ErrMalformedCode for a code of the wrong shape and ErrInvalidCode when no
// step matches. skew must be 0 or 1.
//
// SECURITY: Match alone has no replay protection and no attempt limit: it
// is for tools and tests. Sign-ins go through Manager.Verify, which adds
// both.
func (p Params) Match(secret []byte, code string, t time.Time, skew int) (int64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if skew < 0 || skew > 1 {
		return 0, fmt.Errorf("%w: skew %d (want 0 or 1)", ErrInvalidConfig, skew)
	}
	if err := checkSecret(secret); err != nil {
		return 0, err
	}
	c, err := NormalizeCode(code, p.Digits)
	if err != nil {
		return 0, err
	}
	step, _, err := p.match(encodeSecret(secret), c, p.Step(t), skew, -1)
	return step, err
}

// match compares code, already normalised, with the codes of the steps
// around now. Every candidate is computed and compared in constant time, so
// the time taken does not depend on which step (if any) matched. It returns
// the smallest matching step after after; replayed is true when code
// matches only steps at or before after.
func (p Params) match(secretB32, code string, now int64, skew int, after int64) (step int64, replayed bool, err error) {
	found, old := int64(-1), false
	for s := now - int64(skew); s <= now+int64(skew); s++ {
		if s < 0 {
			continue
		}
		want, err := p.codeAt(secretB32, s)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			if s > after && found < 0 {
				found = s
			} else if s <= after {
				old = true
			}
		}
	}
	if found >= 0 {
		return found, false, nil
	}
	if old {
		return 0, true, ErrReplayed
	}
	return 0, false, ErrInvalidCode
}

// NormalizeCode returns code without spaces, tabs and dashes, and
// ErrMalformedCode unless what remains is exactly digits ASCII digits. An
// input of more than 64 bytes is refused before it is looked at.
func NormalizeCode(code string, digits int) (string, error) {
	if len(code) > maxCodeInput {
		return "", ErrMalformedCode
	}
	var b [maxCodeInput]byte
	n := 0
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case c == ' ' || c == '\t' || c == '-':
		case c >= '0' && c <= '9':
			b[n] = c
			n++
		default:
			return "", ErrMalformedCode
		}
	}
	if n != digits {
		return "", ErrMalformedCode
	}
	return string(b[:n]), nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns SecretSize bytes from crypto/rand.
func NewSecret() ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}

// EncodeSecret returns secret in base32 (RFC 4648) without padding, the
// form otpauth URIs and authenticator apps use.
func EncodeSecret(secret []byte) string { return encodeSecret(secret) }

func encodeSecret(secret []byte) string { return b32.EncodeToString(secret) }

// ParseSecret decodes a base32 secret as people paste it: upper or lower
// case, with or without '=' padding, spaces ignored. Any length from 1 to
// 1024 bytes is accepted (RFC 4226 asks for at least 16; NewSecret makes
// 20). The error wraps ErrInvalidInput.
func ParseSecret(s string) ([]byte, error) {
	if len(s) > 2*maxSecretBytes {
		return nil, fmt.Errorf("%w: secret too long", ErrInvalidInput)
	}
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	unpadded := strings.TrimRight(s, "=")
	if pad := len(s) - len(unpadded); pad > 0 && len(s)%8 != 0 {
		return nil, fmt.Errorf("%w: secret is not base32 (bad padding)", ErrInvalidInput)
	}
	if strings.ContainsAny(unpadded, "\r\n") {
		// The standard decoder skips line breaks; a secret has none.
		return nil, fmt.Errorf("%w: secret is not base32", ErrInvalidInput)
	}
	b, err := b32.DecodeString(unpadded)
	if err != nil {
		return nil, fmt.Errorf("%w: secret is not base32", ErrInvalidInput)
	}
	if err := checkSecret(b); err != nil {
		return nil, err
	}
	return b, nil
}

func checkSecret(b []byte) error {
	if len(b) == 0 || len(b) > maxSecretBytes {
		return fmt.Errorf("%w: secret of %d bytes (want 1 to %d)", ErrInvalidInput, len(b), maxSecretBytes)
	}
	return nil
}
