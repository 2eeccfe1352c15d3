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
	nonceLen    int      // length of the CSP with its nonces in

	// The same values as net/http header values, computed once: each a
	// one-element slice with no room to grow, shared by every response.
	staticValues [][]string
	hstsValue    []string

	// The same fields as bytes, for frameworks that copy header fields
	// from bytes (fasthttp); shared by every response, never written to.
	staticBytes []fieldBytes
	hstsBytes   fieldBytes
}

type fieldBytes struct{ name, value []byte }

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
// contain NoncePlaceholder. name must be an RFC 9110 token without a
// leading, trailing or doubled '-': net/http and fasthttp may spell such
// names differently ("a--b" is "A--B" on one, "A--b" on the other), and a
// policy sends the same fields on every framework. The rule is a little
// wider than the names they actually disagree on ("X-" agrees), so that
// it stays one line to remember. Default: the values of the
// Default* constants.
func WithHeader(name, value string) Option {
	return func(c *config) error {
		if !validName(name) {
			return fmt.Errorf("%w: header name %q", ErrInvalidOption, name)
		}
		if !sameOnEveryFramework(name) {
			return fmt.Errorf("%w: header name %q: a leading, trailing or doubled '-' may be spelled differently by net/http and fasthttp", ErrInvalidOption, name)
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
// something else sets it. A name WithHeader refuses is never in a policy:
// removing it changes nothing. Default: every header in this package is
// set.
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
	p.staticValues = make([][]string, len(p.static))
	for i, f := range p.static {
		p.staticValues[i] = headerValue(f.value)
	}
	p.hstsValue = headerValue(p.hsts)
	p.staticBytes = make([]fieldBytes, len(p.static))
	for i, f := range p.static {
		p.staticBytes[i] = fieldBytes{[]byte(f.name), []byte(f.value)}
	}
	p.hstsBytes = fieldBytes{[]byte(HSTS), []byte(p.hsts)}
	if p.nonceCSP != nil {
		p.nonceLen = len(csp) - (len(p.nonceCSP)-1)*(len(NoncePlaceholder)-nonceLen)
	}
	return p, nil
}

// headerValue is v as a net/http header value that an append by a handler
// copies instead of extending.
func headerValue(v string) []string {
	vs := []string{v}
	return vs[:1:1]
}

// Apply sets the policy's headers through set, which must replace any value
// already present. Names are passed in canonical form. secure reports
// whether the request arrived over TLS (or through a trusted
// TLS-terminating proxy); it matters only with
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
	n, err := p.newNonce()
	if err != nil {
		return ctx, err
	}
	set(ContentSecurityPolicy, n.csp[0])
	return context.WithValue(ctx, nonceKey{}, n), nil
}

// ApplyHeader is Apply for a net/http header map, without an allocation:
// the values are computed once per Policy and shared by every response
// (each a one-element slice without spare capacity, so a handler's
// Header().Add copies it). Change these headers with Header().Set, Add or
// Del, never by assigning into the slice the map holds, which would change
// them for every response. With nonces, the one allocation holds the
// nonce and the CSP that carries it (plus the context value).
func (p *Policy) ApplyHeader(ctx context.Context, h http.Header, secure bool) (context.Context, error) {
	for i, f := range p.static {
		h[f.name] = p.staticValues[i]
	}
	if p.hsts != "" && (secure || !p.hstsTLSOnly) {
		h[HSTS] = p.hstsValue
	}
	if p.nonceCSP == nil {
		return ctx, nil
	}
	n, err := p.newNonce()
	if err != nil {
		return ctx, err
	}
	h[ContentSecurityPolicy] = n.csp[:1:1]
	return context.WithValue(ctx, nonceKey{}, n), nil
}

// ApplyBytes is Apply for a framework that copies header fields from bytes
// (fasthttp's SetCanonical): names and values are converted once per
// Policy and shared by every response, so set must copy them and never
// write to them. Every name is in canonical form, which fasthttp's
// normalization leaves as it is (WithHeader refuses the names on which
// the two differ), and no value holds CR, LF or NUL, so set need not check
// either. With nonces, the CSP that carries the nonce is
// converted per request (one allocation more than Apply).
func (p *Policy) ApplyBytes(ctx context.Context, set func(name, value []byte), secure bool) (context.Context, error) {
	for _, f := range p.staticBytes {
		set(f.name, f.value)
	}
	if p.hsts != "" && (secure || !p.hstsTLSOnly) {
		set(p.hstsBytes.name, p.hstsBytes.value)
	}
	if p.nonceCSP == nil {
		return ctx, nil
	}
	n, err := p.newNonce()
	if err != nil {
		return ctx, err
	}
	set([]byte(ContentSecurityPolicy), []byte(n.csp[0]))
	return context.WithValue(ctx, nonceKey{}, n), nil
}

// Restore puts the policy's headers back when the framework reset the whole
// response after the handler (fasthttp's NotModified and Error do): when
// none of them is present, it sets them again, the CSP with the nonce
// already in ctx (or a fresh one, for a request Apply never saw). A
// response still holding any of them is left alone, so a handler that
// removed one header on purpose keeps it removed.
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
		n, ok := ctx.Value(nonceKey{}).(*nonce)
		if !ok {
			// Apply never ran: the server refused the request before any
			// handler (fasthttp's 431, 413, 408). No page uses the nonce.
			n, _ = p.newNonce()
		}
		if n != nil {
			set(ContentSecurityPolicy, n.csp[0])
		}
	}
}

// NonceBits is the entropy of a CSP nonce.
const NonceBits = 128

// nonceLen is the length of a nonce in base64.
const nonceLen = (NonceBits/8 + 2) / 3 * 4

// nonce is a request's CSP nonce and the Content-Security-Policy value that
// carries it; value is a substring of csp[0], so both cost one string.
type nonce struct {
	csp   [1]string
	value string
}

// newNonce draws a nonce and writes the CSP around it.
func (p *Policy) newNonce() (*nonce, error) {
	var raw [NonceBits / 8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("headers: reading random nonce: %w", err)
	}
	var enc [nonceLen]byte
	base64.StdEncoding.Encode(enc[:], raw[:])
	var b strings.Builder
	b.Grow(p.nonceLen)
	at := len(p.nonceCSP[0])
	for i, part := range p.nonceCSP {
		if i > 0 {
			b.Write(enc[:])
		}
		b.WriteString(part)
	}
	n := &nonce{}
	n.csp[0] = b.String()
	n.value = n.csp[0][at : at+nonceLen]
	return n, nil
}

type nonceKey struct{}

// NonceFrom returns the request's CSP nonce, or "" and false when nonces are
// off. Put it into inline <script nonce="…"> and <style nonce="…"> tags.
func NonceFrom(ctx context.Context) (string, bool) {
	n, ok := ctx.Value(nonceKey{}).(*nonce)
	if !ok {
		return "", false
	}
	return n.value, true
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

// sameOnEveryFramework reports whether the token name has no leading,
// trailing or doubled '-'. Then http.CanonicalHeaderKey and fasthttp's
// normalization agree on it (upper case at the start and after each '-',
// lower case elsewhere), so that fasthttp can take the canonical name as
// it is (ApplyBytes). Every name on which the two disagree has such a
// '-'; a few names that have one still agree ("X-") and are refused all
// the same.
func sameOnEveryFramework(name string) bool {
	return name[0] != '-' && name[len(name)-1] != '-' && !strings.Contains(name, "--")
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
