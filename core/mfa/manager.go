package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/internal/random"
)

// Manager enrols, verifies and disables TOTP factors and recovery codes
// for users identified by an id of the application's choosing. It is safe
// for concurrent use; every rule (replay, attempt limits, expiry) holds
// across processes that share its Store.
//
// The Manager checks factors only. Asking for the password first — before
// any code is checked, and again before Enroll, Disable and
// RegenerateRecoveryCodes — is the caller's job, so that a stranger can
// neither probe codes nor burn a user's attempts.
type Manager struct {
	issuer string
	store  Store
	keys   *Keyring
	cfg    config
}

// Enrollment is a pending enrolment as the user sees it. Show Secret, URI
// or QRCode once, over TLS, to the signed-in user only; never log them.
type Enrollment struct {
	// Secret is the TOTP secret in base32 without padding, for typing into
	// an app.
	Secret string
	// URI is the otpauth:// key URI.
	URI string
	// QRCode is a PNG of URI's QR code.
	QRCode []byte
	// Expires is when the enrolment lapses unless confirmed.
	Expires time.Time
}

// Audit reasons the Manager writes into mfa.failed and mfa.locked events.
const (
	ReasonMalformed         = "malformed"
	ReasonWrongCode         = "wrong_code"
	ReasonReplayed          = "replayed"
	ReasonLocked            = "locked"
	ReasonWrongRecoveryCode = "wrong_recovery_code"
	ReasonTooManyFailures   = "too_many_failures"
)

const maxUserID = 1024

// New returns a Manager that names issuer in its otpauth URIs (the name
// authenticator apps show above the code), keeps state in store and seals
// secrets with keys.
func New(issuer string, store Store, keys *Keyring, opts ...Option) (*Manager, error) {
	if err := checkLabel("issuer", issuer); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if store == nil {
		return nil, invalid("nil store")
	}
	if keys == nil || keys.current == nil {
		return nil, invalid("nil keyring")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Manager{issuer: issuer, store: store, keys: keys, cfg: cfg}, nil
}

func checkUser(userID string) error {
	if userID == "" || len(userID) > maxUserID || !utf8.ValidString(userID) {
		return fmt.Errorf("%w: user id must be 1 to %d bytes of UTF-8", ErrInvalidInput, maxUserID)
	}
	return nil
}

func (m *Manager) emit(ctx context.Context, kind audit.Kind, userID, reason string, now time.Time) {
	m.cfg.audit.Emit(ctx, audit.Event{Kind: kind, Time: now, Subject: userID, Reason: reason})
}

// Enroll starts an enrolment for userID: a fresh secret, its otpauth URI
// naming accountName (what the app shows under the issuer, such as the
// user's email address) and its QR code. It replaces any pending
// enrolment, and it stays pending — MFA is not on — until Confirm receives
// a code for it, for WithPendingTTL. ErrAlreadyEnrolled when a factor is
// active.
func (m *Manager) Enroll(ctx context.Context, userID, accountName string) (*Enrollment, error) {
	if err := checkUser(userID); err != nil {
		return nil, err
	}
	secret, err := NewSecret()
	if err != nil {
		return nil, err
	}
	uri, err := m.cfg.params.URI(m.issuer, accountName, secret)
	if err != nil {
		return nil, err
	}
	qr, err := QRCode(uri, m.cfg.qrSize)
	if err != nil {
		return nil, err
	}
	sealed := m.keys.seal(userID, secret)
	now := m.cfg.now()
	rec := Record{ID: random.Base64URL(16), Sealed: sealed, Params: m.cfg.params, LastStep: -1, Created: now, Expires: now.Add(m.cfg.pendingTTL)}
	if err := m.store.SetPending(ctx, userID, rec, now); err != nil {
		return nil, err
	}
	m.emit(ctx, audit.MFAEnrollStarted, userID, "", now)
	return &Enrollment{Secret: encodeSecret(secret), URI: uri, QRCode: qr, Expires: rec.Expires}, nil
}

// Confirm activates userID's pending enrolment if code is valid for it,
// and returns the recovery codes — shown to the user once, stored only
// hashed. The confirming code's time step counts as used. Errors:
// ErrInvalidCode (and ErrMalformedCode), *LockedError, ErrNothingPending,
// ErrAlreadyEnrolled. Failed codes count against the same limit as Verify.
func (m *Manager) Confirm(ctx context.Context, userID, code string) ([]string, error) {
	now, c, err := m.precheck(ctx, userID, code)
	if err != nil {
		return nil, err
	}
	att, err := m.begin(ctx, userID, TargetPending, now)
	if err != nil {
		return nil, err
	}
	step, secret, stale, err := m.checkTOTP(ctx, userID, att, c, now)
	if err != nil {
		return nil, err
	}
	f := att.Record
	f.LastStep, f.Created, f.Expires = step, now, time.Time{}
	if stale {
		f.Sealed = m.keys.seal(userID, secret)
	}
	codes, hashes, err := m.newRecoveryCodes(userID)
	if err != nil {
		return nil, err
	}
	if err := m.store.Activate(ctx, userID, f, hashes, now); err != nil {
		return nil, err
	}
	m.emit(ctx, audit.MFAEnrolled, userID, "", now)
	return codes, nil
}

// Verify checks a TOTP code for userID's active factor. nil means the code
// is valid and its time step is now used: no code of that step or an
// earlier one is accepted again for this user. Errors: ErrInvalidCode
// (wrong, ErrMalformedCode, ErrReplayed), *LockedError (answer 429 with
// its RetryAfter), ErrNotEnrolled, ErrUnavailable.
//
// The code is normalised (spaces and dashes removed) and must then be the
// factor's number of digits; a malformed code is refused before the store
// is asked and costs no attempt. Every other attempt is counted before the
// code is checked (see WithLockout).
func (m *Manager) Verify(ctx context.Context, userID, code string) error {
	now, c, err := m.precheck(ctx, userID, code)
	if err != nil {
		return err
	}
	att, err := m.begin(ctx, userID, TargetFactor, now)
	if err != nil {
		return err
	}
	step, secret, stale, err := m.checkTOTP(ctx, userID, att, c, now)
	if err != nil {
		return err
	}
	var resealed []byte
	if stale {
		resealed = m.keys.seal(userID, secret)
	}
	switch err := m.store.CommitStep(ctx, userID, att.Record.ID, step, resealed); {
	case errors.Is(err, ErrReplayed):
		// A concurrent request with the same code won.
		m.failed(ctx, userID, ReasonReplayed, att.Locks, now)
		return ErrReplayed
	case err != nil:
		return err
	}
	m.emit(ctx, audit.MFAVerified, userID, "", now)
	return nil
}

// precheck validates the user id and the shape of a TOTP code before any
// store work. 6 or 8 digits pass here (the lengths a Manager enrols); the
// factor's own length is checked once it is loaded.
func (m *Manager) precheck(ctx context.Context, userID, code string) (time.Time, string, error) {
	if err := checkUser(userID); err != nil {
		return time.Time{}, "", err
	}
	now := m.cfg.now()
	for _, digits := range [...]int{6, 8} {
		if c, err := NormalizeCode(code, digits); err == nil {
			return now, c, nil
		}
	}
	m.emit(ctx, audit.MFAFailed, userID, ReasonMalformed, now)
	return time.Time{}, "", ErrMalformedCode
}

// begin charges an attempt, reporting a refusal during a lock.
func (m *Manager) begin(ctx context.Context, userID string, target Target, now time.Time) (Attempt, error) {
	att, err := m.store.Begin(ctx, userID, target, m.cfg.limits, now)
	if errors.Is(err, ErrLocked) {
		m.emit(ctx, audit.MFAFailed, userID, ReasonLocked, now)
	}
	return att, err
}

// checkTOTP opens the record's secret and finds the step code belongs to,
// reporting a failure. stale says the secret should be sealed again with
// the newest key.
func (m *Manager) checkTOTP(ctx context.Context, userID string, att Attempt, code string, now time.Time) (step int64, secret []byte, stale bool, err error) {
	secret, stale, err = m.keys.open(userID, att.Record.Sealed)
	if err != nil {
		return 0, nil, false, err
	}
	p := att.Record.Params
	if p.Validate() != nil {
		return 0, nil, false, fmt.Errorf("%w: stored factor has invalid parameters %+v", ErrUnavailable, p)
	}
	if len(code) != p.Digits {
		err = ErrInvalidCode
	} else {
		step, _, err = p.match(encodeSecret(secret), code, p.Step(now), m.cfg.skew, att.Record.LastStep)
	}
	if err != nil {
		reason := ReasonWrongCode
		if errors.Is(err, ErrReplayed) {
			reason = ReasonReplayed
		}
		m.failed(ctx, userID, reason, att.Locks, now)
		return 0, nil, false, err
	}
	return step, secret, stale, nil
}

// failed reports a failed attempt, and the lock it started if it did.
func (m *Manager) failed(ctx context.Context, userID, reason string, locks bool, now time.Time) {
	m.emit(ctx, audit.MFAFailed, userID, reason, now)
	if locks {
		m.emit(ctx, audit.MFALocked, userID, ReasonTooManyFailures, now)
	}
}

// UseRecoveryCode spends one of userID's recovery codes in place of a TOTP
// code and returns how many are left. The code is normalised first (spaces
// and dashes removed, letters upper-cased). Each code works once, also
// under concurrent use. Errors: ErrInvalidCode (and ErrMalformedCode),
// *LockedError, ErrNotEnrolled. Wrong codes count against the same limit
// as TOTP codes.
func (m *Manager) UseRecoveryCode(ctx context.Context, userID, code string) (int, error) {
	if err := checkUser(userID); err != nil {
		return 0, err
	}
	now := m.cfg.now()
	c, err := NormalizeRecoveryCode(code)
	if err != nil {
		m.emit(ctx, audit.MFAFailed, userID, ReasonMalformed, now)
		return 0, err
	}
	use, err := m.store.UseRecoveryCode(ctx, userID, hashRecoveryCode(userID, c), m.cfg.limits, now)
	switch {
	case errors.Is(err, ErrLocked):
		m.emit(ctx, audit.MFAFailed, userID, ReasonLocked, now)
		return 0, err
	case errors.Is(err, ErrInvalidCode):
		m.failed(ctx, userID, ReasonWrongRecoveryCode, use.Locks, now)
		return 0, ErrInvalidCode
	case err != nil:
		return 0, err
	}
	m.emit(ctx, audit.RecoveryCodeUsed, userID, "", now)
	return use.Left, nil
}

// RegenerateRecoveryCodes replaces userID's recovery codes with new ones
// and returns them; the old ones stop working at once. ErrNotEnrolled when
// no factor is active.
func (m *Manager) RegenerateRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	if err := checkUser(userID); err != nil {
		return nil, err
	}
	codes, hashes, err := m.newRecoveryCodes(userID)
	if err != nil {
		return nil, err
	}
	if err := m.store.ReplaceRecoveryCodes(ctx, userID, hashes); err != nil {
		return nil, err
	}
	m.emit(ctx, audit.RecoveryCodesRegenerated, userID, "", m.cfg.now())
	return codes, nil
}

func (m *Manager) newRecoveryCodes(userID string) ([]string, []CodeHash, error) {
	codes := make([]string, m.cfg.recoveryCodes)
	hashes := make([]CodeHash, len(codes))
	for i := range codes {
		c, err := NewRecoveryCode()
		if err != nil {
			return nil, nil, err
		}
		n, _ := NormalizeRecoveryCode(c)
		codes[i], hashes[i] = c, hashRecoveryCode(userID, n)
	}
	return codes, hashes, nil
}

// Disable removes userID's factor, recovery codes and any pending
// enrolment. A lock in force stays until it ends. ErrNotEnrolled when no
// factor was active.
func (m *Manager) Disable(ctx context.Context, userID string) error {
	if err := checkUser(userID); err != nil {
		return err
	}
	if err := m.store.Delete(ctx, userID); err != nil {
		return err
	}
	m.emit(ctx, audit.MFADisabled, userID, "", m.cfg.now())
	return nil
}

// Enabled reports whether userID has an active factor.
func (m *Manager) Enabled(ctx context.Context, userID string) (bool, error) {
	if err := checkUser(userID); err != nil {
		return false, err
	}
	return m.store.Enabled(ctx, userID)
}

// RemainingRecoveryCodes returns how many of userID's recovery codes are
// unspent (0 when not enrolled).
func (m *Manager) RemainingRecoveryCodes(ctx context.Context, userID string) (int, error) {
	if err := checkUser(userID); err != nil {
		return 0, err
	}
	return m.store.RecoveryCodesLeft(ctx, userID)
}

// Params returns the TOTP parameters new enrolments get.
func (m *Manager) Params() Params { return m.cfg.params }
