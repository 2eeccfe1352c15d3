package mfa

import (
	"context"
	"time"
)

// Store keeps each user's MFA state: the active factor, a pending
// enrolment, the recovery-code hashes and the attempt counter. The Manager
// holds every rule; a Store only makes each method atomic, so that two
// concurrent requests can never both use one time step or one recovery
// code, nor get more attempts than Limits allow.
//
// Secrets reach a Store sealed; a Store never sees a plaintext secret or
// recovery code. Every time is passed in by the Manager (from its clock), so
// stores need no clock of their own and tests can move time freely. A
// store shared by several instances may decide locks on a clock they all
// share instead of the now passed to Begin and UseRecoveryCode (the Redis
// store uses the server's TIME), since the instances' own clocks may
// disagree by more than a lock lasts; its LockedError and LockedUntil are
// then on that clock.
//
// Implementations must be safe for concurrent use. Errors other than the
// sentinels named below must wrap ErrUnavailable. The storetest package
// checks an implementation against this contract.
type Store interface {
	// SetPending stores p as userID's pending enrolment until p.Expires,
	// replacing any earlier one. It returns ErrAlreadyEnrolled when the
	// user has an active factor.
	SetPending(ctx context.Context, userID string, p Record, now time.Time) error

	// Begin charges one attempt to userID and returns the record the
	// attempt is checked against: the active factor for TargetFactor, the
	// pending enrolment for TargetPending. It returns a *LockedError,
	// charging nothing, while a lock lasts; ErrNotEnrolled (TargetFactor)
	// or ErrNothingPending (TargetPending, also for an expired one) when
	// there is nothing to check, and ErrAlreadyEnrolled for TargetPending
	// when a factor is active — charging nothing in either case.
	//
	// An attempt is charged before the code is checked, so any number of
	// concurrent attempts gets no more than lim.MaxFailures checks per
	// lock. The charge that reaches lim.MaxFailures starts the next lock
	// at once (Attempt.Locks); a later success (CommitStep, Activate,
	// UseRecoveryCode) clears it together with the count.
	Begin(ctx context.Context, userID string, target Target, lim Limits, now time.Time) (Attempt, error)

	// CommitStep records a successful code at step for the factor with id
	// factorID: atomically, if step is after the factor's LastStep, it sets
	// LastStep to step, replaces the sealed secret with resealed when that
	// is not nil, and clears the attempt counter and any lock. It returns
	// ErrReplayed when step is not after LastStep and ErrNotEnrolled when
	// the user's factor is gone or has another id.
	CommitStep(ctx context.Context, userID, factorID string, step int64, resealed []byte) error

	// Activate turns the pending enrolment with id f.ID into the active
	// factor f, with the recovery codes codes, and clears the attempt
	// counter, all at once. It returns ErrNothingPending when the pending
	// enrolment is gone, expired at now or has another id, and
	// ErrAlreadyEnrolled when a factor is already active.
	Activate(ctx context.Context, userID string, f Record, codes []CodeHash, now time.Time) error

	// UseRecoveryCode spends code. While a lock lasts it returns a
	// *LockedError and spends nothing. Otherwise, if code is one of the
	// user's unspent codes, it removes it, clears the attempt counter and
	// returns the number left; if not, it charges a failed attempt as
	// Begin does and returns ErrInvalidCode with Locks telling whether
	// that failure started a lock. ErrNotEnrolled when there is no active
	// factor.
	UseRecoveryCode(ctx context.Context, userID string, code CodeHash, lim Limits, now time.Time) (RecoveryUse, error)

	// ReplaceRecoveryCodes makes codes the user's only recovery codes.
	// ErrNotEnrolled when there is no active factor.
	ReplaceRecoveryCodes(ctx context.Context, userID string, codes []CodeHash) error

	// RecoveryCodesLeft returns how many recovery codes are unspent: 0
	// when the user is not enrolled.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)

	// Enabled reports whether the user has an active factor.
	Enabled(ctx context.Context, userID string) (bool, error)

	// Delete removes the user's factor, pending enrolment and recovery
	// codes. The attempt counter and any lock stay, so disabling and
	// enrolling again does not reset them. ErrNotEnrolled when there is no
	// active factor (a pending enrolment is removed all the same).
	Delete(ctx context.Context, userID string) error
}

// Target says which record Begin checks an attempt against.
type Target int

const (
	// TargetFactor is the user's active factor (Verify).
	TargetFactor Target = iota + 1
	// TargetPending is the user's pending enrolment (Confirm).
	TargetPending
)

// Record is one TOTP secret as a Store keeps it: the user's active factor
// or a pending enrolment.
type Record struct {
	// ID is a random, non-secret handle of the enrolment; the factor keeps
	// the id its pending enrolment had.
	ID string
	// Sealed is the secret sealed by the Manager's Keyring.
	Sealed []byte
	// Params are the factor's TOTP parameters.
	Params Params
	// LastStep is the last time step a code was accepted at (active
	// factors; the step of the confirming code at first).
	LastStep int64
	// Created is when the enrolment started (pending) or was confirmed
	// (active).
	Created time.Time
	// Expires is when a pending enrolment lapses; zero for a factor.
	Expires time.Time
}

// Limits is the lock rule a Store applies: after MaxFailures consecutive
// failures the factor locks; the n-th lock since the last success lasts
// Lockouts[min(n, len(Lockouts))-1].
type Limits struct {
	MaxFailures int
	Lockouts    []time.Duration
}

// Lockout returns how long the n-th lock (1-based) since the last success
// lasts.
func (l Limits) Lockout(n int) time.Duration {
	return l.Lockouts[max(min(n, len(l.Lockouts)), 1)-1]
}

// Attempt is what Begin returns.
type Attempt struct {
	// Record is the factor or pending enrolment to check the code against.
	Record Record
	// Locks is true when this attempt was the last one allowed: if it
	// fails, the factor stays locked until LockedUntil.
	Locks bool
	// LockedUntil is when that lock ends (zero unless Locks).
	LockedUntil time.Time
}

// RecoveryUse is what UseRecoveryCode returns.
type RecoveryUse struct {
	// Left is the number of unspent codes after a successful use.
	Left int
	// Locks is true when a wrong code started a lock.
	Locks bool
	// LockedUntil is when that lock ends (zero unless Locks).
	LockedUntil time.Time
}
