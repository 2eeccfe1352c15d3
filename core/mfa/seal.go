package mfa

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	"github.com/authkit-go/authkit/core/internal/seal"
)

// KeySize is the size of an application key: AES-256.
const KeySize = 32

// Key is one application key for sealing TOTP secrets.
type Key struct {
	// ID names the key inside every record sealed with it, so that a
	// Keyring with several keys knows which one opens a record. 1 to 64
	// bytes of ASCII letters, digits, '.', '_' and '-'. It is not secret.
	ID string
	// Secret is the key material: KeySize random bytes. Derive it from an
	// application secret with HKDF and a label of its own (never reuse a
	// key that protects anything else).
	Secret []byte
}

// Keyring seals TOTP secrets at rest with AES-256-GCM: with its newest key,
// and it opens records sealed with any of its keys, so keys rotate without
// re-enrolling anyone. A record opened with an older key is re-sealed with
// the newest on the user's next successful verification.
//
// The user id is authenticated with every record (GCM's associated data),
// so a sealed secret copied to another user's record does not open.
type Keyring struct {
	current *sealKey
	byID    map[string]*sealKey
}

type sealKey struct {
	id   string
	aead cipher.AEAD
}

// The sealed format, version 1 (the header, then what package seal writes):
//
//	0x01 | len(id) (1 byte) | id | nonce (12 bytes) | AES-256-GCM ciphertext and tag
//
// Associated data: sealLabel | 0x00 | header (the bytes before the nonce) | user id.
const (
	sealVersion = 1
	sealLabel   = "authkit/mfa/totp-secret"
	maxKeyID    = 64
)

// NewKeyring returns a Keyring that seals with newest and opens with newest
// and every key in older. Key ids must be distinct. The error wraps
// ErrInvalidConfig.
func NewKeyring(newest Key, older ...Key) (*Keyring, error) {
	k := &Keyring{byID: make(map[string]*sealKey, 1+len(older))}
	for i, key := range append([]Key{newest}, older...) {
		if err := checkKeyID(key.ID); err != nil {
			return nil, err
		}
		if len(key.Secret) != KeySize {
			return nil, fmt.Errorf("%w: key %q has %d bytes (want %d)", ErrInvalidConfig, key.ID, len(key.Secret), KeySize)
		}
		if _, dup := k.byID[key.ID]; dup {
			return nil, fmt.Errorf("%w: key id %q given twice", ErrInvalidConfig, key.ID)
		}
		block, err := aes.NewCipher(key.Secret) // copies the key schedule; the caller may wipe Secret
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
		sk := &sealKey{id: key.ID, aead: aead}
		k.byID[key.ID] = sk
		if i == 0 {
			k.current = sk
		}
	}
	return k, nil
}

func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyID {
		return fmt.Errorf("%w: key id must be 1 to %d bytes", ErrInvalidConfig, maxKeyID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: key id %q: only letters, digits, '.', '_' and '-'", ErrInvalidConfig, id)
		}
	}
	return nil
}

func sealHeader(id string) []byte {
	h := make([]byte, 0, 2+len(id))
	return append(append(h, sealVersion, byte(len(id))), id...)
}

func associatedData(header []byte, userID string) []byte {
	ad := make([]byte, 0, len(sealLabel)+1+len(header)+len(userID))
	ad = append(append(ad, sealLabel...), 0)
	return append(append(ad, header...), userID...)
}

// seal encrypts secret for userID with the newest key.
func (k *Keyring) seal(userID string, secret []byte) []byte {
	header := sealHeader(k.current.id)
	return seal.Seal(k.current.aead, header, secret, associatedData(header, userID))
}

// open decrypts a record sealed for userID. stale is true when a key other
// than the newest sealed it. Any failure is ErrUnsealable, without saying
// which check failed.
func (k *Keyring) open(userID string, sealed []byte) (secret []byte, stale bool, err error) {
	if len(sealed) < 2 || sealed[0] != sealVersion {
		return nil, false, ErrUnsealable
	}
	n := int(sealed[1])
	if len(sealed) < 2+n {
		return nil, false, ErrUnsealable
	}
	key, ok := k.byID[string(sealed[2:2+n])]
	if !ok {
		return nil, false, ErrUnsealable
	}
	header, box := sealed[:2+n], sealed[2+n:]
	secret, err = seal.Open(key.aead, box, associatedData(header, userID))
	if err != nil {
		return nil, false, ErrUnsealable
	}
	return secret, key != k.current, nil
}
