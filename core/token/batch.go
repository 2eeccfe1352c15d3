package token

import (
	"context"
	"time"

	"github.com/authkit-go/authkit/core/internal/batch"
)

// revokedPreparer is a tokenstore.Store that can prepare Revoked for the
// guard's batch (tokenstore/redisstore.Store).
type revokedPreparer interface {
	PrepareRevoked(sub, jti, family string, gen uint64) batch.Op
}

// Batches reports whether the issuer's store can prepare its revocation
// check ahead of the request's steps (see PrepareAuth): the guard asks,
// and batches only what can be.
func (i *Issuer) Batches() bool {
	_, ok := i.cfg.store.(revokedPreparer)
	return ok
}

// PrepareAuth adds to s the revocation check that AuthenticatePrincipal(ctx,
// raw) will make, for the guard, which sends it ahead with the request's
// other store calls (the rate-limit decision, the session load) and then
// authenticates with s's context. The Set comes from an internal package:
// applications do not call it.
//
// The check's keys (subject, jti, family, generation) come from the
// verified-token cache or, for a token it does not hold, from the claims
// read WITHOUT checking the signature, so that a request the rate limit
// refuses never costs a signature check. Those claims only choose which
// keys are read: nothing trusts them. The token is verified in full
// afterwards, and its revocation check takes the prepared answer only
// when the verified claims name the same keys; otherwise it asks the
// store itself. A token that would fail on its claims adds nothing.
func (i *Issuer) PrepareAuth(_ context.Context, raw string, s *batch.Set) {
	rp, ok := i.cfg.store.(revokedPreparer)
	if !ok {
		return
	}
	now := i.cfg.now()
	c := i.cache.peek(raw, &i.cfg, now)
	if c == nil {
		if c = i.unverifiedClaims(raw, now); c == nil {
			return
		}
	}
	s.Add(rp.PrepareRevoked(c.Subject, c.ID, c.family, c.gen))
}

// unverifiedClaims returns the claims of the access token raw, its
// signature NOT checked, or nil when they would fail verification anyway.
// For PrepareAuth only.
func (i *Issuer) unverifiedClaims(raw string, now time.Time) *Claims {
	p, err := split(raw, i.cfg.maxSize)
	if err != nil {
		return nil
	}
	payload, err := decodeSegment(p.payload)
	if err != nil {
		return nil
	}
	c, err := parseClaims(payload)
	if err != nil || c.use != useAccess || c.Subject == "" || c.ID == "" || checkTimes(c, &i.cfg, now) != nil {
		return nil
	}
	return c
}

// peek returns the cached claims of exactly raw when they are still
// valid at now, without counting a hit or a miss or changing the cache.
func (vc *verifiedCache) peek(raw string, cfg *config, now time.Time) *Claims {
	if vc == nil {
		return nil
	}
	gen, ok := vc.src.generation()
	if !ok {
		return nil
	}
	vc.mu.RLock()
	var e *cacheEntry
	if vc.gen == gen {
		e = vc.entries[raw]
	}
	vc.mu.RUnlock()
	if e == nil || checkTimes(e.claims, cfg, now) != nil {
		return nil
	}
	return e.claims
}
