package headers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Default header values. They follow the seed guide and OWASP's secure
// headers project; each can be overridden with WithHeader or removed with
// Without.
const (
	DefaultHSTS                      = "max-age=63072000; includeSubDomains; preload"
	DefaultContentSecurityPolicy     = "default-src 'self'"
	DefaultContentTypeOptions        = "nosniff"
	DefaultFrameOptions              = "DENY"
	DefaultReferrerPolicy            = "strict-origin-when-cross-origin"
	DefaultPermissionsPolicy         = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
	DefaultCrossOriginOpenerPolicy   = "same-origin"
	DefaultCrossOriginResourcePolicy = "same-origin"
)

// Header names this package sets.
const (
	HSTS                      = "Strict-Transport-Security"
	ContentSecurityPolicy     = "Content-Security-Policy"
	ContentTypeOptions        = "X-Content-Type-Options"
	FrameOptions              = "X-Frame-Options"
	ReferrerPolicy            = "Referrer-Policy"
	PermissionsPolicy         = "Permissions-Policy"
	CrossOriginOpenerPolicy   = "Cross-Origin-Opener-Policy"
	CrossOriginResourcePolicy = "Cross-Origin-Resource-Policy"
)

// NoncePlaceholder is replaced, in a Content-Security-Policy set with
// WithHeader, by the request's nonce when nonces are on.
const NoncePlaceholder = "{nonce}"

// Policy is a compiled set of response headers. It is immutable and safe for
// concurrent use.
type Policy struct {
	static      []field // every header but HSTS and a nonce-bearing CSP
	hsts        string  // "" when removed
	hstsTLSOnly bool
	nonceCSP    []string // CSP split around NoncePlaceholder; nil when nonces are off
}

type field struct{ name, value string }

type config struct {
	values      map[string]string // canonical name → value; "" = removed
	order       []string
	hstsTLSOnly bool
	nonce       bool
}

// Option configures a Policy.
type Option func(*config) error

// WithHeader sets header name to value, replacing authkit's default for it or
// adding a header authkit does not set. A Content-Security-Policy value may
// contain NoncePlaceholder. Default: the values of the Default* constants.
func WithHeader(name, value string) Option {
	return func(c *config) error {
		if !validName(name) {
			return fmt.Errorf("%w: header name %q", ErrInvalidOption, name)
		}
		if value == "" || strings.ContainsAny(value, "\r\n\x00") {
			return fmt.Errorf("%w: value for %s must be non-empty and free of CR, LF and NUL (use Without to remove a header)", ErrInvalidOption, name)
		}
		c.set(http.CanonicalHeaderKey(name), value)
		return nil
	}
}

// Without removes header name from the policy, so authkit does not set it.
// Removing a security header weakens the application: do it only where
// something else sets it. Default: every header in this package is set.
func Without(name string) Option {
	return func(c *config) error {
		if !validName(name) {
			return fmt.Errorf("%w: header name %q", ErrInvalidOption, name)
		}
		c.set(http.CanonicalHeaderKey(name), "")
		return nil
	}
}

// WithoutHSTS removes Strict-Transport-Security. Same as Without(HSTS).
// Default: HSTS on every response.
func WithoutHSTS() Option { return Without(HSTS) }

// WithHSTSOnlyOverTLS sends Strict-Transport-Security only on requests the
// caller reports as secure (Apply's secure argument: TLS, or a trusted
// TLS-terminating proxy). Browsers ignore HSTS over plain HTTP anyway, so the
// default sends it everywhere, which also covers proxies nobody configured.
// Default: off (HSTS on every response).
func WithHSTSOnlyOverTLS() Option {
	return func(c *config) error { c.hstsTLSOnly = true; return nil }
}

// WithNonce turns on a fresh CSP nonce per request: 128 bits from crypto/rand,
// readable with NonceFrom(ctx) by handlers and templates, and placed into the
// Content-Security-Policy. When the policy holds NoncePlaceholder, each
// occurrence is replaced; otherwise "script-src 'self' 'nonce-…'" and
// "style-src 'self' 'nonce-…'" are appended. Default: off.
func WithNonce() Option {
	return func(c *config) error { c.nonce = true; return nil }
}

func (c *config) set(name, value string) {
	if _, ok := c.values[name]; !ok {
		c.order = append(c.order, name)
	}
	c.values[name] = value
}

// New compiles a Policy from the defaults and opts.
func New(opts ...Option) (*Policy, error) {
	c := &config{values: map[string]string{}}
	for _, d := range []field{
		{HSTS, DefaultHSTS},
		{ContentSecurityPolicy, DefaultContentSecurityPolicy},
		{ContentTypeOptions, DefaultContentTypeOptions},
		{FrameOptions, DefaultFrameOptions},
		{ReferrerPolicy, DefaultReferrerPolicy},
		{PermissionsPolicy, DefaultPermissionsPolicy},
		{CrossOriginOpenerPolicy, DefaultCrossOriginOpenerPolicy},
		{CrossOriginResourcePolicy, DefaultCrossOriginResourcePolicy},
	} {
		c.set(d.name, d.value)
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	p := &Policy{hsts: c.values[HSTS], hstsTLSOnly: c.hstsTLSOnly}
	csp := c.values[ContentSecurityPolicy]
	if strings.Contains(csp, NoncePlaceholder) && !c.nonce {
		return nil, fmt.Errorf("%w: Content-Security-Policy holds %s but WithNonce is not set", ErrInvalidOption, NoncePlaceholder)
	}
	if c.nonce {
		if csp == "" {
			return nil, fmt.Errorf("%w: WithNonce needs a Content-Security-Policy", ErrInvalidOption)
		}
		if !strings.Contains(csp, NoncePlaceholder) {
			csp += "; script-src 'self' 'nonce-" + NoncePlaceholder + "'; style-src 'self' 'nonce-" + NoncePlaceholder + "'"
		}
		p.nonceCSP = strings.Split(csp, NoncePlaceholder)
	}
	for _, name := range c.order {
		v := c.values[name]
		if v == "" || name == HSTS || (name == ContentSecurityPolicy && c.nonce) {
			continue
		}
		p.static = append(p.static, field{name, v})
	}
	return p, nil
}

// Apply sets the policy's headers through set, which must replace any value
// already present. Names are passed in canonical form. secure reports whether the request arrived over TLS (or
// through a trusted TLS-terminating proxy); it matters only with
// WithHSTSOnlyOverTLS. When nonces are on, Apply returns ctx carrying a fresh
// nonce; otherwise it returns ctx unchanged.
func (p *Policy) Apply(ctx context.Context, set func(name, value string), secure bool) (context.Context, error) {
	for _, f := range p.static {
		set(f.name, f.value)
	}
	if p.hsts != "" && (secure || !p.hstsTLSOnly) {
		set(HSTS, p.hsts)
	}
	if p.nonceCSP == nil {
		return ctx, nil
	}
	nonce, err := newNonce()
	if err != nil {
		return ctx, err
	}
	set(ContentSecurityPolicy, strings.Join(p.nonceCSP, nonce))
	return context.WithValue(ctx, nonceKey{}, nonce), nil
}

// ApplyHeader is Apply for a net/http header map: the values of one request
// share a single backing array (each entry capped, so an append by the
// handler never reaches its neighbour), which saves an allocation per
// header.
func (p *Policy) ApplyHeader(ctx context.Context, h http.Header, secure bool) (context.Context, error) {
	vals := make([]string, 0, len(p.static)+2)
	return p.Apply(ctx, func(name, value string) {
		vals = append(vals, value)
		n := len(vals)
		h[name] = vals[n-1 : n : n]
	}, secure)
}

// Restore puts the policy's headers back when the framework reset the whole
// response after the handler (fasthttp's NotModified and Error do): when
// none of them is present, it sets them again, the CSP with the nonce
// already in ctx (or a fresh one, for a request Apply never saw). A response still holding any of them is left alone, so a
// handler that removed one header on purpose keeps it removed.
func (p *Policy) Restore(ctx context.Context, get func(name string) string, set func(name, value string), secure bool) {
	for _, f := range p.static {
		if get(f.name) != "" {
			return
		}
	}
	if (p.hsts != "" && get(HSTS) != "") || (p.nonceCSP != nil && get(ContentSecurityPolicy) != "") {
		return
	}
	for _, f := range p.static {
		set(f.name, f.value)
	}
	if p.hsts != "" && (secure || !p.hstsTLSOnly) {
		set(HSTS, p.hsts)
	}
	if p.nonceCSP != nil {
		nonce, ok := NonceFrom(ctx)
		if !ok {
			// Apply never ran: the server refused the request before any
			// handler (fasthttp's 431, 413, 408). No page uses the nonce.
			nonce, _ = newNonce()
		}
		if nonce != "" {
			set(ContentSecurityPolicy, strings.Join(p.nonceCSP, nonce))
		}
	}
}

// NonceBits is the entropy of a CSP nonce.
const NonceBits = 128

func newNonce() (string, error) {
	var b [NonceBits / 8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("headers: reading random nonce: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

type nonceKey struct{}

// NonceFrom returns the request's CSP nonce, or "" and false when nonces are
// off. Put it into inline <script nonce="…"> and <style nonce="…"> tags.
func NonceFrom(ctx context.Context) (string, bool) {
	n, ok := ctx.Value(nonceKey{}).(string)
	return n, ok
}

// HSTSValue formats a Strict-Transport-Security value, for use with
// WithHeader(HSTS, …). A maxAge under a year cannot be preloaded.
func HSTSValue(maxAgeSeconds int, includeSubDomains, preload bool) string {
	v := "max-age=" + strconv.Itoa(maxAgeSeconds)
	if includeSubDomains {
		v += "; includeSubDomains"
	}
	if preload {
		v += "; preload"
	}
	return v
}

// validName reports whether name is an RFC 9110 token.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
