package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/ratelimit"
	rlredis "github.com/authkit-go/authkit/core/ratelimit/redisstore"
)

// RateLimitedRoutes share one bucket per client IP (-rate-ip): the
// sign-in, sign-up, token and factor endpoints. The guard's rate-limit
// step charges every request to them before anything else reads it, so
// 400 and 415 answers count too; a route that does not exist yet is
// limited all the same.
var RateLimitedRoutes = []string{
	"POST /login", "POST /login/mfa", "POST /register",
	"POST /token/refresh", "POST /mfa/confirm", "POST /password/forgot",
}

// FlowLimitedRoutes share another bucket per client IP, of the same size
// (-rate-ip): the endpoints that redeem a mailed token and the one that
// ends a device's session. Their tokens cannot be guessed, so the limit
// only keeps a client from hammering them; it is a bucket of its own so
// that following a mailed link never costs a sign-in attempt.
var FlowLimitedRoutes = []string{
	"POST /password/reset", "POST /email/verify", "POST /sessions/revoke",
}

// rateLimits are the example's limits: per client IP at the guard's step,
// per account in the sign-in flows. Both fail closed: with their store
// down, the endpoints answer 503 rather than let guesses through.
type rateLimits struct {
	perIP  *ratelimit.Limiter
	ip     *ratelimit.RequestLimit
	flowIP *ratelimit.Limiter      // FlowLimitedRoutes' limiter
	flows  *ratelimit.RequestLimit // per client IP on FlowLimitedRoutes
	logins *ratelimit.LoginThrottle
	mail   *ratelimit.RequestLimit // per user, on the endpoints that mail (flows_account.go)
	mailer *ratelimit.Limiter      // mail's limiter
	mailTo *ratelimit.Limiter      // per address a request names (flows_account.go)
	// oauth limits the OAuth callback per client IP (nil without OAuth):
	// each callback whose state cookie opens costs a token request to the
	// provider with the client's secret, and a stranger who began one
	// sign-in can keep its cookie and send callbacks as fast as he likes.
	// It is a bucket of its own ("oauth", -rate-ip per minute), so a
	// sign-in costs the sign-in endpoints' bucket nothing.
	oauth   *ratelimit.RequestLimit
	oauthIP *ratelimit.Limiter // oauth's limiter
}

// newRateLimits builds the limits of cfg on Redis when the App uses Redis
// (under the App's prefix, so servers sharing it share every limit), else
// in memory. Their refusals are audited, coalesced, under the audit key.
func (a *App) newRateLimits(cfg Config) error {
	perIP, perLogin := cfg.RateIP, cfg.RateLogin
	if perIP == 0 {
		perIP = DefaultRateIP
	}
	if perLogin == 0 {
		perLogin = DefaultRateLogin
	}
	if perIP < 0 || perIP > maxRate || perLogin < 0 || perLogin > maxRate {
		return fmt.Errorf("rate limits %d (per IP) and %d (per account) per minute: want 1 to %d", perIP, perLogin, maxRate)
	}
	var store ratelimit.Store
	var err error
	switch {
	case a.redis != nil && cfg.RateLimitClock != nil:
		store, err = rlredis.New(a.redis, rlredis.WithPrefix(cfg.RedisPrefix+"rl:"), rlredis.WithClock(cfg.RateLimitClock))
	case a.redis != nil:
		store, err = rlredis.New(a.redis, rlredis.WithPrefix(cfg.RedisPrefix+"rl:"))
	case cfg.RateLimitClock != nil:
		store, err = ratelimit.NewMemoryStore(ratelimit.WithClock(cfg.RateLimitClock))
	default:
		store, err = ratelimit.NewMemoryStore()
	}
	if err != nil {
		return err
	}
	opts := []ratelimit.Option{ratelimit.WithAudit(a.audit), ratelimit.WithAuditKey(a.auditKey)}
	l := &rateLimits{}
	if l.perIP, err = ratelimit.New("ip", ratelimit.PerMinute(perIP), store, opts...); err != nil {
		return err
	}
	if l.ip, err = ratelimit.NewRequestLimit(l.perIP, ratelimit.ByIP(), ratelimit.OnRoutes(append(slices.Clone(RateLimitedRoutes), cfg.RateLimitedRoutes...)...)); err != nil {
		return err
	}
	if l.flowIP, err = ratelimit.New("flows", ratelimit.PerMinute(perIP), store, opts...); err != nil {
		return err
	}
	if l.flows, err = ratelimit.NewRequestLimit(l.flowIP, ratelimit.ByIP(), ratelimit.OnRoutes(append(slices.Clone(FlowLimitedRoutes), cfg.FlowLimitedRoutes...)...)); err != nil {
		return err
	}
	if l.logins, err = ratelimit.NewLoginThrottle(store, ratelimit.PerMinute(perLogin), opts...); err != nil {
		return err
	}
	if l.mailer, l.mail, l.mailTo, err = newMailLimits(store, opts); err != nil {
		return err
	}
	if cfg.OAuth.Issuer != "" {
		// Every method of the path: GET and HEAD both run the callback.
		if l.oauthIP, err = ratelimit.New("oauth", ratelimit.PerMinute(perIP), store, opts...); err != nil {
			return err
		}
		if l.oauth, err = ratelimit.NewRequestLimit(l.oauthIP, ratelimit.ByIP(), ratelimit.OnRoutes(oauthCallbackPath)); err != nil {
			return err
		}
	}
	a.limits = l
	return nil
}

// flushAudit emits the coalesced rate-limit events still gathering
// counts; Close calls it.
func (l *rateLimits) flushAudit(ctx context.Context) {
	l.perIP.FlushAudit(ctx)
	l.flowIP.FlushAudit(ctx)
	l.logins.FlushAudit(ctx)
	l.mailer.FlushAudit(ctx)
	l.mailTo.FlushAudit(ctx)
	if l.oauthIP != nil {
		l.oauthIP.FlushAudit(ctx)
	}
}

// signInAttempt is one sign-in attempt charged to its account's bucket.
type signInAttempt struct {
	attempt *ratelimit.Attempt
	// all are the request's decisions: the IP's from the guard's step, the
	// account's.
	all ratelimit.Decisions
}

// throttleSignIn charges a sign-in attempt for username to the bucket of
// its account (-rate-login): call it once the username is parsed, before
// anything is checked, whether the account exists or not, so that a 429
// never tells which names exist. It is the call for every endpoint that
// tries credentials or acts for a named account: /login (the username
// typed), /login/mfa (the mfa_token's subject), /password/forgot (the
// username typed). The buckets are shared: each of these counts against
// the same per-account budget.
//
// A stranger cannot lock the owner out (ratelimit.LoginThrottle): when the
// account's bucket is empty, a client network that signed in to the
// account before still gets attempts of its own; everybody else waits.
// "Signed in" is a 200 that done sees.
//
// It returns the answer to send instead when the attempt must not go on:
// 429 with Retry-After and the RateLimit fields of every policy applied
// (ip and account), or 503 when the store cannot decide. Otherwise the
// flow answers through done.
func (a *App) throttleSignIn(r Request, username string) (*signInAttempt, *Response) {
	at, err := a.limits.logins.Begin(r.Ctx, username, clientNetwork(r.ClientIP))
	if err != nil {
		slog.WarnContext(r.Ctx, "the sign-in throttle could not decide", "error", err)
		return nil, ref(answer(guard.ProblemFor(err)))
	}
	s := &signInAttempt{attempt: at, all: append(ratelimit.DecisionsFrom(r.Ctx), at.Decisions()...)}
	if !at.Allowed() {
		return nil, ref(answer(guard.ProblemFor(s.all.Err())))
	}
	return s, nil
}

// done finishes the attempt with the flow's answer resp: a 200 is a
// successful sign-in, which gives back what a failure costs more and marks
// the client known to the account; every answer gets the RateLimit-Policy
// and RateLimit fields of the IP and account limits together. Use it as
//
//	at, refused := a.throttleSignIn(r, name)
//	if refused != nil {
//		return *refused
//	}
//	defer func() { resp = at.done(r, resp) }()
func (s *signInAttempt) done(r Request, resp Response) Response {
	if resp.Status == http.StatusOK {
		if err := s.attempt.Succeeded(r.Ctx); err != nil {
			// The sign-in stands; only the refund and the known mark are lost.
			slog.WarnContext(r.Ctx, "recording a sign-in with the throttle failed", "error", err)
		}
	}
	f := s.all.Fields()
	if f.Policy == "" && f.RateLimit == "" {
		return resp
	}
	h := make(map[string]string, len(resp.Header)+2)
	for k, v := range resp.Header {
		h[k] = v
	}
	// Canonical names, as a problem's Header holds them, so that Encode
	// never sees one field under two spellings.
	if f.Policy != "" {
		h[http.CanonicalHeaderKey(ratelimit.HeaderPolicy)] = f.Policy
	}
	if f.RateLimit != "" {
		h[http.CanonicalHeaderKey(ratelimit.HeaderRateLimit)] = f.RateLimit
	}
	resp.Header = h
	return resp
}

// clientNetwork is what the sign-in throttle knows a client by: its
// network (IPv4 address, IPv6 /64), "" when the address is unknown (never
// known then).
func clientNetwork(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	k, err := ratelimit.IPKey(addr)
	if err != nil {
		return ""
	}
	return k.Value
}
