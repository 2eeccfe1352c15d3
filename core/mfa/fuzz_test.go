package mfa_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/mfa"
)

// FuzzManagerInput sends arbitrary TOTP and recovery-code input through a
// Manager: nothing panics, every error is one of the documented ones, and
// only a right code (after normalisation) ever passes.
func FuzzManagerInput(f *testing.F) {
	for _, tt := range hostileCodes {
		if len(tt.code) < 1000 {
			f.Add(tt.code)
		}
	}
	for _, tt := range hostileRecoveryCodes {
		if len(tt.code) < 1000 {
			f.Add(tt.code)
		}
	}
	fx, secret, codes := newEnrolled(f, storeKinds[0], mfa.WithLockout(100, time.Second, time.Second))
	for _, c := range []string{fx.code(f, secret, 0), fx.code(f, secret, 1), codes[0], "12 34 56", "aaaa-bbbb"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, in string) {
		fx.clock.Advance(time.Second) // outlast any lock (1 s)
		err := fx.m.Verify(ctx, "alice", in)
		if err == nil {
			n, nerr := mfa.NormalizeCode(in, 6)
			if nerr != nil || !slices.Contains([]string{fx.code(t, secret, -1), fx.code(t, secret, 0), fx.code(t, secret, 1)}, n) {
				t.Fatalf("Verify(%q) passed", in)
			}
		} else if !errors.Is(err, mfa.ErrInvalidCode) && !errors.Is(err, mfa.ErrLocked) {
			t.Fatalf("Verify(%q): unexpected error %v", in, err)
		}
		_, err = fx.m.UseRecoveryCode(ctx, "alice", in)
		if err == nil {
			n, _ := mfa.NormalizeRecoveryCode(in)
			ok := false
			for _, c := range codes {
				cn, _ := mfa.NormalizeRecoveryCode(c)
				ok = ok || cn == n
			}
			if !ok {
				t.Fatalf("UseRecoveryCode(%q) passed", in)
			}
		} else if !errors.Is(err, mfa.ErrInvalidCode) && !errors.Is(err, mfa.ErrLocked) {
			t.Fatalf("UseRecoveryCode(%q): unexpected error %v", in, err)
		}
	})
}
