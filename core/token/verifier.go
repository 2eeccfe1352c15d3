package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/authkit-go/authkit/core/strictjson"
)

// Typ header values of authkit tokens.
const (
	TypeAccess  = "at+jwt"      // RFC 9068
	TypeRefresh = "rt+jwt"      // authkit refresh tokens
	TypePurpose = "purpose+jwt" // authkit password-reset / email-verification tokens
)

// maxKeysTried bounds how many candidate keys one token is tried against
// when it names no kid.
const maxKeysTried = 16

// Verifier checks compact JWS tokens strictly. It is safe for concurrent
// use.
//
// Verify rejects, with an error wrapping ErrInvalid: a token over the size
// cap; anything but three unpadded base64url segments; headers or claims
// that are not a single JSON object or carry duplicate or case-variant
// member names; "alg" other than the algorithm pinned on the selected key
// (so "none", another family and another size all fail); crit, jku, x5u,
// x5c, jwk, enc, zip or b64 headers (key-carrying headers are rejected, not
// ignored, so a token can never choose its own key); a missing exp; exp,
// nbf or iat that are not numbers or lie beyond year 9999; an expired or
// not-yet-valid token; a lifetime over the maximum; a wrong iss or aud; a
// wrong typ.
type Verifier struct {
	keys  KeySource
	cfg   config
	cache *verifiedCache // nil when off or keys cannot tell their changes
}

// NewVerifier returns a Verifier over keys. Options (VerifierOption):
// WithIssuer, WithAudience, WithLeeway, WithMaxLifetime,
// WithoutMaxLifetime, WithMaxSize, WithType, WithClock.
func NewVerifier(keys KeySource, opts ...VerifierOption) (*Verifier, error) {
	if keys == nil {
		return nil, fmt.Errorf("%w: nil key source", ErrInvalidConfig)
	}
	cfg, err := configure(opts, VerifierOption.applyVerifier)
	if err != nil {
		return nil, err
	}
	return &Verifier{keys: keys, cfg: cfg, cache: newVerifiedCache(&cfg, keys)}, nil
}

// Verify checks raw and returns its claims. Errors wrap ErrInvalid and a
// specific sentinel, or ErrUnavailable when the key source could not be
// reached.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	c, e, err := v.verify(ctx, raw)
	if e != nil {
		return e.claimsCopy(), nil
	}
	return c, err
}

// verify checks raw, or finds it in the verified-token cache; the entry is
// returned when the claims are cached (shared: copy before handing out).
func (v *Verifier) verify(ctx context.Context, raw string) (*Claims, *cacheEntry, error) {
	e, gen, cacheable := v.cache.lookup(raw, &v.cfg, v.cfg.now())
	if e != nil {
		return e.claims, e, nil
	}
	c, err := verify(ctx, v.keys, &v.cfg, v.cfg.typ, v.cfg.maxLifetime, raw)
	if err != nil {
		return nil, nil, err
	}
	if cacheable {
		e = v.cache.store(raw, c, gen, &v.cfg, v.cfg.now())
	}
	return c, e, nil
}

// stackTokenSize is how long a token may be for verify to decode it from
// and into stack buffers; longer ones use the heap.
const stackTokenSize = 1024

// sigBuf is a pooled buffer for decoded signatures: large enough for RSA
// 4096, whose signatures are 512 bytes.
type sigBuf [512]byte

var sigPool = sync.Pool{New: func() any { return new(sigBuf) }}

func verify(ctx context.Context, src KeySource, cfg *config, typ string, maxLifetime time.Duration, raw string) (*Claims, error) {
	p, err := split(raw, cfg.maxSize)
	if err != nil {
		return nil, err
	}
	// The segments are decoded from one copy of the signing input and
	// signature, kept on the stack when the token is small.
	var rawBuf [stackTokenSize]byte
	rawBytes := append(rawBuf[:0], raw...)
	hdrB64 := rawBytes[:len(p.header)]
	payloadB64 := rawBytes[len(p.header)+1 : len(p.signingInput)]
	sigB64 := rawBytes[len(p.signingInput)+1:]
	var hdrBuf [stackTokenSize * 3 / 4]byte
	hdr, err := decodeAppend(hdrBuf[:0], hdrB64)
	if err != nil {
		return nil, reject(ErrMalformed, "header is not base64url")
	}
	sb := sigPool.Get().(*sigBuf)
	defer sigPool.Put(sb)
	sig, err := decodeAppend(sb[:0], sigB64)
	if err != nil {
		return nil, reject(ErrMalformed, "signature is not base64url")
	}
	h, err := parseHeaderString(string(hdr))
	if err != nil {
		return nil, err
	}
	alg := Algorithm(h.alg)
	info, ok := algs[alg]
	if !ok {
		return nil, reject(ErrAlgorithm, "alg not supported")
	}
	if typ != "" {
		if !sameType(h.typ, typ) {
			return nil, reject(ErrType, "typ header")
		}
	} else if sameType(h.typ, TypeRefresh) || sameType(h.typ, TypePurpose) {
		return nil, reject(ErrType, "typ header")
	}
	keys, err := src.VerificationKeys(ctx, h.kid)
	if err != nil {
		return nil, err
	}
	// The header's alg only selects among keys pinned to exactly that
	// algorithm; golang-jwt's method for it checks the signature over the
	// signing input as received.
	tried, verified := 0, false
	for _, k := range keys {
		if k.alg != alg {
			continue
		}
		if tried++; tried > maxKeysTried {
			break
		}
		if info.method.Verify(p.signingInput, sig, k.pub) == nil {
			verified = true
			break
		}
	}
	if !verified {
		if tried == 0 {
			return nil, reject(ErrAlgorithm, "no key is pinned to the token's alg")
		}
		return nil, reject(ErrSignature, "")
	}
	payload, err := decodeAppend(nil, payloadB64)
	if err != nil {
		return nil, reject(ErrMalformed, "payload is not base64url")
	}
	c, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	if err := checkClaims(c, cfg, maxLifetime); err != nil {
		return nil, err
	}
	if typ == "" && (c.use == useRefresh || c.use == usePurpose) {
		return nil, reject(ErrType, "token_use claim")
	}
	return c, nil
}

// checkClaims applies the time, issuer and audience rules.
func checkClaims(c *Claims, cfg *config, maxLifetime time.Duration) error {
	if c.ExpiresAt.IsZero() {
		return reject(ErrMissingClaim, "exp")
	}
	now := cfg.now()
	if err := checkTimes(c, cfg, now); err != nil {
		return err
	}
	if maxLifetime > 0 {
		from := c.IssuedAt
		if from.IsZero() {
			from = now
		}
		if c.ExpiresAt.Sub(from) > maxLifetime {
			return reject(ErrLifetime, "")
		}
	}
	if cfg.issuer != "" && c.Issuer != cfg.issuer {
		return reject(ErrIssuer, "")
	}
	if len(cfg.audience) > 0 {
		ok := false
		for _, a := range cfg.audience {
			if c.HasAudience(a) {
				ok = true
				break
			}
		}
		if !ok {
			return reject(ErrAudience, "")
		}
	}
	return nil
}

// checkTimes applies the rules that depend on the clock: exp, nbf and iat
// with the leeway. The verified-token cache applies them on every hit.
func checkTimes(c *Claims, cfg *config, now time.Time) error {
	if !now.Before(c.ExpiresAt.Add(cfg.leeway)) {
		return reject(ErrExpired, "")
	}
	if !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(cfg.leeway)) {
		return reject(ErrNotYetValid, "nbf in the future")
	}
	if !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(cfg.leeway)) {
		return reject(ErrNotYetValid, "iat in the future")
	}
	return nil
}

// sameType compares typ values as media types: case-insensitively, with
// an optional "application/" prefix (RFC 7515 §4.1.9).
func sameType(got, want string) bool {
	trim := func(s string) string {
		if len(s) > 12 && strings.EqualFold(s[:12], "application/") {
			return s[12:]
		}
		return s
	}
	return got != "" && strings.EqualFold(trim(got), trim(want))
}

// Sign signs payload, which must be one JSON object without duplicate
// member names, with k and returns the compact JWS. The header carries alg,
// the key's kid when it has one, and typ when non-empty. The payload is
// signed as given: Sign adds no claims. Use an Issuer for authkit tokens.
func Sign(k *Key, typ string, payload []byte) (string, error) {
	if k == nil {
		return "", ErrInvalidKey
	}
	if err := strictjson.Check(payload); err != nil {
		return "", errors.Join(ErrInvalidClaims, err)
	}
	return sign(k, typ, payload)
}

func sign(k *Key, typ string, payload []byte) (string, error) {
	material, err := k.signer()
	if err != nil {
		return "", err
	}
	hdr := make([]byte, 0, 96)
	hdr = append(hdr, `{"alg":"`...)
	hdr = append(hdr, k.alg...)
	hdr = append(hdr, '"')
	if k.kid != "" {
		kid, _ := json.Marshal(k.kid)
		hdr = append(hdr, `,"kid":`...)
		hdr = append(hdr, kid...)
	}
	if typ != "" {
		t, _ := json.Marshal(typ)
		hdr = append(hdr, `,"typ":`...)
		hdr = append(hdr, t...)
	}
	hdr = append(hdr, '}')
	var sb strings.Builder
	sb.Grow(b64.EncodedLen(len(hdr)) + b64.EncodedLen(len(payload)) + 2 + 700)
	enc := func(b []byte) {
		buf := make([]byte, b64.EncodedLen(len(b)))
		b64.Encode(buf, b)
		sb.Write(buf)
	}
	enc(hdr)
	sb.WriteByte('.')
	enc(payload)
	sig, err := algs[k.alg].method.Sign(sb.String(), material)
	if err != nil {
		return "", err
	}
	sb.WriteByte('.')
	enc(sig)
	return sb.String(), nil
}

// token_use values.
const (
	useAccess  = "access"
	useRefresh = "refresh"
	usePurpose = "purpose"
)
