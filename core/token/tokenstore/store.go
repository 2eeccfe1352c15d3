package tokenstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"
)

// Store keeps token revocations and refresh-token families. It is
// implemented by *Memory and *Redis; both are safe for concurrent use.
//
// Subject ids, family ids and jtis are opaque strings of any byte content;
// the stores hash them, so their length and bytes never reach a key or a map
// unhashed. An empty id is rejected with ErrInvalid.
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

	// Revoked reports whether token jti of sub, minted in generation gen
	// and carrying refresh family family ("" for none), is revoked: on its
	// own, by a later generation of sub, or with its family — a family
	// revoked, or no longer recorded, ends every token that carries it. On
	// error the answer is true: callers must deny, never allow.
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
	// subject's, gives ErrFamilyRevoked; an absent or expired family gives
	// ErrFamilyUnknown. Of N simultaneous calls with the same r.Used
	// exactly one succeeds.
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

var (
	_ Store = (*Memory)(nil)
	_ Store = (*Redis)(nil)
)

// Domain separators keep hashes of different kinds of id apart.
const (
	kindJTI     = 'j' // revoked jti of a subject
	kindGen     = 'g' // subject record (generation, sign-ins)
	kindFamily  = 'f' // refresh-token family, under the subject
	kindFamJTI  = 'r' // refresh jti within a family
	kindSubject = 's' // subject hash tag
)

// digest hashes kind || uvarint(len(a)) || a || b. Ids up to a few hundred
// bytes are hashed from a stack buffer without allocating.
func digest(kind byte, a, b string) [sha256.Size]byte {
	var buf [256]byte
	p := append(buf[:0], kind)
	p = binary.AppendUvarint(p, uint64(len(a)))
	p = append(p, a...)
	p = append(p, b...)
	return sha256.Sum256(p)
}

// unixNano is t in nanoseconds since the epoch, saturating instead of
// overflowing for times outside 1678..2262.
func unixNano(t time.Time) int64 {
	switch {
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	}
	return t.UnixNano()
}

// addNano is now+d, saturating.
func addNano(now int64, d time.Duration) int64 {
	if d > 0 && now > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return now + int64(d)
}

// ceilMilli rounds a positive duration up to whole milliseconds (at least 1)
// so Redis never expires an entry before the token it guards.
// The result stays within what a time.Duration of milliseconds can hold.
func ceilMilli(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 && ms < math.MaxInt64/int64(time.Millisecond) {
		ms++
	}
	return max(ms, 1)
}

// px is d rounded up to whole milliseconds, for SET PX.
func px(d time.Duration) time.Duration {
	return time.Duration(ceilMilli(d)) * time.Millisecond
}
