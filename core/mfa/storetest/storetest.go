// Package storetest is the conformance suite for mfa.Store
// implementations, as testing/slogtest is for slog handlers: the memory
// store and the Redis store both pass it, and so must a third-party store.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) mfa.Store { return newMyStore(t) })
//	}
//
// newStore must return an empty store for each call. Times the suite passes
// are whole milliseconds, the precision a store must keep. The suite checks
// locks at the times it passes to Begin and UseRecoveryCode: a store that
// decides locks on a clock of its own must be given one set to each call's
// time (the Redis store's test wraps it so).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/mfa"
)

// t0 is the suite's "now"; stores take every time from their caller (see
// the package doc for a store with a lock clock of its own).
var t0 = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

var lim = mfa.Limits{MaxFailures: 3, Lockouts: []time.Duration{time.Minute, 2 * time.Minute}}

// Run runs every conformance test against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) mfa.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, mfa.Store)
	}{
		{"PendingRoundTrip", testPendingRoundTrip},
		{"PendingReplaced", testPendingReplaced},
		{"PendingExpires", testPendingExpires},
		{"NothingToCheckChargesNothing", testNothingToCheck},
		{"Activate", testActivate},
		{"CommitStep", testCommitStep},
		{"LockRule", testLockRule},
		{"SuccessClearsCount", testSuccessClears},
		{"RecoveryCodes", testRecoveryCodes},
		{"RecoveryCodeLocked", testRecoveryCodeLocked},
		{"Delete", testDelete},
		{"LockSurvivesDelete", testLockSurvivesDelete},
		{"UsersIsolated", testUsersIsolated},
		{"HostileUserIDs", testHostileUserIDs},
		{"CallerCopies", testCallerCopies},
		{"ConcurrentCommitStep", testConcurrentCommit},
		{"ConcurrentRecoveryCode", testConcurrentRecoveryCode},
		{"ConcurrentBegin", testConcurrentBegin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

func pending(id string, now time.Time) mfa.Record {
	return mfa.Record{
		ID:       id,
		Sealed:   []byte("sealed\x00\xff{}" + id),
		Params:   mfa.Params{Algorithm: mfa.SHA256, Digits: 8, Period: 60 * time.Second},
		LastStep: -1,
		Created:  now,
		Expires:  now.Add(10 * time.Minute),
	}
}

func factor(p mfa.Record, step int64, now time.Time) mfa.Record {
	p.LastStep, p.Created, p.Expires = step, now, time.Time{}
	return p
}

func hash(s string) mfa.CodeHash {
	var h mfa.CodeHash
	copy(h[:], s)
	return h
}

var codeA, codeB, codeC = hash("code A"), hash("code B"), hash("code C")

// enrol gives user an active factor with id "f1", last step 100 and the
// codes A, B and C.
func enrol(t *testing.T, s mfa.Store, user string) mfa.Record {
	t.Helper()
	p := pending("f1", t0)
	must(t, "SetPending", s.SetPending(ctx, user, p, t0))
	f := factor(p, 100, t0)
	must(t, "Activate", s.Activate(ctx, user, f, []mfa.CodeHash{codeA, codeB, codeC}, t0))
	return f
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func sameRecord(t *testing.T, what string, got, want mfa.Record) {
	t.Helper()
	if got.ID != want.ID || !bytes.Equal(got.Sealed, want.Sealed) || got.Params != want.Params ||
		got.LastStep != want.LastStep || !got.Created.Equal(want.Created) || !got.Expires.Equal(want.Expires) {
		t.Fatalf("%s: record = %+v, want %+v", what, got, want)
	}
}

func begin(t *testing.T, s mfa.Store, user string, target mfa.Target, now time.Time) mfa.Attempt {
	t.Helper()
	a, err := s.Begin(ctx, user, target, lim, now)
	must(t, "Begin", err)
	return a
}

// wantLocked checks that an attempt at now is refused until until.
func wantLocked(t *testing.T, s mfa.Store, user string, now, until time.Time) {
	t.Helper()
	_, err := s.Begin(ctx, user, mfa.TargetFactor, lim, now)
	var le *mfa.LockedError
	if !errors.As(err, &le) || !errors.Is(err, mfa.ErrLocked) {
		t.Fatalf("Begin at %v: err = %v, want a *LockedError", now, err)
	}
	retry := until.Sub(now)
	if r := retry % time.Second; r != 0 {
		retry += time.Second - r // Retry-After is whole seconds, rounded up
	}
	if !le.Until.Equal(until) || le.RetryAfter != retry {
		t.Fatalf("locked until %v, retry after %v; want %v, %v", le.Until, le.RetryAfter, until, retry)
	}
}

// wantAllowed checks that exactly lim.MaxFailures attempts from now pass,
// the last one locking.
func wantAllowed(t *testing.T, s mfa.Store, user string, target mfa.Target, now time.Time, lockout time.Duration) {
	t.Helper()
	for i := 1; i <= lim.MaxFailures; i++ {
		a := begin(t, s, user, target, now)
		last := i == lim.MaxFailures
		if a.Locks != last || (last && !a.LockedUntil.Equal(now.Add(lockout))) {
			t.Fatalf("attempt %d: Locks = %v until %v, want %v until %v", i, a.Locks, a.LockedUntil, last, now.Add(lockout))
		}
	}
}

func testPendingRoundTrip(t *testing.T, s mfa.Store) {
	p := pending("p1", t0)
	must(t, "SetPending", s.SetPending(ctx, "alice", p, t0))
	a := begin(t, s, "alice", mfa.TargetPending, t0.Add(time.Minute))
	sameRecord(t, "pending", a.Record, p)
	if on, err := s.Enabled(ctx, "alice"); err != nil || on {
		t.Fatalf("Enabled with only a pending enrolment = %v, %v; want false", on, err)
	}
	_, err := s.Begin(ctx, "alice", mfa.TargetFactor, lim, t0)
	wantErr(t, "Begin(TargetFactor) with only a pending enrolment", err, mfa.ErrNotEnrolled)
}

func testPendingReplaced(t *testing.T, s mfa.Store) {
	p1, p2 := pending("p1", t0), pending("p2", t0.Add(time.Minute))
	must(t, "SetPending 1", s.SetPending(ctx, "alice", p1, t0))
	must(t, "SetPending 2", s.SetPending(ctx, "alice", p2, t0.Add(time.Minute)))
	sameRecord(t, "pending", begin(t, s, "alice", mfa.TargetPending, t0.Add(time.Minute)).Record, p2)
	err := s.Activate(ctx, "alice", factor(p1, 1, t0), nil, t0.Add(time.Minute))
	wantErr(t, "Activate of the replaced enrolment", err, mfa.ErrNothingPending)
	must(t, "Activate", s.Activate(ctx, "alice", factor(p2, 1, t0), nil, t0.Add(time.Minute)))
}

func testPendingExpires(t *testing.T, s mfa.Store) {
	p := pending("p1", t0)
	must(t, "SetPending", s.SetPending(ctx, "alice", p, t0))
	_, err := s.Begin(ctx, "alice", mfa.TargetPending, lim, p.Expires)
	wantErr(t, "Begin at expiry", err, mfa.ErrNothingPending)
	err = s.Activate(ctx, "alice", factor(p, 1, t0), nil, p.Expires)
	wantErr(t, "Activate at expiry", err, mfa.ErrNothingPending)
	sameRecord(t, "just before expiry", begin(t, s, "alice", mfa.TargetPending, p.Expires.Add(-time.Millisecond)).Record, p)
}

func testNothingToCheck(t *testing.T, s mfa.Store) {
	for range 2 * lim.MaxFailures {
		_, err := s.Begin(ctx, "alice", mfa.TargetFactor, lim, t0)
		wantErr(t, "Begin(TargetFactor) unenrolled", err, mfa.ErrNotEnrolled)
		_, err = s.Begin(ctx, "alice", mfa.TargetPending, lim, t0)
		wantErr(t, "Begin(TargetPending) with nothing pending", err, mfa.ErrNothingPending)
		_, err = s.UseRecoveryCode(ctx, "alice", codeA, lim, t0)
		wantErr(t, "UseRecoveryCode unenrolled", err, mfa.ErrNotEnrolled)
	}
	// None of that was charged: the full allowance is left.
	must(t, "SetPending", s.SetPending(ctx, "alice", pending("p1", t0), t0))
	wantAllowed(t, s, "alice", mfa.TargetPending, t0, lim.Lockouts[0])
}

func testActivate(t *testing.T, s mfa.Store) {
	p := pending("f1", t0)
	must(t, "SetPending", s.SetPending(ctx, "alice", p, t0))
	begin(t, s, "alice", mfa.TargetPending, t0) // one failure, cleared by Activate
	f := factor(p, 1234, t0.Add(time.Minute))
	must(t, "Activate", s.Activate(ctx, "alice", f, []mfa.CodeHash{codeA, codeB}, t0.Add(time.Minute)))
	if on, err := s.Enabled(ctx, "alice"); err != nil || !on {
		t.Fatalf("Enabled = %v, %v; want true", on, err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, "alice"); err != nil || n != 2 {
		t.Fatalf("RecoveryCodesLeft = %d, %v; want 2", n, err)
	}
	now := t0.Add(2 * time.Minute)
	sameRecord(t, "factor", begin(t, s, "alice", mfa.TargetFactor, now).Record, f)
	wantErr(t, "SetPending when enrolled", s.SetPending(ctx, "alice", pending("p2", now), now), mfa.ErrAlreadyEnrolled)
	_, err := s.Begin(ctx, "alice", mfa.TargetPending, lim, now)
	wantErr(t, "Begin(TargetPending) when enrolled", err, mfa.ErrAlreadyEnrolled)
	wantErr(t, "Activate twice", s.Activate(ctx, "alice", f, nil, now), mfa.ErrAlreadyEnrolled)
	// The failure before Activate was cleared, the Begin above counted:
	// two attempts are left before the lock.
	begin(t, s, "alice", mfa.TargetFactor, now)
	if a := begin(t, s, "alice", mfa.TargetFactor, now); !a.Locks {
		t.Fatal("third attempt after Activate did not lock")
	}
}

func testCommitStep(t *testing.T, s mfa.Store) {
	f := enrol(t, s, "alice")
	wantErr(t, "CommitStep at the confirming step", s.CommitStep(ctx, "alice", f.ID, 100, nil), mfa.ErrReplayed)
	must(t, "CommitStep 101", s.CommitStep(ctx, "alice", f.ID, 101, nil))
	wantErr(t, "CommitStep 101 again", s.CommitStep(ctx, "alice", f.ID, 101, nil), mfa.ErrReplayed)
	wantErr(t, "CommitStep 99", s.CommitStep(ctx, "alice", f.ID, 99, nil), mfa.ErrReplayed)
	wantErr(t, "CommitStep for another factor id", s.CommitStep(ctx, "alice", "other", 200, nil), mfa.ErrNotEnrolled)
	wantErr(t, "CommitStep unenrolled", s.CommitStep(ctx, "bob", f.ID, 200, nil), mfa.ErrNotEnrolled)
	resealed := []byte("resealed\x00\xfe")
	must(t, "CommitStep with reseal", s.CommitStep(ctx, "alice", f.ID, 105, resealed))
	got := begin(t, s, "alice", mfa.TargetFactor, t0).Record
	if got.LastStep != 105 || !bytes.Equal(got.Sealed, resealed) || got.ID != f.ID {
		t.Fatalf("after CommitStep: %+v, want step 105 and the resealed secret", got)
	}
	must(t, "CommitStep without reseal", s.CommitStep(ctx, "alice", f.ID, 106, nil))
	if got := begin(t, s, "alice", mfa.TargetFactor, t0).Record; !bytes.Equal(got.Sealed, resealed) {
		t.Fatalf("CommitStep(nil) changed the sealed secret to %q", got.Sealed)
	}
}

func testLockRule(t *testing.T, s mfa.Store) {
	enrol(t, s, "alice")
	now := t0
	wantAllowed(t, s, "alice", mfa.TargetFactor, now, time.Minute)
	wantLocked(t, s, "alice", now, now.Add(time.Minute))
	wantLocked(t, s, "alice", now.Add(59*time.Second+500*time.Millisecond), now.Add(time.Minute))
	_, err := s.UseRecoveryCode(ctx, "alice", codeA, lim, now)
	wantErr(t, "UseRecoveryCode while locked", err, mfa.ErrLocked)
	// Refused attempts are not charged: the lock ends on time, and then the
	// second lock is twice as long, the third as long as the last lockout.
	now = now.Add(time.Minute)
	wantAllowed(t, s, "alice", mfa.TargetFactor, now, 2*time.Minute)
	wantLocked(t, s, "alice", now.Add(time.Minute), now.Add(2*time.Minute))
	now = now.Add(2 * time.Minute)
	wantAllowed(t, s, "alice", mfa.TargetFactor, now, 2*time.Minute)
}

func testSuccessClears(t *testing.T, s mfa.Store) {
	f := enrol(t, s, "alice")
	now := t0
	begin(t, s, "alice", mfa.TargetFactor, now)
	begin(t, s, "alice", mfa.TargetFactor, now)
	must(t, "CommitStep", s.CommitStep(ctx, "alice", f.ID, 101, nil))
	wantAllowed(t, s, "alice", mfa.TargetFactor, now, time.Minute)
	// The attempt that locked is itself allowed; its success ends the lock
	// and the growth.
	must(t, "CommitStep after the locking attempt", s.CommitStep(ctx, "alice", f.ID, 102, nil))
	wantAllowed(t, s, "alice", mfa.TargetFactor, now, time.Minute)
	now = now.Add(time.Minute)
	// A recovery code clears the count too.
	begin(t, s, "alice", mfa.TargetFactor, now)
	if _, err := s.UseRecoveryCode(ctx, "alice", codeA, lim, now); err != nil {
		t.Fatal(err)
	}
	wantAllowed(t, s, "alice", mfa.TargetFactor, now, time.Minute)
}

func testRecoveryCodes(t *testing.T, s mfa.Store) {
	enrol(t, s, "alice")
	use, err := s.UseRecoveryCode(ctx, "alice", codeB, lim, t0)
	if err != nil || use.Left != 2 {
		t.Fatalf("UseRecoveryCode = %+v, %v; want 2 left", use, err)
	}
	use, err = s.UseRecoveryCode(ctx, "alice", codeB, lim, t0)
	wantErr(t, "the same code again", err, mfa.ErrInvalidCode)
	if use.Locks {
		t.Fatal("first failure locked")
	}
	if n, err := s.RecoveryCodesLeft(ctx, "alice"); err != nil || n != 2 {
		t.Fatalf("RecoveryCodesLeft = %d, %v; want 2", n, err)
	}
	d, e := hash("code D"), hash("code E")
	must(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, "alice", []mfa.CodeHash{d, e}))
	if n, err := s.RecoveryCodesLeft(ctx, "alice"); err != nil || n != 2 {
		t.Fatalf("RecoveryCodesLeft after replace = %d, %v; want 2", n, err)
	}
	_, err = s.UseRecoveryCode(ctx, "alice", codeA, lim, t0)
	wantErr(t, "an old code after replace", err, mfa.ErrInvalidCode)
	if use, err := s.UseRecoveryCode(ctx, "alice", e, lim, t0); err != nil || use.Left != 1 {
		t.Fatalf("a new code: %+v, %v; want 1 left", use, err)
	}
	wantErr(t, "ReplaceRecoveryCodes unenrolled", s.ReplaceRecoveryCodes(ctx, "bob", []mfa.CodeHash{d}), mfa.ErrNotEnrolled)
	if n, err := s.RecoveryCodesLeft(ctx, "bob"); err != nil || n != 0 {
		t.Fatalf("RecoveryCodesLeft unenrolled = %d, %v; want 0", n, err)
	}
}

func testRecoveryCodeLocked(t *testing.T, s mfa.Store) {
	enrol(t, s, "alice")
	wrong := hash("wrong")
	for i := 1; i <= lim.MaxFailures; i++ {
		use, err := s.UseRecoveryCode(ctx, "alice", wrong, lim, t0)
		wantErr(t, "a wrong code", err, mfa.ErrInvalidCode)
		last := i == lim.MaxFailures
		if use.Locks != last || (last && !use.LockedUntil.Equal(t0.Add(time.Minute))) {
			t.Fatalf("failure %d: %+v, want Locks %v", i, use, last)
		}
	}
	_, err := s.UseRecoveryCode(ctx, "alice", codeA, lim, t0.Add(30*time.Second))
	var le *mfa.LockedError
	if !errors.As(err, &le) || le.RetryAfter != 30*time.Second {
		t.Fatalf("a right code while locked: %v, want locked for 30s more", err)
	}
	if n, _ := s.RecoveryCodesLeft(ctx, "alice"); n != 3 {
		t.Fatalf("a code was spent during the lock: %d left", n)
	}
	if use, err := s.UseRecoveryCode(ctx, "alice", codeA, lim, t0.Add(time.Minute)); err != nil || use.Left != 2 {
		t.Fatalf("after the lock: %+v, %v", use, err)
	}
}

func testDelete(t *testing.T, s mfa.Store) {
	enrol(t, s, "alice")
	must(t, "Delete", s.Delete(ctx, "alice"))
	if on, err := s.Enabled(ctx, "alice"); err != nil || on {
		t.Fatalf("Enabled after Delete = %v, %v", on, err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, "alice"); err != nil || n != 0 {
		t.Fatalf("RecoveryCodesLeft after Delete = %d, %v", n, err)
	}
	_, err := s.Begin(ctx, "alice", mfa.TargetFactor, lim, t0)
	wantErr(t, "Begin after Delete", err, mfa.ErrNotEnrolled)
	wantErr(t, "Delete twice", s.Delete(ctx, "alice"), mfa.ErrNotEnrolled)
	// Enrolling again starts from a clean slate: no old codes come back.
	p := pending("f2", t0)
	must(t, "SetPending", s.SetPending(ctx, "alice", p, t0))
	must(t, "Activate", s.Activate(ctx, "alice", factor(p, 5, t0), []mfa.CodeHash{codeC}, t0))
	_, err = s.UseRecoveryCode(ctx, "alice", codeA, lim, t0)
	wantErr(t, "a code of the deleted factor", err, mfa.ErrInvalidCode)
	// A pending enrolment goes too, though Delete reports ErrNotEnrolled.
	must(t, "SetPending bob", s.SetPending(ctx, "bob", pending("p", t0), t0))
	wantErr(t, "Delete with only a pending enrolment", s.Delete(ctx, "bob"), mfa.ErrNotEnrolled)
	_, err = s.Begin(ctx, "bob", mfa.TargetPending, lim, t0)
	wantErr(t, "Begin pending after Delete", err, mfa.ErrNothingPending)
}

func testLockSurvivesDelete(t *testing.T, s mfa.Store) {
	enrol(t, s, "alice")
	wantAllowed(t, s, "alice", mfa.TargetFactor, t0, time.Minute)
	must(t, "Delete", s.Delete(ctx, "alice"))
	must(t, "SetPending", s.SetPending(ctx, "alice", pending("p2", t0), t0))
	_, err := s.Begin(ctx, "alice", mfa.TargetPending, lim, t0.Add(time.Second))
	wantErr(t, "Begin(TargetPending) after Delete during a lock", err, mfa.ErrLocked)
}

func testUsersIsolated(t *testing.T, s mfa.Store) {
	fa := enrol(t, s, "alice")
	wantAllowed(t, s, "alice", mfa.TargetFactor, t0, time.Minute)
	_, err := s.Begin(ctx, "bob", mfa.TargetFactor, lim, t0)
	wantErr(t, "bob unenrolled", err, mfa.ErrNotEnrolled)
	fb := enrol(t, s, "bob")
	wantAllowed(t, s, "bob", mfa.TargetFactor, t0, time.Minute) // alice's lock is hers
	must(t, "bob's code", s.CommitStep(ctx, "bob", fb.ID, 500, nil))
	if _, err := s.UseRecoveryCode(ctx, "bob", codeA, lim, t0); err != nil {
		t.Fatal(err)
	}
	wantLocked(t, s, "alice", t0, t0.Add(time.Minute))
	must(t, "alice's step 101", s.CommitStep(ctx, "alice", fa.ID, 101, nil))
	if n, _ := s.RecoveryCodesLeft(ctx, "alice"); n != 3 {
		t.Fatalf("bob's code use spent alice's: %d left", n)
	}
}

var hostileIDs = []string{"{", "}", "{}", "a}b{c", "\x00", "a\x00b", "\xff\xfe", "*", "?", "[a-z]", "f:x", strings.Repeat("x{", 1<<15)}

func testHostileUserIDs(t *testing.T, s mfa.Store) {
	for i, id := range hostileIDs {
		f := enrol(t, s, id)
		must(t, fmt.Sprintf("CommitStep for id %d", i), s.CommitStep(ctx, id, f.ID, 101, nil))
	}
	for i, id := range hostileIDs {
		wantErr(t, fmt.Sprintf("id %d's step again", i), s.CommitStep(ctx, id, "f1", 101, nil), mfa.ErrReplayed)
		if n, err := s.RecoveryCodesLeft(ctx, id); err != nil || n != 3 {
			t.Fatalf("id %d: %d codes, %v", i, n, err)
		}
	}
	// "a\x00b" and "a" are different users.
	if on, err := s.Enabled(ctx, "a"); err != nil || on {
		t.Fatalf("Enabled(%q) = %v, %v", "a", on, err)
	}
}

func testCallerCopies(t *testing.T, s mfa.Store) {
	p := pending("p1", t0)
	want := bytes.Clone(p.Sealed)
	must(t, "SetPending", s.SetPending(ctx, "alice", p, t0))
	p.Sealed[0] ^= 0xff
	a := begin(t, s, "alice", mfa.TargetPending, t0)
	if !bytes.Equal(a.Record.Sealed, want) {
		t.Fatal("the store kept the caller's slice")
	}
	a.Record.Sealed[0] ^= 0xff
	if b := begin(t, s, "alice", mfa.TargetPending, t0); !bytes.Equal(b.Record.Sealed, want) {
		t.Fatal("the store handed out its own slice")
	}
}

// Concurrently runs fn n times at once (all goroutines start together) and
// returns the errors in no particular order. The suite's concurrency tests
// use it, and so can tests of what is built on a store.
func Concurrently(n int, fn func() error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn()
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func countNil(t *testing.T, errs []error, others ...error) int {
	t.Helper()
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
			continue
		}
		known := false
		for _, o := range others {
			known = known || errors.Is(err, o)
		}
		if !known {
			t.Fatalf("unexpected error %v", err)
		}
	}
	return n
}

func testConcurrentCommit(t *testing.T, s mfa.Store) {
	f := enrol(t, s, "alice")
	errs := Concurrently(20, func() error { return s.CommitStep(ctx, "alice", f.ID, 101, nil) })
	if n := countNil(t, errs, mfa.ErrReplayed); n != 1 {
		t.Fatalf("%d of 20 concurrent commits of one step succeeded, want 1", n)
	}
}

func testConcurrentRecoveryCode(t *testing.T, s mfa.Store) {
	enrol(t, s, "alice")
	high := mfa.Limits{MaxFailures: 100, Lockouts: lim.Lockouts}
	errs := Concurrently(20, func() error {
		_, err := s.UseRecoveryCode(ctx, "alice", codeA, high, t0)
		return err
	})
	if n := countNil(t, errs, mfa.ErrInvalidCode); n != 1 {
		t.Fatalf("%d of 20 concurrent uses of one recovery code succeeded, want 1", n)
	}
	if n, _ := s.RecoveryCodesLeft(ctx, "alice"); n != 2 {
		t.Fatalf("%d codes left, want 2", n)
	}
}

func testConcurrentBegin(t *testing.T, s mfa.Store) {
	enrol(t, s, "alice")
	var mu sync.Mutex
	locks := 0
	errs := Concurrently(20, func() error {
		a, err := s.Begin(ctx, "alice", mfa.TargetFactor, lim, t0)
		if a.Locks {
			mu.Lock()
			locks++
			mu.Unlock()
		}
		return err
	})
	if n := countNil(t, errs, mfa.ErrLocked); n != lim.MaxFailures || locks != 1 {
		t.Fatalf("%d of 20 concurrent attempts were let through (%d locking), want %d (1)", n, locks, lim.MaxFailures)
	}
}
