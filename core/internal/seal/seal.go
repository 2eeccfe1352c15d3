// Package seal is the one authenticated-encryption routine of authkit: a
// record is sealed under a fresh random nonce and laid out as
//
//	prefix | nonce (aead.NonceSize() bytes) | ciphertext and tag
//
// The caller picks the AEAD, the prefix (a header it reads back to choose
// the key, or nothing) and the additional data, so mfa (AES-256-GCM, a
// key-id header) and oauth (XChaCha20-Poly1305, no header) each keep the
// wire format they had before they shared this code.
package seal

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
)

// ErrOpen reports a box that does not open: too short, tampered with,
// sealed under another key or with other additional data. It does not say
// which, on purpose.
var ErrOpen = errors.New("seal: does not open")

// Seal returns prefix followed by a fresh random nonce and plain sealed by
// aead with the additional data ad, in one allocation. The prefix is not
// authenticated unless the caller puts it into ad.
func Seal(aead cipher.AEAD, prefix, plain, ad []byte) []byte {
	n := aead.NonceSize()
	out := make([]byte, len(prefix)+n, len(prefix)+n+len(plain)+aead.Overhead())
	copy(out, prefix)
	nonce := out[len(prefix):]
	rand.Read(nonce) // never fails (crypto/rand, Go ≥ 1.24)
	return aead.Seal(out, nonce, plain, ad)
}

// Open opens box, what Seal wrote after its prefix (nonce | ciphertext and
// tag), with the additional data ad it was sealed with. Any failure is
// ErrOpen.
func Open(aead cipher.AEAD, box, ad []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(box) < n+aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, box[:n], box[n:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
