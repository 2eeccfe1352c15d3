package session

import (
	"fmt"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/audit"
)

// Cookie names the Manager uses by default. The prefixes make browsers
// enforce the cookie's attributes: "__Host-" requires Secure, Path=/ and no
// Domain; "__Secure-" requires Secure.
const (
	DefaultCookieName       = "__Host-session"
	DomainCookieName        = "__Secure-session"
	InsecureCookieName      = "session"
	defaultIdleTimeout      = 30 * time.Minute
	defaultAbsoluteLifetime = 12 * time.Hour
	defaultTouchInterval    = time.Minute
)

type config struct {
	store      Store
	idle       time.Duration
	absolute   time.Duration
	touchEvery time.Duration
	now        func() time.Time
	audit      audit.Sink
	cookieName string
	domain     string
	insecure   bool
}

// Option configures a Manager.
type Option func(*config)

// WithStore sets where sessions live. Use a Redis store
// (core/session/redisstore) when more than one process serves the same
// users.
// Default: a MemoryStore with its defaults.
func WithStore(s Store) Option { return func(c *config) { c.store = s } }

// WithIdleTimeout sets how long a session lives without being used. Each
// Load slides it; the server enforces it whatever the cookie says.
// Default: 30m.
func WithIdleTimeout(d time.Duration) Option { return func(c *config) { c.idle = d } }

// WithAbsoluteLifetime sets how long a session lives after Create however
// busy it is; Rotate keeps the original creation time.
// Default: 12h.
func WithAbsoluteLifetime(d time.Duration) Option { return func(c *config) { c.absolute = d } }

// WithTouchInterval sets how stale a session's LastSeen may grow before a
// Load rewrites it. A read-only Load only slides the expiry, which is cheap;
// rewriting LastSeen costs a write of the whole record, so it happens at most
// once per interval. Must be shorter than the idle timeout.
// Default: 1m.
func WithTouchInterval(d time.Duration) Option { return func(c *config) { c.touchEvery = d } }

// WithClock sets the clock the Manager reads for every lifetime decision.
// Tests pass a fake one.
// Default: time.Now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithAudit sets where session created/rotated/destroyed events go. Events
// carry a hash hint in Event.Family, never the session id.
// Default: audit.Default() (log/slog).
func WithAudit(s audit.Sink) Option { return func(c *config) { c.audit = s } }

// WithCookieName sets the session cookie's name. Keep the "__Host-" prefix
// unless the cookie must be shared with subdomains.
// Default: "__Host-session".
func WithCookieName(name string) Option { return func(c *config) { c.cookieName = name } }

// WithCookieDomain shares the cookie with domain and its subdomains. The
// "__Host-" prefix forbids a Domain, so the default name becomes
// "__Secure-session". SECURITY WARNING: every subdomain can then read and set
// the session cookie.
// Default: none (host-only cookie).
func WithCookieDomain(domain string) Option { return func(c *config) { c.domain = domain } }

// WithInsecureCookies drops the Secure attribute, and with it the "__Host-"
// prefix (the default name becomes "session"), so the cookie works over
// plain HTTP. SECURITY WARNING: for local development only; over HTTP the
// session id travels in clear text.
// Default: Secure cookies.
func WithInsecureCookies() Option { return func(c *config) { c.insecure = true } }

func newConfig(opts []Option) (config, error) {
	c := config{
		idle:       defaultIdleTimeout,
		absolute:   defaultAbsoluteLifetime,
		touchEvery: defaultTouchInterval,
		now:        time.Now,
		audit:      audit.Default(),
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case c.idle <= 0:
		return c, fmt.Errorf("%w: idle timeout %v must be positive", ErrInvalidConfig, c.idle)
	case c.absolute < c.idle:
		return c, fmt.Errorf("%w: absolute lifetime %v is shorter than the idle timeout %v", ErrInvalidConfig, c.absolute, c.idle)
	case c.touchEvery <= 0 || c.touchEvery >= c.idle:
		return c, fmt.Errorf("%w: touch interval %v must be positive and shorter than the idle timeout", ErrInvalidConfig, c.touchEvery)
	case c.now == nil:
		return c, fmt.Errorf("%w: nil clock", ErrInvalidConfig)
	case c.audit == nil:
		return c, fmt.Errorf("%w: nil audit sink", ErrInvalidConfig)
	case strings.ContainsAny(c.domain, " ;,\t\r\n"):
		return c, fmt.Errorf("%w: cookie domain %q", ErrInvalidConfig, c.domain)
	}
	if c.cookieName == "" {
		switch {
		case c.insecure:
			c.cookieName = InsecureCookieName
		case c.domain != "":
			c.cookieName = DomainCookieName
		default:
			c.cookieName = DefaultCookieName
		}
	}
	if !validCookieName(c.cookieName) {
		return c, fmt.Errorf("%w: cookie name %q", ErrInvalidConfig, c.cookieName)
	}
	if strings.HasPrefix(c.cookieName, "__Host-") && (c.insecure || c.domain != "") {
		return c, fmt.Errorf("%w: a __Host- cookie must be Secure and have no Domain", ErrInvalidConfig)
	}
	if strings.HasPrefix(c.cookieName, "__Secure-") && c.insecure {
		return c, fmt.Errorf("%w: a __Secure- cookie must be Secure", ErrInvalidConfig)
	}
	if c.store == nil {
		m, err := NewMemoryStore()
		if err != nil {
			return c, err
		}
		c.store = m
	}
	return c, nil
}

// validCookieName accepts an RFC 6265 token.
func validCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, b) >= 0 {
			return false
		}
	}
	return true
}
