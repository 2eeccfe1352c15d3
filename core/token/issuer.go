package token

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/internal/random"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// Subject describes the user a token pair is issued to.
type Subject struct {
	// ID becomes "sub". Required.
	ID string
	// Roles becomes "roles".
	Roles []string
	// Scope becomes "scope" (space-separated).
	Scope string
	// AMR becomes "amr" (RFC 8176), e.g. []string{"pwd", "otp"}.
	AMR []string
	// Extra holds custom claims: a struct or map marshalled to a JSON
	// object, or a json.RawMessage. Names may not collide with registered
	// claims. Keep it small: it travels in every request.
	Extra any
}

// Pair is an OAuth 2.0 style token response (RFC 6749 §5.1).
type Pair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`

	family     string
	refreshTTL time.Duration
}

// Family returns the refresh family (the sign-in) both tokens belong to;
// link the login's session to it (guard.Principal.Family) so that the two
// end together. It is not part of the JSON response.
func (p Pair) Family() string { return p.family }

// RefreshExpiresIn returns the refresh token's lifetime when it was
// issued: the refresh TTL, or less when the family's maximum lifetime ends
// first. A refresh cookie's Max-Age is this (guard.SetRefreshCookie). It
// is not part of the JSON response.
func (p Pair) RefreshExpiresIn() time.Duration { return p.refreshTTL }

// Purpose names what a single-use purpose token is for.
type Purpose string

// The purposes authkit issues tokens for.
const (
	PurposePasswordReset     Purpose = "password_reset"
	PurposeEmailVerification Purpose = "email_verification"
	// PurposeMFA is the second step of a sign-in: the token a login whose
	// password was right hands out when a second factor is still due, so
	// that the code comes in a request of its own without the password
	// again. It lives 5 minutes (WithMFATokenTTL).
	PurposeMFA Purpose = "mfa"
)

// Issuer issues and checks authkit's own tokens: access tokens (typ
// at+jwt, token_use "access"), refresh tokens (typ rt+jwt, token_use
// "refresh", rotated on every use with reuse detection) and purpose tokens
// (typ purpose+jwt, single-use). A token of one kind never passes as
// another: both the typ header and the token_use claim are checked. It is
// safe for concurrent use.
type Issuer struct {
	keys     *KeySet
	cfg      config
	cache    *verifiedCache              // access tokens; nil when off
	sessions atomic.Pointer[sessionLink] // set by LinkSessions
}

// SessionLink destroys the server-side sessions linked to a refresh family.
// *session.Manager implements it; the guard links the two when it is given
// both (guard.WithTokens and guard.WithSessions). It is port.SessionLink,
// so the guard can link an Issuer without importing this package.
type SessionLink = port.SessionLink

type sessionLink struct{ l SessionLink }

// LinkSessions makes every revocation of a family by this issuer — logout
// with one of its tokens (Revoke, RevokeFamily) and refresh-token reuse —
// also destroy the sessions linked to it through l, so a login's tokens and
// its session cookie end together. Call it once at start-up; the guard does
// when it has both tokens and sessions. A nil l unlinks.
func (i *Issuer) LinkSessions(l SessionLink) {
	if l == nil {
		i.sessions.Store(nil)
		return
	}
	i.sessions.Store(&sessionLink{l})
}

// destroyLinked destroys the sessions linked to family, if sessions are
// linked.
func (i *Issuer) destroyLinked(ctx context.Context, sub, family string) error {
	s := i.sessions.Load()
	if s == nil {
		return nil
	}
	if _, err := s.l.DestroyLinked(ctx, sub, family); err != nil {
		return fmt.Errorf("%w: destroying the linked session: %w", ErrUnavailable, err)
	}
	return nil
}

// NewIssuer returns an Issuer signing with keys' active key and verifying
// against all of keys. Options (IssuerOption): WithIssuer, WithAudience,
// WithStore, WithAudit, WithAccessTTL, WithRefreshTTL,
// WithRefreshMaxLifetime, WithoutRefreshMaxLifetime, WithPasswordResetTTL,
// WithEmailVerificationTTL, WithLeeway, WithMaxSize, WithClock.
func NewIssuer(keys *KeySet, opts ...IssuerOption) (*Issuer, error) {
	if keys == nil || keys.Active() == nil {
		return nil, fmt.Errorf("%w: an Issuer needs a key set with an active signing key", ErrInvalidKey)
	}
	cfg, err := configure(opts, IssuerOption.applyIssuer)
	if err != nil {
		return nil, err
	}
	if cfg.store == nil {
		// The default store shares the issuer's clock, or a revocation
		// made under WithClock would look expired to the store.
		cfg.store = tokenstore.NewMemoryStore(tokenstore.WithClock(cfg.now))
	}
	if cfg.audit == nil {
		cfg.audit = audit.Default()
	}
	return &Issuer{keys: keys, cfg: cfg, cache: newVerifiedCache(&cfg, keys)}, nil
}

// Verifier returns a Verifier for this issuer's access tokens, with the
// same keys, issuer, audience, leeway and size cap, requiring typ at+jwt.
// It checks no revocation; use Authenticate for that.
func (i *Issuer) Verifier() *Verifier {
	cfg := i.cfg
	cfg.typ = TypeAccess
	cfg.maxLifetime = i.cfg.accessTTL
	return &Verifier{keys: i.keys, cfg: cfg, cache: newVerifiedCache(&cfg, i.keys)}
}

func (i *Issuer) newID() string { return random.Base64URL(16) } // 128 bits

func (i *Issuer) sign(c *Claims, extra json.RawMessage, typ string) (string, error) {
	payload, err := marshalClaims(c, extra)
	if err != nil {
		return "", err
	}
	return sign(i.keys.Active(), typ, payload)
}

// IssuePair issues an access token and a refresh token that starts a new
// refresh family.
func (i *Issuer) IssuePair(ctx context.Context, s Subject) (Pair, error) {
	if s.ID == "" {
		return Pair{}, fmt.Errorf("%w: empty subject", ErrInvalidClaims)
	}
	extra, err := encodeExtra(s.Extra)
	if err != nil {
		return Pair{}, err
	}
	family := i.newID()
	base := Claims{Subject: s.ID, Roles: s.Roles, Scope: s.Scope, AMR: s.AMR, AuthTime: i.cfg.now(), family: family}
	m, err := i.plan(&base)
	if err != nil {
		return Pair{}, err
	}
	// The family is recorded before its tokens are signed: the store tells
	// the subject's generation, which both tokens carry.
	base.gen, err = i.cfg.store.StartFamily(ctx, tokenstore.Family{ID: family, Subject: s.ID, JTI: m.refresh.ID, Exp: m.keep})
	if err != nil {
		return Pair{}, storeErr(err)
	}
	pair, err := i.signPair(m, base.gen, extra)
	if err != nil {
		return Pair{}, err
	}
	pair.family = family
	i.cfg.audit.Emit(ctx, audit.Event{Kind: audit.TokenIssued, Subject: s.ID, Family: family})
	return pair, nil
}

// minting is an access and a refresh token about to be signed.
type minting struct {
	access, refresh Claims
	keep            time.Time // the family is kept until then: both expire, leeway included
}

// plan fills in the claims of a new pair for base's subject and family.
func (i *Issuer) plan(base *Claims) (*minting, error) {
	now := i.cfg.now()
	accessJTI, refreshJTI := i.newID(), i.newID()
	m := &minting{access: *base}
	access := &m.access
	access.Issuer, access.Audience = i.cfg.issuer, i.cfg.audience
	// Both tokens carry the family, so revoking it (reuse, logout) also
	// ends the access tokens of that sign-in.
	access.IssuedAt, access.ExpiresAt, access.ID, access.use = now, now.Add(i.cfg.accessTTL), accessJTI, useAccess
	m.refresh = *access
	refresh := &m.refresh
	refresh.ExpiresAt, refresh.ID, refresh.use = now.Add(i.cfg.refreshTTL), refreshJTI, useRefresh
	if i.cfg.refreshMaxLifetime > 0 {
		if end := base.AuthTime.Add(i.cfg.refreshMaxLifetime); end.Before(refresh.ExpiresAt) {
			refresh.ExpiresAt = end
		}
	}
	// A family no longer recorded revokes its tokens, so it must outlive
	// both, as the verifier accepts them (leeway included).
	m.keep = refresh.ExpiresAt
	if access.ExpiresAt.After(m.keep) {
		m.keep = access.ExpiresAt
	}
	m.keep = m.keep.Add(i.cfg.leeway)
	return m, nil
}

// signPair signs m's tokens, both in generation gen.
func (i *Issuer) signPair(m *minting, gen uint64, extra json.RawMessage) (Pair, error) {
	m.access.gen, m.refresh.gen = gen, gen
	at, err := i.sign(&m.access, extra, TypeAccess)
	if err != nil {
		return Pair{}, err
	}
	rt, err := i.sign(&m.refresh, extra, TypeRefresh)
	if err != nil {
		return Pair{}, err
	}
	return Pair{AccessToken: at, RefreshToken: rt, TokenType: "Bearer", ExpiresIn: int(i.cfg.accessTTL / time.Second),
		refreshTTL: m.refresh.ExpiresAt.Truncate(time.Second).Sub(m.refresh.IssuedAt)}, nil
}

func (i *Issuer) verifyKind(ctx context.Context, raw, typ, use string, maxLifetime time.Duration) (*Claims, error) {
	c, err := verify(ctx, i.keys, &i.cfg, typ, maxLifetime, raw)
	if err != nil {
		return nil, err
	}
	if c.use != use {
		return nil, reject(ErrType, "token_use claim")
	}
	if c.Subject == "" || c.ID == "" || c.IssuedAt.IsZero() {
		return nil, reject(ErrMissingClaim, "sub, jti or iat")
	}
	return c, nil
}

// Authenticate verifies an access token and checks that it is not revoked
// (one store round trip). Errors wrap ErrInvalid (answer 401) or
// ErrUnavailable (answer 503).
func (i *Issuer) Authenticate(ctx context.Context, raw string) (*Claims, error) {
	c, e, err := i.authenticate(ctx, raw)
	if e != nil {
		return e.claimsCopy(), err
	}
	return c, err
}

// authenticate verifies the access token raw (or finds it in the
// verified-token cache) and asks the store whether it is revoked. It
// returns the claims, and their cache entry when they are cached (shared:
// copy before handing out).
func (i *Issuer) authenticate(ctx context.Context, raw string) (*Claims, *cacheEntry, error) {
	e, gen, cacheable := i.cache.lookup(raw, &i.cfg, i.cfg.now())
	var c *Claims
	if e != nil {
		c = e.claims
	} else {
		var err error
		if c, err = i.verifyKind(ctx, raw, TypeAccess, useAccess, i.cfg.accessTTL); err != nil {
			return nil, nil, err
		}
		if cacheable {
			e = i.cache.store(raw, c, gen, &i.cfg, i.cfg.now())
		}
	}
	if err := i.checkRevoked(ctx, c); err != nil {
		return nil, nil, err
	}
	return c, e, nil
}

func (i *Issuer) checkRevoked(ctx context.Context, c *Claims) error {
	revoked, err := i.cfg.store.Revoked(ctx, c.Subject, c.ID, c.family, c.gen)
	if err != nil {
		return storeErr(err)
	}
	if revoked {
		return reject(ErrRevoked, "")
	}
	return nil
}

// Refresh exchanges a refresh token for a new pair and kills the one
// presented. Presenting an already-used refresh token revokes its whole
// family and returns an error wrapping ErrReused (RFC 9700 §4.14.2); the
// first such replay of a family emits an audit.TokenReuseDetected event
// and further replays are counted, not logged one by one (every 1000th
// emits another event carrying the count). Of concurrent refreshes of one
// token exactly one succeeds. One store round trip: the store checks
// rotation, revocation and the subject's log-out-everywhere generation in
// one atomic step.
func (i *Issuer) Refresh(ctx context.Context, raw string) (Pair, error) {
	c, err := i.verifyKind(ctx, raw, TypeRefresh, useRefresh, i.cfg.refreshTTL)
	if err != nil {
		return Pair{}, err
	}
	if c.family == "" {
		return Pair{}, reject(ErrMissingClaim, "fam")
	}
	authTime := c.AuthTime
	if authTime.IsZero() { // a token from before auth_time was written
		authTime = c.IssuedAt
	}
	if i.cfg.refreshMaxLifetime > 0 && !i.cfg.now().Before(authTime.Add(i.cfg.refreshMaxLifetime)) {
		return Pair{}, reject(ErrExpired, "refresh family reached its maximum lifetime")
	}
	base := Claims{Subject: c.Subject, Roles: c.Roles, Scope: c.Scope, AMR: c.AMR, AuthTime: authTime, family: c.family}
	m, err := i.plan(&base)
	if err != nil {
		return Pair{}, err
	}
	// Signed before the rotation, in the presented token's generation: the
	// rotation succeeds only if that is still the subject's generation, and
	// a later RevokeSubject refuses these tokens too.
	pair, err := i.signPair(m, c.gen, c.Extra)
	if err != nil {
		return Pair{}, err
	}
	rot := tokenstore.Rotation{Subject: c.Subject, Family: c.family, Used: c.ID, Next: m.refresh.ID, Gen: c.gen, Exp: m.keep}
	var reuse *tokenstore.ReuseError
	switch err := i.cfg.store.RotateFamily(ctx, rot); {
	case err == nil:
	case errors.As(err, &reuse):
		// The store has revoked the family, access tokens included; the
		// login's session goes with it.
		if n := reuse.Count; n <= 1 || n%reuseReportEvery == 0 {
			if err := i.destroyLinked(ctx, c.Subject, c.family); err != nil {
				slog.WarnContext(ctx, "authkit: refresh-token reuse: the linked session could not be destroyed", "error", err)
			}
			i.cfg.audit.Emit(ctx, audit.Event{Kind: audit.TokenReuseDetected, Subject: c.Subject, Family: c.family, Count: max(n, 1)})
		}
		return Pair{}, reject(ErrReused, "refresh token reused; family revoked")
	case errors.Is(err, tokenstore.ErrFamilyRevoked), errors.Is(err, tokenstore.ErrFamilyUnknown):
		return Pair{}, reject(ErrRevoked, "refresh family")
	default:
		return Pair{}, storeErr(err)
	}
	pair.family = c.family
	i.cfg.audit.Emit(ctx, audit.Event{Kind: audit.TokenRefreshed, Subject: c.Subject, Family: c.family})
	return pair, nil
}

// Revoke revokes a presented access or refresh token until its expiry, and
// the whole sign-in it belongs to: its refresh family and every access
// token issued to that family (logging out with the access token alone
// also ends the refresh token). An expired token needs no
// revocation and returns nil; any other invalid token returns its error.
func (i *Issuer) Revoke(ctx context.Context, raw string) error {
	c, err := i.verifyKind(ctx, raw, TypeAccess, useAccess, i.cfg.accessTTL)
	if errors.Is(err, ErrType) {
		c, err = i.verifyKind(ctx, raw, TypeRefresh, useRefresh, i.cfg.refreshTTL)
	}
	if errors.Is(err, ErrExpired) {
		return nil
	}
	if err != nil {
		return err
	}
	if c.family != "" {
		// Ends every token of the family, and the login's session.
		return i.RevokeFamily(ctx, c.Subject, c.family)
	}
	// The verifier accepts a token until exp + leeway, so the revocation
	// must outlive exp by the leeway too.
	if err := i.cfg.store.RevokeToken(ctx, c.Subject, c.ID, c.ExpiresAt.Add(i.cfg.leeway)); err != nil {
		return storeErr(err)
	}
	i.cfg.audit.Emit(ctx, audit.Event{Kind: audit.TokenRevoked, Subject: c.Subject})
	return nil
}

// RevokeFamily ends the sign-in family of sub: every token carrying it
// (refresh and access tokens alike) and, when sessions are linked
// (LinkSessions), the login's session. It is idempotent.
func (i *Issuer) RevokeFamily(ctx context.Context, sub, family string) error {
	if err := i.RevokeLinked(ctx, sub, family); err != nil {
		return err
	}
	return i.destroyLinked(ctx, sub, family)
}

// RevokeLinked revokes family's tokens without destroying linked sessions:
// the session manager calls it when it destroys a linked session
// (session.TokenLink). Revoking needs no room in the store.
func (i *Issuer) RevokeLinked(ctx context.Context, sub, family string) error {
	if sub == "" || family == "" {
		return fmt.Errorf("%w: empty subject or family", ErrInvalidClaims)
	}
	if err := i.cfg.store.RevokeFamily(ctx, sub, family); err != nil {
		return storeErr(err)
	}
	i.cfg.audit.Emit(ctx, audit.Event{Kind: audit.TokenRevoked, Subject: sub, Family: family})
	return nil
}

// RevokeSubject logs a user out everywhere: every token of sub minted so
// far — access, refresh and purpose tokens, on any instance, whatever its
// clock — is refused from now on, including the tokens of a refresh that
// races this call. It raises the subject's generation in the store, which
// keeps it for the longest lifetime of any token kind this issuer mints
// (plus the leeway); a sign-in after it starts afresh.
func (i *Issuer) RevokeSubject(ctx context.Context, sub string) error {
	if sub == "" {
		return fmt.Errorf("%w: empty subject", ErrInvalidClaims)
	}
	if err := i.cfg.store.RevokeSubject(ctx, sub, i.longestLifetime()+i.cfg.leeway); err != nil {
		return storeErr(err)
	}
	i.cfg.audit.Emit(ctx, audit.Event{Kind: audit.TokenRevoked, Subject: sub, Reason: "subject"})
	return nil
}

// RevokeSubjectExcept logs sub out everywhere but one sign-in, the
// refresh family keep (the family of the request's own token or session:
// guard.Principal.Family): every other token of sub minted so far — access,
// refresh and purpose tokens, on any instance, those of a refresh racing
// this call included — is refused from now on, while keep's access and
// refresh tokens keep working and its refresh tokens keep rotating. It is
// one atomic store operation (one round trip on Redis): the subject's
// generation goes up and keep is lifted into the new one in the same
// step. Use it where a user changes what protects the account (a password,
// a second factor) and stays signed in; guard.SignOutOthers does it and
// ends the other sessions too. keep "" is RevokeSubject. If keep is not a
// live family of sub, every sign-in ends, keep's too, and the error wraps
// ErrRevoked. Like RevokeSubject, it destroys no session: destroy the
// other sessions with session.Manager.DestroyAllExcept.
func (i *Issuer) RevokeSubjectExcept(ctx context.Context, sub, keep string) error {
	if sub == "" {
		return fmt.Errorf("%w: empty subject", ErrInvalidClaims)
	}
	err := i.cfg.store.RevokeSubjectExcept(ctx, sub, keep, i.longestLifetime()+i.cfg.leeway)
	switch {
	case err == nil:
	case errors.Is(err, tokenstore.ErrFamilyRevoked), errors.Is(err, tokenstore.ErrFamilyUnknown):
		// Everything ended, the kept sign-in with it.
		i.cfg.audit.Emit(ctx, audit.Event{Kind: audit.TokenRevoked, Subject: sub, Reason: "subject"})
		return reject(ErrRevoked, "the sign-in to keep is not live")
	default:
		return storeErr(err)
	}
	i.cfg.audit.Emit(ctx, audit.Event{Kind: audit.TokenRevoked, Subject: sub, Family: keep, Reason: "subject_except"})
	return nil
}

// longestLifetime is the longest lifetime of any token kind i mints.
func (i *Issuer) longestLifetime() time.Duration {
	return max(i.cfg.accessTTL, i.cfg.refreshTTL, i.cfg.resetTTL, i.cfg.emailTTL, i.cfg.mfaTTL)
}

func (i *Issuer) purposeTTL(p Purpose) (time.Duration, error) {
	switch p {
	case PurposePasswordReset:
		return i.cfg.resetTTL, nil
	case PurposeEmailVerification:
		return i.cfg.emailTTL, nil
	case PurposeMFA:
		return i.cfg.mfaTTL, nil
	}
	return 0, fmt.Errorf("%w: unknown purpose %q", ErrInvalidClaims, string(p))
}

// PurposeOption configures IssuePurpose, VerifyPurpose and
// ConsumePurpose.
type PurposeOption func(*purposeConfig)

type purposeConfig struct {
	bound   bool
	binding string // the hash of the value, as the "bnd" claim holds it
	lookup  func(ctx context.Context, sub string) (string, error)
}

func purposeOptions(opts []PurposeOption) purposeConfig {
	var pc purposeConfig
	for _, o := range opts {
		if o != nil {
			o(&pc)
		}
	}
	return pc
}

// bindingFor is pc's binding for a token of sub: BoundTo's, or the hash of
// what BoundToLookup finds.
func (pc purposeConfig) bindingFor(ctx context.Context, sub string) (purposeConfig, error) {
	if pc.lookup == nil {
		return pc, nil
	}
	v, err := pc.lookup(ctx, sub)
	if err != nil {
		return pc, err
	}
	BoundTo(v)(&pc)
	return pc, nil
}

func bindingHash(value string) string {
	sum := sha256.Sum256([]byte("authkit/token/purpose-binding\x00" + value))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// BoundToLookup is BoundTo with the value looked up for the token's
// subject, once the token verified: a flow that learns whose token it is
// only from the token (a password reset, an email verification) binds it
// to that account's current address. An error of lookup is returned as it
// is, and the token is neither checked further nor spent.
func BoundToLookup(lookup func(ctx context.Context, sub string) (string, error)) PurposeOption {
	return func(pc *purposeConfig) { pc.lookup = lookup }
}

// BoundTo binds a purpose token to value, such as the email address a
// reset or verification token is mailed to: IssuePurpose writes a hash of
// value into the token (claim "bnd"), and VerifyPurpose and ConsumePurpose
// accept it only when given the same value — so a token mailed to an
// address the account no longer has stops working. A token issued bound is
// refused without BoundTo, and one issued unbound is refused with it
// (ErrBinding, before the token is used). value is hashed, never written
// into the token as is.
func BoundTo(value string) PurposeOption {
	return func(pc *purposeConfig) { pc.bound, pc.binding, pc.lookup = true, bindingHash(value), nil }
}

// IssuePurpose issues a single-use token for p (a password reset: 15
// minutes; an email verification: 24 hours; the second step of a sign-in:
// 5 minutes) bound to sub, and to a value when given BoundTo.
func (i *Issuer) IssuePurpose(ctx context.Context, sub string, p Purpose, opts ...PurposeOption) (string, error) {
	ttl, err := i.purposeTTL(p)
	if err != nil {
		return "", err
	}
	if sub == "" {
		return "", fmt.Errorf("%w: empty subject", ErrInvalidClaims)
	}
	jti := i.newID()
	pc, err := purposeOptions(opts).bindingFor(ctx, sub)
	if err != nil {
		return "", err
	}
	now := i.cfg.now()
	c := Claims{Issuer: i.cfg.issuer, Audience: i.cfg.audience, Subject: sub, ID: jti,
		IssuedAt: now, ExpiresAt: now.Add(ttl), use: usePurpose, purpose: string(p), binding: pc.binding}
	// A purpose token is a one-member family: consuming it rotates the
	// family away, which the store does atomically, so it works once.
	c.gen, err = i.cfg.store.StartFamily(ctx, tokenstore.Family{ID: jti, Subject: sub, JTI: jti, Exp: c.ExpiresAt.Add(i.cfg.leeway), Purpose: true})
	if err != nil {
		return "", storeErr(err)
	}
	return i.sign(&c, nil, TypePurpose)
}

// VerifyPurpose checks a purpose token for p as ConsumePurpose does —
// signature, kind, purpose, lifetime and binding (BoundTo) — without using
// it and without asking the store, so that a flow can check the rest of a
// request before it spends the token (a password reset refuses a weak
// password and the token still works). Only ConsumePurpose knows whether
// the token was used or revoked: call it before acting.
func (i *Issuer) VerifyPurpose(ctx context.Context, raw string, p Purpose, opts ...PurposeOption) (*Claims, error) {
	ttl, err := i.purposeTTL(p)
	if err != nil {
		return nil, err
	}
	c, err := i.verifyKind(ctx, raw, TypePurpose, usePurpose, max(i.cfg.resetTTL, i.cfg.emailTTL, i.cfg.mfaTTL))
	if err != nil {
		return nil, err
	}
	if c.purpose != string(p) {
		return nil, reject(ErrType, "purpose")
	}
	if c.ExpiresAt.Sub(c.IssuedAt) > ttl {
		return nil, reject(ErrLifetime, "")
	}
	pc, err := purposeOptions(opts).bindingFor(ctx, c.Subject)
	if err != nil {
		return nil, err
	}
	if pc.bound != (c.binding != "") || subtle.ConstantTimeCompare([]byte(pc.binding), []byte(c.binding)) != 1 {
		return nil, reject(ErrBinding, "")
	}
	return c, nil
}

// ConsumePurpose verifies a purpose token for p (as VerifyPurpose) and
// marks it used. A second use fails with ErrReused; of concurrent uses
// exactly one succeeds.
func (i *Issuer) ConsumePurpose(ctx context.Context, raw string, p Purpose, opts ...PurposeOption) (*Claims, error) {
	c, err := i.VerifyPurpose(ctx, raw, p, opts...)
	if err != nil {
		return nil, err
	}
	next := i.newID()
	// One round trip: the rotation also checks the subject's generation.
	rot := tokenstore.Rotation{Subject: c.Subject, Family: c.ID, Used: c.ID, Next: next, Gen: c.gen, Exp: c.ExpiresAt}
	switch err := i.cfg.store.RotateFamily(ctx, rot); {
	case err == nil:
		return c, nil
	case errors.Is(err, tokenstore.ErrReused):
		return nil, reject(ErrReused, "purpose token already used")
	case errors.Is(err, tokenstore.ErrFamilyRevoked):
		return nil, reject(ErrRevoked, "purpose token revoked")
	case errors.Is(err, tokenstore.ErrFamilyUnknown):
		return nil, reject(ErrRevoked, "purpose token unknown to the store")
	default:
		return nil, storeErr(err)
	}
}

// reuseReportEvery is how many further replays of one family make another
// audit.TokenReuseDetected event, after the first.
const reuseReportEvery = 1000

// storeErr maps the store's ErrUnavailable onto this package's, keeping
// the cause.
func storeErr(err error) error {
	if errors.Is(err, tokenstore.ErrUnavailable) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return fmt.Errorf("token: store: %w", err)
}
