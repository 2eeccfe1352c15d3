package tokenstore

import (
	"context"
	"fmt"
	"time"
)

// Store keeps token revocations and refresh-token families. It is
// implemented by *MemoryStore and by the Redis store of
// core/token/tokenstore/redisstore; both are safe for concurrent use, and
// storetest.Run checks any implementation against the contract below.
//
// Subject ids, family ids and jtis are opaque strings of any byte content
// and length: the Redis store hashes them into its keys, the memory store
// keys its maps by the ids themselves up to 512 bytes and by their hash
// beyond, so no id can break a key or make an entry large. An empty id is
// rejected with ErrInvalid.
//
// "Log out everywhere" is a per-subject generation, not a time: every token
// carries the generation its subject had when its family started, and
// RevokeSubject raises it. Stores compare generations atomically with the
// family they guard, so no clock of any host decides whether a token minted
// around a revocation survives it.
type Store interface {
	// RevokeToken marks token jti of subject sub revoked until exp; the
	// entry expires with the token. An exp already past is a no-op. Tokens
	// of a family are revoked with the family (RevokeFamily) instead.
	RevokeToken(ctx context.Context, sub, jti string, exp time.Time) error

	// RevokeSubject raises sub's generation: every family of sub started
	// before it ends, and every token minted in an earlier generation is
	// refused from now on, however far ahead the clock of the host that
	// minted it. The generation is kept for at least ttl (the longest
	// lifetime of any token the caller mints) and for as long as a family
	// started in it lives.
	RevokeSubject(ctx context.Context, sub string, ttl time.Duration) error

	// RevokeSubjectExcept is RevokeSubject keeping one sign-in ("sign
	// out everywhere else"): in the same atomic step it raises sub's
	// generation and lifts family keep into the new one, so keep's refresh
	// and access tokens keep working while every other family of sub, and
	// every other token minted so far, ends — a refresh racing it on
	// another family included. keep "" is RevokeSubject. If keep is not a
	// live family of sub (never started, expired, revoked, or ended by an
	// earlier generation), every sign-in ends, keep's too, and the error is
	// ErrFamilyUnknown or ErrFamilyRevoked.
	RevokeSubjectExcept(ctx context.Context, sub, keep string, ttl time.Duration) error

	// Revoked reports whether token jti of sub, minted in generation gen
	// and carrying refresh family family ("" for none), is revoked: on its
	// own, by a later generation of sub than its own or its family's, or
	// with its family — a family revoked, or no longer recorded, ends every
	// token that carries it. On error the answer is true: callers must
	// deny, never allow.
	Revoked(ctx context.Context, sub, jti, family string, gen uint64) (bool, error)

	// StartFamily records a new family and returns the subject's current
	// generation, which every token of the family must carry. A family id
	// still recorded gives ErrFamilyExists; an exp already past records
	// nothing (and still returns the generation).
	StartFamily(ctx context.Context, f Family) (gen uint64, err error)

	// RotateFamily atomically replaces the family's current refresh jti
	// r.Used by r.Next and extends the family to r.Exp if that is later.
	// If r.Used is not the current jti (it was rotated away: a replay,
	// possibly a concurrent one), the family is revoked and a *ReuseError
	// (matching ErrReused) is returned. Presenting the current jti of a
	// revoked family, or of a family of an earlier generation than the
	// subject's (the later of the token's and the family's own), gives
	// ErrFamilyRevoked; an absent or expired family gives
	// ErrFamilyUnknown. Of N simultaneous calls with the same r.Used
	// exactly one succeeds. The same r again after it succeeded (r.Next is
	// already current: a client re-sending a call whose answer it never
	// got) succeeds again and changes nothing; r.Next must therefore be
	// fresh for each rotation, as an Issuer's jti is.
	RotateFamily(ctx context.Context, r Rotation) error

	// RevokeFamily revokes the family of sub: its refresh tokens and every
	// token that carries it, such as the access tokens of that sign-in.
	// The revoked family is kept until its last expiry, so later reuse is
	// still recognised. It is idempotent and never needs room in the
	// store; an unknown family is already revoked.
	RevokeFamily(ctx context.Context, sub, family string) error
}

// Family is a new refresh-token family: one sign-in, or the one-member
// family of a single-use purpose token.
type Family struct {
	// ID is the family id (the "fam" claim; a purpose token's jti).
	ID string
	// Subject owns the family; its keys live with the subject's.
	Subject string
	// JTI is the family's first (current) refresh or purpose token.
	JTI string
	// Exp is when the family may be forgotten: the latest expiry, leeway
	// included, of any token it holds.
	Exp time.Time
	// Purpose marks a purpose token's family. Purpose families never count
	// towards, and are never ended by, the Memory store's cap on a
	// subject's sign-ins.
	Purpose bool
}

// Rotation is one use of a family's current token.
type Rotation struct {
	// Subject owns the family.
	Subject string
	// Family is the family id.
	Family string
	// Used is the jti presented; Next replaces it.
	Used, Next string
	// Gen is the generation carried by the presented token.
	Gen uint64
	// Exp extends the family, as Family.Exp; earlier values keep it.
	Exp time.Time
}

// Validate reports an unusable Family: an empty ID, Subject or JTI
// (ErrInvalid). Stores call it first in StartFamily.
func (f Family) Validate() error {
	if f.ID == "" || f.Subject == "" || f.JTI == "" {
		return fmt.Errorf("%w: empty family, subject or jti", ErrInvalid)
	}
	return nil
}

// Validate reports an unusable Rotation: an empty Subject, Family, Used or
// Next, or Next equal to Used (ErrInvalid). Stores call it first in
// RotateFamily.
func (r Rotation) Validate() error {
	if r.Subject == "" || r.Family == "" || r.Used == "" || r.Next == "" {
		return fmt.Errorf("%w: empty subject, family or jti", ErrInvalid)
	}
	if r.Used == r.Next {
		return fmt.Errorf("%w: next jti equals the used one", ErrInvalid)
	}
	return nil
}
