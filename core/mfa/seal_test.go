package mfa_test

import (
	"encoding/base32"
	"encoding/hex"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/mfa"
)

// sealedV1 is testdata/sealed-v1.json: a secret the Keyring sealed before
// mfa and oauth shared one sealing package.
type sealedV1 struct {
	KeyID     string `json:"key_id"`
	KeyHex    string `json:"key_hex"`
	User      string
	Secret    string
	SealedHex string `json:"sealed_hex"`
}

// TestOpensSecretsSealedBefore puts a record sealed by the old code into
// each store (Redis and Cluster among them) as an enrolled factor: a code
// of its secret verifies under the key it was sealed with, and a rotation
// to a new key re-seals it, after which the old key is no longer needed.
func TestOpensSecretsSealedBefore(t *testing.T) {
	var v sealedV1
	readJSON(t, "testdata/sealed-v1.json", &v)
	keyBytes, err := hex.DecodeString(v.KeyHex)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := hex.DecodeString(v.SealedHex)
	if err != nil {
		t.Fatal(err)
	}
	oldKey := mfa.Key{ID: v.KeyID, Secret: keyBytes}
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(v.Secret))

	eachStore(t, func(t *testing.T, kind storeKind) {
		store, dump := kind.new(t, nil)
		f := newFixtureOn(t, store, dump, newKeyring(t, oldKey), testclock.New())
		now := f.clock.Now()
		factor := mfa.Record{ID: "sealed-v1", Sealed: sealed, Params: f.m.Params(), Created: now, Expires: now.Add(time.Minute)}
		if err := store.SetPending(ctx, v.User, factor, now); err != nil {
			t.Fatal(err)
		}
		factor.Expires = time.Time{}
		if err := store.Activate(ctx, v.User, factor, nil, now); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(f.m.Params().Period)
		if err := f.m.Verify(ctx, v.User, f.code(t, secret, 0)); err != nil {
			t.Fatalf("verify against the secret sealed by the old code: %v", err)
		}

		rotated := newFixtureOn(t, store, dump, newKeyring(t, testKey, oldKey), testclock.New())
		rotated.clock.Set(f.clock.Now().Add(time.Minute))
		if err := rotated.m.Verify(ctx, v.User, rotated.code(t, secret, 0)); err != nil {
			t.Fatalf("verify with a new key first and the old one after it: %v", err)
		}
		onlyNew := newFixtureOn(t, store, dump, newKeyring(t, testKey), testclock.New())
		onlyNew.clock.Set(rotated.clock.Now().Add(time.Minute))
		if err := onlyNew.m.Verify(ctx, v.User, onlyNew.code(t, secret, 0)); err != nil {
			t.Fatalf("verify after re-sealing, old key gone: %v", err)
		}
	})
}
