package app

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/account"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/token"
)

// DefaultRedisPrefix, followed by the server's name and a colon
// ("authkit-example:gin:"), prefixes every Redis key the example writes when
// AUTHKIT_REDIS_PREFIX is unset. Each example server thus keeps its own
// users, sessions and key on a shared Redis: running the same scenario
// against all four does not collide, and restarting one keeps its data.
const DefaultRedisPrefix = "authkit-example:"

// The default rate limits (-rate-ip, -rate-login), per minute with a burst
// of as many.
const (
	DefaultRateIP    = 30
	DefaultRateLogin = 5
)

// maxRate bounds -rate-ip and -rate-login: far above any real limit, so
// tests can lift the limits, and far below what ratelimit.Limit refuses.
const maxRate = 100_000_000

// Config is what the example servers read from their flags and environment.
type Config struct {
	// Addr is the listen address (-addr).
	Addr string
	// KeyFile is a PEM private key to sign tokens with (-key); empty means
	// a generated ES256 key (kept in Redis when Redis is used).
	KeyFile string
	// Admins are usernames given the role admin at each sign-in while the
	// flag is given (-admin, repeatable); the role is not written into the
	// account. WHOEVER REGISTERS SUCH A NAME FIRST OWNS THAT ACCOUNT: New
	// warns about each one that does not exist yet.
	Admins []string
	// InsecureCookies drops Secure and the __Host- and __Secure- prefixes
	// from the session and refresh cookies (-insecure-cookies), for plain
	// HTTP on a non-localhost address.
	InsecureCookies bool
	// TrustedProxies are the proxies (addresses or CIDR prefixes) whose
	// X-Forwarded-For and X-Forwarded-Proto are believed (-trusted-proxy,
	// repeatable; guard.WithTrustedProxies). Default: none.
	TrustedProxies []string
	// DevFastHash hashes passwords with cheap argon2id parameters
	// (-dev-fast-hash). NEVER FOR PRODUCTION: it makes stolen hashes cheap
	// to crack. The end-to-end tests use it to stay fast.
	DevFastHash bool
	// RedisURL (env REDIS_URL) switches every store to Redis.
	RedisURL string
	// RedisPrefix (env AUTHKIT_REDIS_PREFIX) prefixes every Redis key.
	RedisPrefix string
	// Redis, when set, is the client every store uses instead of one for
	// RedisURL (tests set it: a Redis Cluster, a client through a fault
	// proxy); the App does not close it.
	Redis redis.UniversalClient
	// OAuth is the sign-in at an OpenID provider (-oauth-issuer, ...).
	OAuth OAuthConfig
	// GuardOptions are extra guard options (tests use them).
	GuardOptions []guard.Option
	// MFAOptions are extra options of the MFA manager (tests give it a
	// clock).
	MFAOptions []mfa.Option
	// TokenOptions are extra options of the token issuer (the soak test
	// bounds its verified-token cache).
	TokenOptions []token.IssuerOption
	// KeepOtherSignInsOnMFAChange keeps the user's other sessions and
	// token sign-ins alive when MFA is turned on or off. By default they
	// end (guard.SignOutOthers): the account's protection changed, so a
	// session an attacker holds must not outlive it. Default: false.
	KeepOtherSignInsOnMFAChange bool
	// SecurityNotifier is told when MFA is turned on or off and when the
	// recovery codes are replaced, to send the user a security notice.
	// Default: nil, none.
	SecurityNotifier SecurityNotifier
	// Audit receives the authentication events; nil means audit.Default().
	Audit audit.Sink
	// AppKeyFile holds the application key in base64 (-app-key): at
	// least 32 random bytes, from which the MFA sealing, OAuth state and
	// audit keys are derived (HKDF, one label each).
	AppKeyFile string
	// AppKeyEnv is the application key itself, from AUTHKIT_APP_KEY, used
	// when AppKeyFile is empty. Without either a key is generated at start,
	// and on Redis kept there (SET NX) so restarts and several instances
	// agree — A DEMO CONVENIENCE, like the signing key.
	AppKeyEnv string
	// RateIP is how many requests per minute (burst as many) one client
	// IP may make to the rate-limited endpoints together (-rate-ip):
	// POST /login, /login/mfa, /register, /token/refresh, /mfa/confirm
	// and /password/forgot. 0 means DefaultRateIP.
	RateIP int
	// RateLogin is how many sign-in attempts per minute (burst as many)
	// one account name may get (-rate-login). 0 means DefaultRateLogin.
	RateLogin int
	// MailDir makes the demo mailer write each message as one file
	// DIR/<unix-nanos>-<username>.eml (-mail-dir); empty means the log,
	// with the token redacted (unless SMTPAddr is set).
	MailDir string
	// SMTPAddr sends mail through this server, host:port (-smtp-addr),
	// STARTTLS required, signing in as SMTPUsername/SMTPPassword (env
	// SMTP_USERNAME, SMTP_PASSWORD) when set.
	SMTPAddr, SMTPUsername, SMTPPassword string
	// MailFrom is the sender of every message (-mail-from).
	MailFrom string
	// ResetLink and VerifyLink are the pages a reset or verification
	// message links to (-reset-link, -verify-link), with the token in the
	// fragment; empty sends no link, only the token.
	ResetLink, VerifyLink string
	// Mailer, when set, replaces the mailer MailDir and SMTPAddr choose
	// (tests use it).
	Mailer account.Mailer
	// RequireVerifiedEmail refuses sign-in (403) to an account whose email
	// is not verified, and makes /register take an email and mail it a
	// verification token (-require-verified-email). Default: off.
	RequireVerifiedEmail bool
	// RateLimitedRoutes are more routes ("POST /signin") that share the
	// per-client-IP bucket of the package's RateLimitedRoutes (-rate-ip):
	// the demo's form handlers, which sign in, sign up and mail like the
	// JSON endpoints they call. Default: none.
	RateLimitedRoutes []string
	// FlowLimitedRoutes are more routes ("POST /reset") that share the
	// per-client-IP bucket of the package's FlowLimitedRoutes (-rate-ip):
	// the demo's form handlers that redeem a mailed token or end a
	// device's session, like the JSON endpoints they call. Default: none.
	FlowLimitedRoutes []string
	// RateLimitClock is the rate limits' clock, for tests that move it;
	// nil means the store's own (the monotonic clock in memory, the
	// server's TIME on Redis).
	RateLimitClock func() time.Time
	// AuditKey keys the HMAC that login.failed events name an unknown
	// username by. Empty means the key derived from the application key,
	// so the hashes compare across restarts when the application key is
	// kept.
	AuditKey []byte
}

// DefaultMailFrom is the sender of the example's mail (-mail-from).
const DefaultMailFrom = "authkit example <no-reply@localhost>"

// listFlag is a repeatable string flag.
type listFlag struct{ vals *[]string }

func (l listFlag) String() string {
	if l.vals == nil {
		return ""
	}
	return strings.Join(*l.vals, ",")
}

func (l listFlag) Set(s string) error {
	*l.vals = append(*l.vals, s)
	return nil
}

// ParseFlags reads the servers' common flags from args and the Redis
// settings from the environment (getenv, os.Getenv when nil).
func ParseFlags(name string, args []string, stderr io.Writer, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&cfg.KeyFile, "key", "", "PEM private key to sign tokens with (P-256 → ES256, Ed25519 → EdDSA, RSA → RS256); default: a generated ES256 key")
	fs.Var(listFlag{&cfg.Admins}, "admin", "give this username the role admin at sign-in while the flag is given (repeatable); whoever registers the name first owns that account, so register it before others can reach the server")
	fs.BoolVar(&cfg.InsecureCookies, "insecure-cookies", false, "drop Secure and the __Host-/__Secure- prefixes from the session and refresh cookies (plain HTTP on a non-localhost address; development only)")
	fs.Var(listFlag{&cfg.TrustedProxies}, "trusted-proxy", "believe X-Forwarded-For and X-Forwarded-Proto from this address or CIDR prefix (repeatable); only proxies you run")
	fs.StringVar(&cfg.AppKeyFile, "app-key", "", "file holding the application key (base64, >= 32 random bytes; env "+AppKeyEnv+"); the MFA sealing, OAuth state and audit keys derive from it; default: generated at start (kept in Redis with REDIS_URL)")
	fs.IntVar(&cfg.RateIP, "rate-ip", DefaultRateIP, "requests per minute (burst as many) one client IP may make to POST /login, /login/mfa, /register, /token/refresh, /mfa/confirm and /password/forgot together; /password/reset, /email/verify and /sessions/revoke share a second bucket of the same size, and with OAuth GET /oauth/callback a third")
	fs.IntVar(&cfg.RateLogin, "rate-login", DefaultRateLogin, "sign-in attempts per minute (burst as many) per account name, whether the account exists or not")
	fs.StringVar(&cfg.MailDir, "mail-dir", "", "write each mail as one file DIR/<unix-nanos>-<username>.eml (tests, demos); default: the log, with tokens redacted")
	fs.StringVar(&cfg.SMTPAddr, "smtp-addr", "", "send mail through this SMTP server, host:port (STARTTLS required; env SMTP_USERNAME, SMTP_PASSWORD)")
	fs.StringVar(&cfg.MailFrom, "mail-from", DefaultMailFrom, "the sender of every mail")
	fs.StringVar(&cfg.ResetLink, "reset-link", "", "the page a reset mail links to, the token in the fragment (#token=...); default: no link, the token only")
	fs.StringVar(&cfg.VerifyLink, "verify-link", "", "the page a verification mail links to, the token in the fragment; default: no link")
	fs.BoolVar(&cfg.RequireVerifiedEmail, "require-verified-email", false, "refuse sign-in until the account's email is verified; /register then needs an email and mails a verification token")
	fs.BoolVar(&cfg.DevFastHash, "dev-fast-hash", false, "cheap password hashing for tests and demos; NEVER IN PRODUCTION")
	oauthFlags(fs, &cfg.OAuth)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [flags]\n\nServes authkit's reference API. Memory stores unless REDIS_URL is set\n(AUTHKIT_REDIS_PREFIX prefixes the keys; default %q).\n\n", name, DefaultRedisPrefix+name+":")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments: %q\n", name, fs.Args())
		return Config{}, fmt.Errorf("unexpected arguments")
	}
	for _, r := range []struct {
		name string
		n    int
	}{{"-rate-ip", cfg.RateIP}, {"-rate-login", cfg.RateLogin}} {
		if r.n < 1 || r.n > maxRate {
			fmt.Fprintf(stderr, "%s: %s %d: want 1 to %d per minute\n", name, r.name, r.n, maxRate)
			return Config{}, fmt.Errorf("%s out of range", r.name)
		}
	}
	if len(cfg.TrustedProxies) > 0 {
		cfg.GuardOptions = append(cfg.GuardOptions, guard.WithTrustedProxies(cfg.TrustedProxies...))
	}
	cfg.AppKeyEnv = getenv(AppKeyEnv)
	oauthFromEnv(&cfg.OAuth, getenv)
	cfg.SMTPUsername, cfg.SMTPPassword = getenv("SMTP_USERNAME"), getenv("SMTP_PASSWORD")
	cfg.RedisURL = getenv("REDIS_URL")
	cfg.RedisPrefix = getenv("AUTHKIT_REDIS_PREFIX")
	if cfg.RedisPrefix == "" {
		cfg.RedisPrefix = DefaultRedisPrefix + name + ":"
	}
	return cfg, nil
}
