package mfa_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/mfa/storetest"
)

// eachStore runs fn as a subtest on every store kind.
func eachStore(t *testing.T, fn func(t *testing.T, kind storeKind)) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) { fn(t, kind) })
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func wantEvents(t *testing.T, f *fixture, want ...string) {
	t.Helper()
	if got := kinds(f.events); !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
	f.events.Reset()
}

var recoveryFormat = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$`)

func TestEnrollment(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		f := newFixture(t, kind)
		e, err := f.m.Enroll(ctx, "alice", "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Secret) != 32 || strings.Contains(e.Secret, "=") {
			t.Fatalf("secret %q: want 32 base32 characters without padding", e.Secret)
		}
		if b, err := mfa.ParseSecret(e.Secret); err != nil || len(b) != 20 {
			t.Fatalf("secret decodes to %d bytes, %v; want 160 bits", len(b), err)
		}
		if !strings.Contains(e.URI, "secret="+e.Secret) || !strings.HasPrefix(e.URI, "otpauth://totp/Example%20Co:alice%40example.com?") {
			t.Fatalf("URI %q", e.URI)
		}
		if got := readPureQR(t, e.QRCode); got != e.URI {
			t.Fatalf("QR code holds %q", got)
		}
		if !e.Expires.Equal(f.clock.Now().Add(10 * time.Minute)) {
			t.Fatalf("expires %v", e.Expires)
		}
		if on, _ := f.m.Enabled(ctx, "alice"); on {
			t.Fatal("MFA is on before Confirm")
		}
		wantErr(t, "Verify before Confirm", f.m.Verify(ctx, "alice", f.code(t, e.Secret, 0)), mfa.ErrNotEnrolled)
		_, err = f.m.Confirm(ctx, "alice", f.code(t, e.Secret, 3))
		wantErr(t, "Confirm with a wrong code", err, mfa.ErrInvalidCode)

		code := f.code(t, e.Secret, 0)
		codes, err := f.m.Confirm(ctx, "alice", code)
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes, want 10", len(codes))
		}
		for _, c := range codes {
			if !recoveryFormat.MatchString(c) {
				t.Fatalf("recovery code %q", c)
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
			t.Fatal("recovery codes repeat")
		}
		if on, _ := f.m.Enabled(ctx, "alice"); !on {
			t.Fatal("MFA is off after Confirm")
		}
		if n, _ := f.m.RemainingRecoveryCodes(ctx, "alice"); n != 10 {
			t.Fatalf("%d recovery codes left", n)
		}
		wantErr(t, "the confirming code at sign-in", f.m.Verify(ctx, "alice", code), mfa.ErrReplayed)
		_, err = f.m.Confirm(ctx, "alice", code)
		wantErr(t, "Confirm twice", err, mfa.ErrAlreadyEnrolled)
		_, err = f.m.Enroll(ctx, "alice", "alice@example.com")
		wantErr(t, "Enroll when enrolled", err, mfa.ErrAlreadyEnrolled)
		wantEvents(t, f, "mfa.enroll_started", "mfa.failed/wrong_code", "mfa.enrolled", "mfa.failed/replayed")
	})
}

func TestPendingEnrollment(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		f := newFixture(t, kind)
		e1, err := f.m.Enroll(ctx, "alice", "alice")
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(10 * time.Minute)
		_, err = f.m.Confirm(ctx, "alice", f.code(t, e1.Secret, 0))
		wantErr(t, "Confirm after 10 minutes", err, mfa.ErrNothingPending)

		e2, _ := f.m.Enroll(ctx, "alice", "alice")
		e3, _ := f.m.Enroll(ctx, "alice", "alice")
		if e2.Secret == e3.Secret {
			t.Fatal("two enrolments share a secret")
		}
		_, err = f.m.Confirm(ctx, "alice", f.code(t, e2.Secret, 0))
		wantErr(t, "Confirm of a replaced enrolment", err, mfa.ErrInvalidCode)
		f.clock.Advance(10*time.Minute - time.Second)
		if _, err := f.m.Confirm(ctx, "alice", f.code(t, e3.Secret, 0)); err != nil {
			t.Fatalf("Confirm of the newest enrolment just before expiry: %v", err)
		}
		_, err = f.m.Confirm(ctx, "bob", "123456")
		wantErr(t, "Confirm without Enroll", err, mfa.ErrNothingPending)
	})
}

func TestVerifyReplay(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		f, secret, _ := newEnrolled(t, kind)
		code := f.code(t, secret, 0)
		if err := f.m.Verify(ctx, "alice", code); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "the same code again", f.m.Verify(ctx, "alice", code), mfa.ErrReplayed)
		wantErr(t, "the previous step's code", f.m.Verify(ctx, "alice", f.code(t, secret, -1)), mfa.ErrReplayed)
		f.clock.Advance(20 * time.Second)
		wantErr(t, "the same code later in its window", f.m.Verify(ctx, "alice", code), mfa.ErrReplayed)
		// A code of the next step is accepted now (skew), and then its own
		// step is used up.
		next := f.code(t, secret, 1)
		if err := f.m.Verify(ctx, "alice", next); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(30 * time.Second)
		wantErr(t, "the next step's code in its own step", f.m.Verify(ctx, "alice", next), mfa.ErrReplayed)
		f.clock.Advance(30 * time.Second)
		if err := f.m.Verify(ctx, "alice", f.code(t, secret, 0)); err != nil {
			t.Fatal(err)
		}
		wantEvents(t, f, "mfa.verified", "mfa.failed/replayed", "mfa.failed/replayed", "mfa.failed/replayed",
			"mfa.verified", "mfa.failed/replayed", "mfa.verified")
		// Another user's replay history is their own.
		bobSecret, _ := f.enrol(t, "bob")
		if err := f.m.Verify(ctx, "bob", f.code(t, bobSecret, 0)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifySkew(t *testing.T) {
	for _, tt := range []struct {
		name   string
		opts   []mfa.Option
		offset int
		ok     bool
	}{
		{"previous step", nil, -1, true},
		{"next step", nil, 1, true},
		{"two steps back", nil, -2, false},
		{"two steps ahead", nil, 2, false},
		{"previous step without skew", []mfa.Option{mfa.WithSkew(0)}, -1, false},
		{"next step without skew", []mfa.Option{mfa.WithSkew(0)}, 1, false},
		{"current step without skew", []mfa.Option{mfa.WithSkew(0)}, 0, true},
		{"60 s period, previous step", []mfa.Option{mfa.WithPeriod(time.Minute)}, -1, true},
		{"8 digits SHA512, next step", []mfa.Option{mfa.WithDigits(8), mfa.WithAlgorithm(mfa.SHA512)}, 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, storeKinds[0], tt.opts...)
			secret, _ := f.enrol(t, "alice")
			f.clock.Advance(5 * f.m.Params().Period) // clear of the confirming step
			err := f.m.Verify(ctx, "alice", f.code(t, secret, tt.offset))
			if tt.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				wantErr(t, "Verify", err, mfa.ErrInvalidCode)
			}
		})
	}
}

func TestLockout(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		f, secret, _ := newEnrolled(t, kind)
		wrong := func() string { return wrongCode(f.code(t, secret, 0)) }
		for round, lockout := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
			for i := range 5 {
				err := f.m.Verify(ctx, "alice", wrong())
				if !errors.Is(err, mfa.ErrInvalidCode) || errors.Is(err, mfa.ErrLocked) {
					t.Fatalf("round %d, wrong code %d: %v, want ErrInvalidCode", round, i+1, err)
				}
			}
			// Locked: even the right code is refused, with Retry-After.
			err := f.m.Verify(ctx, "alice", f.code(t, secret, 0))
			var le *mfa.LockedError
			if !errors.As(err, &le) || le.RetryAfter != lockout || !errors.Is(err, mfa.ErrLocked) {
				t.Fatalf("round %d: right code during the lock: %v, want locked for %v", round, err, lockout)
			}
			f.clock.Advance(lockout - 1500*time.Millisecond)
			if err := f.m.Verify(ctx, "alice", f.code(t, secret, 0)); !errors.As(err, &le) || le.RetryAfter != 2*time.Second {
				t.Fatalf("round %d: 1.5 s before the end: %v, want Retry-After 2s", round, err)
			}
			f.clock.Advance(1500 * time.Millisecond)
		}
		wantEvents(t, f, slices.Concat(
			repeat("mfa.failed/wrong_code", 4), []string{"mfa.failed/wrong_code", "mfa.locked/too_many_failures"}, repeat("mfa.failed/locked", 2),
			repeat("mfa.failed/wrong_code", 4), []string{"mfa.failed/wrong_code", "mfa.locked/too_many_failures"}, repeat("mfa.failed/locked", 2),
			repeat("mfa.failed/wrong_code", 4), []string{"mfa.failed/wrong_code", "mfa.locked/too_many_failures"}, repeat("mfa.failed/locked", 2),
		)...)
		// The lock ended on its own; a success resets the growth.
		if err := f.m.Verify(ctx, "alice", f.code(t, secret, 0)); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			f.m.Verify(ctx, "alice", wrong())
		}
		var le *mfa.LockedError
		if err := f.m.Verify(ctx, "alice", wrong()); !errors.As(err, &le) || le.RetryAfter != time.Minute {
			t.Fatalf("after a success the next lock is %v, want 1m", err)
		}
	})
}

func repeat(s string, n int) []string { return slices.Repeat([]string{s}, n) }

// wrongCode returns a code of the same length that is not code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+5)%10
	return string(b)
}

// TestLockoutCountsConsecutive: failures before a success do not add up
// with those after it; malformed codes cost nothing.
func TestLockoutCountsConsecutive(t *testing.T) {
	f := newFixture(t, storeKinds[0])
	secret, codes := f.enrol(t, "alice")
	for range 4 {
		f.m.Verify(ctx, "alice", wrongCode(f.code(t, secret, 0)))
	}
	for range 50 {
		wantErr(t, "a malformed code", f.m.Verify(ctx, "alice", "12345"), mfa.ErrMalformedCode)
		_, err := f.m.UseRecoveryCode(ctx, "alice", "not a code")
		wantErr(t, "a malformed recovery code", err, mfa.ErrMalformedCode)
	}
	if _, err := f.m.UseRecoveryCode(ctx, "alice", codes[0]); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := f.m.Verify(ctx, "alice", wrongCode(f.code(t, secret, 0))); errors.Is(err, mfa.ErrLocked) {
			t.Fatalf("locked after %d failures since a success", i)
		}
	}
	// Recovery codes and TOTP codes share the count.
	_, err := f.m.UseRecoveryCode(ctx, "alice", "0000-0000-0000-0000-0000-0000")
	wantErr(t, "a wrong recovery code", err, mfa.ErrInvalidCode)
	_, err = f.m.UseRecoveryCode(ctx, "alice", codes[1])
	wantErr(t, "a right recovery code during the lock", err, mfa.ErrLocked)
	wantErr(t, "a right TOTP code during the lock", f.m.Verify(ctx, "alice", f.code(t, secret, 0)), mfa.ErrLocked)
}

func TestRecoveryCodes(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		f, _, codes := newEnrolled(t, kind)
		// Normalisation: lower case, spaces instead of dashes, no separators.
		variants := []string{
			strings.ToLower(codes[0]),
			strings.ReplaceAll(codes[1], "-", " "),
			strings.ReplaceAll(codes[2], "-", ""),
			" " + strings.ReplaceAll(strings.ToLower(codes[3]), "-", " - ") + "\t",
		}
		for i, v := range variants {
			left, err := f.m.UseRecoveryCode(ctx, "alice", v)
			if err != nil || left != 9-i {
				t.Fatalf("variant %q: %d left, %v", v, left, err)
			}
		}
		_, err := f.m.UseRecoveryCode(ctx, "alice", codes[0])
		wantErr(t, "a used code", err, mfa.ErrInvalidCode)
		newCodes, err := f.m.RegenerateRecoveryCodes(ctx, "alice")
		if err != nil || len(newCodes) != 10 {
			t.Fatalf("RegenerateRecoveryCodes: %d, %v", len(newCodes), err)
		}
		_, err = f.m.UseRecoveryCode(ctx, "alice", codes[5])
		wantErr(t, "an unused code of the old set", err, mfa.ErrInvalidCode)
		if left, err := f.m.UseRecoveryCode(ctx, "alice", newCodes[9]); err != nil || left != 9 {
			t.Fatalf("a new code: %d, %v", left, err)
		}
		if n, _ := f.m.RemainingRecoveryCodes(ctx, "alice"); n != 9 {
			t.Fatalf("%d left", n)
		}
		wantEvents(t, f, slices.Concat(repeat("mfa.recovery_code_used", 4), []string{"mfa.failed/wrong_recovery_code",
			"mfa.recovery_codes_regenerated", "mfa.failed/wrong_recovery_code", "mfa.recovery_code_used"})...)
		// Codes are the user's own.
		f.enrol(t, "bob")
		_, err = f.m.UseRecoveryCode(ctx, "bob", newCodes[0])
		wantErr(t, "alice's code for bob", err, mfa.ErrInvalidCode)
		_, err = f.m.UseRecoveryCode(ctx, "carol", newCodes[0])
		wantErr(t, "not enrolled", err, mfa.ErrNotEnrolled)
		_, err = f.m.RegenerateRecoveryCodes(ctx, "carol")
		wantErr(t, "regenerate when not enrolled", err, mfa.ErrNotEnrolled)
	})
}

func TestDisable(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		f, secret, codes := newEnrolled(t, kind)
		if err := f.m.Disable(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "Verify after Disable", f.m.Verify(ctx, "alice", f.code(t, secret, 0)), mfa.ErrNotEnrolled)
		_, err := f.m.UseRecoveryCode(ctx, "alice", codes[0])
		wantErr(t, "a recovery code after Disable", err, mfa.ErrNotEnrolled)
		wantErr(t, "Disable twice", f.m.Disable(ctx, "alice"), mfa.ErrNotEnrolled)
		if on, _ := f.m.Enabled(ctx, "alice"); on {
			t.Fatal("still enabled")
		}
		wantEvents(t, f, "mfa.disabled")
		secret2, _ := f.enrol(t, "alice")
		if secret2 == secret {
			t.Fatal("re-enrolment reused the secret")
		}
		if err := f.m.Verify(ctx, "alice", f.code(t, secret2, 0)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestNoPlaintextAtRest reads everything the store holds and finds neither
// the secret (raw or base32, any case) nor a recovery code.
func TestNoPlaintextAtRest(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		f := newFixture(t, kind)
		e, err := f.m.Enroll(ctx, "alice", "alice")
		if err != nil {
			t.Fatal(err)
		}
		pendingSecret := e.Secret
		check := func(stage string, codes []string) {
			raw := f.dump(t)
			if !bytes.Contains(raw, []byte("alice")) && kind.name == "memory" {
				t.Fatalf("%s: the dump does not even hold the user id: it proves nothing", stage)
			}
			b, _ := mfa.ParseSecret(pendingSecret)
			needles := [][]byte{b, []byte(pendingSecret), []byte(strings.ToLower(pendingSecret)), b[:10]}
			for _, c := range codes {
				n, _ := mfa.NormalizeRecoveryCode(c)
				needles = append(needles, []byte(c), []byte(n), []byte(strings.ToLower(n)))
			}
			for _, n := range needles {
				if bytes.Contains(raw, n) {
					t.Fatalf("%s: the store holds %q in plain text", stage, n)
				}
			}
		}
		check("pending", nil)
		codes, err := f.m.Confirm(ctx, "alice", f.code(t, e.Secret, 0))
		if err != nil {
			t.Fatal(err)
		}
		check("active", codes)
	})
}

// TestConcurrentVerify: 20 concurrent submissions of one valid code give
// exactly one success, with the default limits and with a limit high
// enough that every request reaches the step check.
func TestConcurrentVerify(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		for _, opts := range [][]mfa.Option{nil, {mfa.WithLockout(100, time.Minute, time.Hour)}} {
			f := newFixture(t, kind, opts...)
			secret, _ := f.enrol(t, "alice")
			code := f.code(t, secret, 0)
			errs := storetest.Concurrently(20, func() error { return f.m.Verify(ctx, "alice", code) })
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case errors.Is(err, mfa.ErrReplayed), errors.Is(err, mfa.ErrLocked) && opts == nil:
				default:
					t.Fatalf("unexpected error %v", err)
				}
			}
			if wins != 1 {
				t.Fatalf("%d of 20 concurrent submissions of one code succeeded, want 1", wins)
			}
		}
	})
}

func TestConcurrentRecoveryCode(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		f := newFixture(t, kind, mfa.WithLockout(100, time.Minute, time.Hour))
		_, codes := f.enrol(t, "alice")
		errs := storetest.Concurrently(20, func() error {
			_, err := f.m.UseRecoveryCode(ctx, "alice", codes[3])
			return err
		})
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if !errors.Is(err, mfa.ErrInvalidCode) {
				t.Fatalf("unexpected error %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d of 20 concurrent uses of one recovery code succeeded, want 1", wins)
		}
		if n, _ := f.m.RemainingRecoveryCodes(ctx, "alice"); n != 9 {
			t.Fatalf("%d left, want 9", n)
		}
	})
}

// TestKeyRotation: a secret sealed with an old key opens while that key is
// configured, is re-sealed with the newest key on the next success, and
// then needs the old key no more.
func TestKeyRotation(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		store, dump := kind.new(t, nil)
		old := mfa.Key{ID: "2025", Secret: bytes.Repeat([]byte{1}, 32)}
		cur := mfa.Key{ID: "2026", Secret: bytes.Repeat([]byte{2}, 32)}
		f := newFixtureOn(t, store, dump, newKeyring(t, old), testclock.New())
		secret, _ := f.enrol(t, "alice")

		clock := f.clock
		withBoth := newFixtureOn(t, store, dump, newKeyring(t, cur, old), testclock.New())
		withBoth.clock.Set(clock.Now())
		if err := withBoth.m.Verify(ctx, "alice", withBoth.code(t, secret, 0)); err != nil {
			t.Fatalf("verify with the old key still configured: %v", err)
		}
		onlyNew := newFixtureOn(t, store, dump, newKeyring(t, cur), testclock.New())
		onlyNew.clock.Set(clock.Now().Add(time.Minute))
		if err := onlyNew.m.Verify(ctx, "alice", onlyNew.code(t, secret, 0)); err != nil {
			t.Fatalf("verify after re-sealing, old key gone: %v", err)
		}
		stranger := newFixtureOn(t, store, dump, newKeyring(t, mfa.Key{ID: "2026", Secret: bytes.Repeat([]byte{3}, 32)}), testclock.New())
		stranger.clock.Set(clock.Now().Add(2 * time.Minute))
		err := stranger.m.Verify(ctx, "alice", stranger.code(t, secret, 0))
		wantErr(t, "verify under a different key with the same id", err, mfa.ErrUnsealable)
		wantErr(t, "ErrUnsealable is a 503", err, authkit.ErrUnavailable)
	})
}

// TestSealedSecretBoundToUser copies alice's sealed secret into bob's
// record: it does not open there.
func TestSealedSecretBoundToUser(t *testing.T) {
	eachStore(t, func(t *testing.T, kind storeKind) {
		f := newFixture(t, kind)
		secret, _ := f.enrol(t, "alice")
		att, err := f.store.Begin(ctx, "alice", mfa.TargetFactor, mfa.Limits{MaxFailures: 100, Lockouts: []time.Duration{time.Minute}}, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		stolen := att.Record
		stolen.Expires = f.clock.Now().Add(time.Minute)
		if err := f.store.SetPending(ctx, "bob", stolen, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		_, err = f.m.Confirm(ctx, "bob", f.code(t, secret, 0))
		wantErr(t, "confirming bob with alice's sealed secret", err, mfa.ErrUnsealable)
	})
}

func TestMemoryStoreFull(t *testing.T) {
	f := newFixtureOn(t, mfa.NewMemoryStore(mfa.WithMaxUsers(2)), nil, newKeyring(t), testclock.New())
	f.enrol(t, "alice")
	if _, err := f.m.Enroll(ctx, "bob", "bob"); err != nil {
		t.Fatal(err)
	}
	_, err := f.m.Enroll(ctx, "carol", "carol")
	wantErr(t, "a third user", err, mfa.ErrFull)
	wantErr(t, "ErrFull is a 503", err, authkit.ErrUnavailable)
	// bob's enrolment lapses and makes room; alice's factor never does.
	f.clock.Advance(10 * time.Minute)
	if _, err := f.m.Enroll(ctx, "carol", "carol"); err != nil {
		t.Fatalf("after bob's enrolment lapsed: %v", err)
	}
	if on, _ := f.m.Enabled(ctx, "alice"); !on {
		t.Fatal("an enrolled user was dropped")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	store, keys := mfa.NewMemoryStore(), newKeyring(t)
	tests := []struct {
		name   string
		issuer string
		store  mfa.Store
		keys   *mfa.Keyring
		opt    mfa.Option
	}{
		{"empty issuer", "", store, keys, nil},
		{"control character in the issuer", "Ex\nample", store, keys, nil},
		{"nil store", "Example", nil, keys, nil},
		{"nil keyring", "Example", store, nil, nil},
		{"zero keyring", "Example", store, &mfa.Keyring{}, nil},
		{"skew 2", "Example", store, keys, mfa.WithSkew(2)},
		{"skew -1", "Example", store, keys, mfa.WithSkew(-1)},
		{"7 digits", "Example", store, keys, mfa.WithDigits(7)},
		{"45 s period", "Example", store, keys, mfa.WithPeriod(45 * time.Second)},
		{"MD5", "Example", store, keys, mfa.WithAlgorithm("MD5")},
		{"no failures allowed", "Example", store, keys, mfa.WithLockout(0, time.Minute, time.Hour)},
		{"lockout below a second", "Example", store, keys, mfa.WithLockout(5, time.Millisecond, time.Hour)},
		{"max below first", "Example", store, keys, mfa.WithLockout(5, time.Hour, time.Minute)},
		{"pending for a day", "Example", store, keys, mfa.WithPendingTTL(24 * time.Hour)},
		{"no recovery codes", "Example", store, keys, mfa.WithRecoveryCodes(0)},
		{"QR code of 64 px", "Example", store, keys, mfa.WithQRSize(64)},
		{"nil audit sink", "Example", store, keys, mfa.WithAudit(nil)},
		{"nil clock", "Example", store, keys, mfa.WithClock(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mfa.New(tt.issuer, tt.store, tt.keys, tt.opt)
			wantErr(t, "New", err, authkit.ErrInvalidConfig)
			wantErr(t, "New", err, mfa.ErrInvalidConfig)
		})
	}
}

func TestNewKeyringRefusesBadKeys(t *testing.T) {
	good := bytes.Repeat([]byte{7}, 32)
	for _, tt := range []struct {
		name  string
		keys  []mfa.Key
		valid bool
	}{
		{"one key", []mfa.Key{{ID: "a", Secret: good}}, true},
		{"two keys", []mfa.Key{{ID: "a", Secret: good}, {ID: "b.2_x-y", Secret: good}}, true},
		{"16-byte key", []mfa.Key{{ID: "a", Secret: good[:16]}}, false},
		{"33-byte key", []mfa.Key{{ID: "a", Secret: append(good, 0)}}, false},
		{"empty id", []mfa.Key{{ID: "", Secret: good}}, false},
		{"id with a space", []mfa.Key{{ID: "a b", Secret: good}}, false},
		{"id with a brace", []mfa.Key{{ID: "{a}", Secret: good}}, false},
		{"65-byte id", []mfa.Key{{ID: strings.Repeat("a", 65), Secret: good}}, false},
		{"duplicate id", []mfa.Key{{ID: "a", Secret: good}, {ID: "a", Secret: good}}, false},
	} {
		_, err := mfa.NewKeyring(tt.keys[0], tt.keys[1:]...)
		if (err == nil) != tt.valid || (err != nil && !errors.Is(err, authkit.ErrInvalidConfig)) {
			t.Errorf("%s: %v, want valid %v", tt.name, err, tt.valid)
		}
	}
}

func TestInvalidInput(t *testing.T) {
	f := newFixture(t, storeKinds[0])
	for _, user := range []string{"", "a\xff", strings.Repeat("u", 1025)} {
		_, err := f.m.Enroll(ctx, user, "acct")
		wantErr(t, "Enroll", err, mfa.ErrInvalidInput)
		wantErr(t, "Verify", f.m.Verify(ctx, user, "123456"), mfa.ErrInvalidInput)
		_, err = f.m.UseRecoveryCode(ctx, user, "0000-0000-0000-0000-0000-0000")
		wantErr(t, "UseRecoveryCode", err, mfa.ErrInvalidInput)
		wantErr(t, "Disable", f.m.Disable(ctx, user), mfa.ErrInvalidInput)
		_, err = f.m.Enabled(ctx, user)
		wantErr(t, "Enabled", err, mfa.ErrInvalidInput)
	}
	_, err := f.m.Enroll(ctx, "alice", "bad\naccount")
	wantErr(t, "account name with a newline", err, mfa.ErrInvalidInput)
}

// TestHostileCodesCostNothing: malformed codes are refused before the store
// is asked, so no number of them locks the factor.
func TestHostileCodesCostNothing(t *testing.T) {
	f := newFixture(t, storeKinds[0])
	secret, codes := f.enrol(t, "alice")
	for _, tt := range hostileCodes {
		wantErr(t, tt.name, f.m.Verify(ctx, "alice", tt.code), mfa.ErrMalformedCode)
	}
	for _, tt := range hostileRecoveryCodes {
		_, err := f.m.UseRecoveryCode(ctx, "alice", tt.code)
		wantErr(t, tt.name, err, mfa.ErrMalformedCode)
	}
	if err := f.m.Verify(ctx, "alice", f.code(t, secret, 0)); err != nil {
		t.Fatalf("after the hostile inputs: %v", err)
	}
	if _, err := f.m.UseRecoveryCode(ctx, "alice", codes[0]); err != nil {
		t.Fatal(err)
	}
}

// TestAuditCarriesNoSecrets: no event field holds a code, a secret or a
// recovery code.
func TestAuditCarriesNoSecrets(t *testing.T) {
	f := newFixture(t, storeKinds[0])
	e, _ := f.m.Enroll(ctx, "alice", "alice")
	code := f.code(t, e.Secret, 0)
	codes, _ := f.m.Confirm(ctx, "alice", code)
	f.m.Verify(ctx, "alice", code)
	f.m.UseRecoveryCode(ctx, "alice", codes[0])
	f.m.UseRecoveryCode(ctx, "alice", codes[0])
	f.m.RegenerateRecoveryCodes(ctx, "alice")
	f.m.Disable(ctx, "alice")
	for _, ev := range f.events.Events() {
		for _, field := range []string{ev.Subject, ev.Reason, ev.Family, ev.IP, ev.UserAgent} {
			for _, secret := range append([]string{e.Secret, code}, codes...) {
				if field != "" && strings.Contains(field, secret) {
					t.Fatalf("event %+v carries a secret", ev)
				}
			}
		}
		if ev.Subject != "alice" || !ev.Time.Equal(f.clock.Now()) {
			t.Fatalf("event %+v: want subject alice at the Manager's clock", ev)
		}
	}
}

// TestCorruptRecordFailsClosed: a stored factor whose parameters make no
// sense is a store failure (503), never a pass or a silent "wrong code".
func TestCorruptRecordFailsClosed(t *testing.T) {
	f := newFixture(t, storeKinds[0])
	e, err := f.m.Enroll(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	att, err := f.store.Begin(ctx, "alice", mfa.TargetPending, mfa.Limits{MaxFailures: 100, Lockouts: []time.Duration{time.Minute}}, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	bad := att.Record
	bad.Params.Digits = 0
	if err := f.store.SetPending(ctx, "alice", bad, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = f.m.Confirm(ctx, "alice", f.code(t, e.Secret, 0))
	wantErr(t, "Confirm against a corrupt record", err, authkit.ErrUnavailable)
}

// A locked factor is an authkit.ErrRateLimited whose RetryDelay (sent as
// Retry-After by guard.ProblemFor) is its rounded RetryAfter; the store
// errors are authkit.ErrUnavailable.
func TestLockedErrorSpeaksAuthkit(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	err := fmt.Errorf("verify: %w", mfa.NewLockedError(now.Add(90*time.Second+time.Millisecond), now))
	if !errors.Is(err, mfa.ErrLocked) || !errors.Is(err, authkit.ErrRateLimited) {
		t.Fatalf("%v: want ErrLocked and authkit.ErrRateLimited", err)
	}
	var re authkit.RetryError
	if !errors.As(err, &re) || re.RetryDelay() != 91*time.Second {
		t.Errorf("RetryError = %v, want a delay of 91s", re)
	}
	for _, e := range []error{mfa.ErrUnavailable, mfa.ErrFull, mfa.ErrUnsealable} {
		if !errors.Is(e, authkit.ErrUnavailable) {
			t.Errorf("%v is no authkit.ErrUnavailable", e)
		}
	}
}

// Every refusal of the Manager wraps the authkit root that gives its
// answer, so guard.ProblemFor maps it and flows build no MFA problems of
// their own.
func TestErrorsMapThroughProblemFor(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		err        error
		wantStatus int
		wantType   string
	}{
		{mfa.ErrInvalidCode, 401, guard.TypeInvalidCredentials},
		{mfa.ErrMalformedCode, 401, guard.TypeInvalidCredentials},
		{mfa.ErrReplayed, 401, guard.TypeInvalidCredentials},
		{fmt.Errorf("verify: %w", mfa.NewLockedError(now.Add(61*time.Second), now)), 429, guard.TypeTooManyRequests},
		{mfa.ErrNotEnrolled, 400, guard.TypeInvalidRequest},
		{mfa.ErrNothingPending, 400, guard.TypeInvalidRequest},
		{mfa.ErrInvalidInput, 400, guard.TypeInvalidRequest},
		{mfa.ErrAlreadyEnrolled, 409, guard.TypeConflict},
		{mfa.ErrUnavailable, 503, guard.TypeUnavailable},
		{mfa.ErrUnsealable, 503, guard.TypeUnavailable},
	} {
		p := guard.ProblemFor(tc.err)
		if p.Status != tc.wantStatus || p.Type != tc.wantType {
			t.Errorf("ProblemFor(%v) = %d %s, want %d %s", tc.err, p.Status, p.Type, tc.wantStatus, tc.wantType)
		}
		if tc.wantStatus == 429 && p.Header.Get("Retry-After") != "61" {
			t.Errorf("ProblemFor(%v): Retry-After %q, want 61", tc.err, p.Header.Get("Retry-After"))
		}
	}
	if got := mfa.ErrInvalidCode.Error(); got != "mfa: invalid code" {
		t.Errorf("ErrInvalidCode reads %q: the root's text must not leak into it", got)
	}
}
