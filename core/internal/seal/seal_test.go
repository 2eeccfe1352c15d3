package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// aeads are the two AEADs authkit seals with: mfa's and oauth's.
func aeads(t *testing.T) map[string]cipher.AEAD {
	t.Helper()
	key := bytes.Repeat([]byte{7}, 32)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	x, err := chacha20poly1305.NewX(key)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]cipher.AEAD{"AES-256-GCM": gcm, "XChaCha20-Poly1305": x}
}

func TestSealOpen(t *testing.T) {
	prefix, plain, ad := []byte{1, 2, 'k', 'i'}, []byte("a secret"), []byte("bound to alice")
	for name, aead := range aeads(t) {
		t.Run(name, func(t *testing.T) {
			sealed := Seal(aead, prefix, plain, ad)
			if want := len(prefix) + aead.NonceSize() + len(plain) + aead.Overhead(); len(sealed) != want || cap(sealed) != want {
				t.Fatalf("len %d, cap %d, want %d", len(sealed), cap(sealed), want)
			}
			if !bytes.HasPrefix(sealed, prefix) {
				t.Fatalf("sealed %x does not start with the prefix %x", sealed, prefix)
			}
			if bytes.Contains(sealed, plain) {
				t.Fatal("the plaintext shows in the sealed record")
			}
			got, err := Open(aead, sealed[len(prefix):], ad)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("Open = %q, %v; want %q", got, err, plain)
			}
			again := Seal(aead, prefix, plain, ad)
			n := len(prefix) + aead.NonceSize()
			if bytes.Equal(again[len(prefix):n], sealed[len(prefix):n]) {
				t.Fatal("two seals share a nonce")
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	plain, ad := []byte("a secret"), []byte("bound to alice")
	for name, aead := range aeads(t) {
		box := Seal(aead, nil, plain, ad)
		flipped := func(i int) []byte {
			b := bytes.Clone(box)
			b[i] ^= 1
			return b
		}
		for _, tc := range []struct {
			name string
			box  []byte
			ad   []byte
		}{
			{"empty", nil, ad},
			{"shorter than nonce and tag", box[:aead.NonceSize()+aead.Overhead()-1], ad},
			{"truncated", box[:len(box)-1], ad},
			{"nonce flipped", flipped(0), ad},
			{"ciphertext flipped", flipped(aead.NonceSize()), ad},
			{"tag flipped", flipped(len(box) - 1), ad},
			{"other additional data", box, []byte("bound to bob")},
			{"no additional data", box, nil},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				if got, err := Open(aead, tc.box, tc.ad); !errors.Is(err, ErrOpen) || got != nil {
					t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
				}
			})
		}
	}
}

func TestSealAllocatesOnce(t *testing.T) {
	aead := aeads(t)["AES-256-GCM"]
	prefix, plain, ad := []byte{1, 2, 'k', 'i'}, make([]byte, 20), []byte("ad")
	if n := testing.AllocsPerRun(100, func() { Seal(aead, prefix, plain, ad) }); n != 1 {
		t.Fatalf("Seal allocates %v times, want 1", n)
	}
}
