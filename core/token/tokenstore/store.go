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
// unhashed. An empty id is rejected with ErrInvalid. Times are compared at
// millisecond precision.
type Store interface {
	// RevokeToken marks token jti of subject sub revoked until exp; the
	// entry expires with the token. An exp already past is a no-op.
	RevokeToken(ctx context.Context, sub, jti string, exp time.Time) error

	// RevokeSubject revokes every token of sub issued strictly before
	// before. The marker is kept for ttl (the longest token lifetime); a
	// later call never moves the cut-off backwards nor shortens the marker.
	RevokeSubject(ctx context.Context, sub string, before time.Time, ttl time.Duration) error

	// Revoked reports whether token jti of sub, issued at issuedAt and
	// carrying refresh family family ("" for none), is revoked: on its
	// own, by the subject's cut-off, or with its family (RevokeFamily). On
	// error the answer is true: callers must deny, never allow.
	Revoked(ctx context.Context, sub, jti, family string, issuedAt time.Time) (bool, error)

	// StartFamily records a new refresh-token family whose current refresh
	// token is jti, alive until exp. A family id still recorded gives
	// ErrFamilyExists; an exp already past records nothing.
	StartFamily(ctx context.Context, family, sub, jti string, exp time.Time) error

	// RotateFamily atomically replaces the family's current refresh jti used
	// by next, and extends the family to exp if that is later. If used is
	// not the current jti (it was rotated away: a replay, possibly a
	// concurrent one), the family is revoked and ErrReused is returned.
	// Presenting the current jti of a revoked family gives
	// ErrFamilyRevoked; an absent or expired family gives ErrFamilyUnknown.
	// Of N simultaneous calls with the same used exactly one succeeds.
	RotateFamily(ctx context.Context, family, used, next string, exp time.Time) error

	// RevokeFamily revokes the family: its refresh tokens (the revoked
	// family is kept until its last expiry, so later reuse is still
	// recognised) and, until until, every token of sub that carries the
	// family, such as the access tokens of that sign-in. It is idempotent;
	// for an unknown family only the token marker is written.
	RevokeFamily(ctx context.Context, sub, family string, until time.Time) error
}

var (
	_ Store = (*Memory)(nil)
	_ Store = (*Redis)(nil)
)

// Domain separators keep hashes of different kinds of id apart.
const (
	kindJTI     = 'j' // revoked jti of a subject
	kindCut     = 'c' // subject cut-off
	kindFamily  = 'f' // refresh-token family
	kindFamJTI  = 'r' // refresh jti within a family
	kindSubject = 's' // subject hash tag
	kindFamRev  = 'F' // tokens of a revoked family, under the subject
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

// unixMilli is t in milliseconds since the epoch, clamped to the range Lua
// numbers (doubles) represent exactly, so a hostile time cannot overflow.
func unixMilli(t time.Time) int64 {
	const limit = 1<<53 - 1
	switch {
	case t.After(time.UnixMilli(limit)):
		return limit
	case t.Before(time.UnixMilli(-limit)):
		return -limit
	}
	return t.UnixMilli()
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
