// Package ratelimit limits how fast a client, user, route or account may
// go, on a memory store or Redis, and throttles sign-in attempts per account
// without letting a stranger lock the owner out.
//
// # Wiring
//
//	store, err := ratelimit.NewMemoryStore()      // or redisstore.New(redisClient)
//	perIP, err := ratelimit.New("ip", ratelimit.PerMinute(60), store)
//	logins, err := ratelimit.NewLoginThrottle(store, ratelimit.PerMinute(5))
//
//	// per request, before anything else reads the body (the guard does this):
//	key, err := ratelimit.IPKey(clientAddr)        // the trusted-proxy-checked address
//	ds, err := ratelimit.Decide(ctx, perIP.Check(key, 1))
//	fields := ds.Fields()                          // RateLimit-Policy, RateLimit, Retry-After
//	switch {
//	case err != nil:   // the store is down and the limiter fails closed: 503
//	case !ds.Allowed(): // 429 with fields.RetryAfter
//	}
//
//	// in the sign-in flow, once the username is parsed:
//	attempt, err := logins.Begin(ctx, username, deviceOrNetwork)
//	if err != nil { /* 503 */ }
//	if !attempt.Allowed() { /* 429 with attempt.Decisions().Fields() */ }
//	if passwordMatches { err = attempt.Succeeded(ctx) }
//
// # With the guard
//
// RequestLimit puts limiters in front of HTTP requests through the guard:
//
//	perIP, err := ratelimit.New("ip", ratelimit.PerMinute(30), store)
//	signIn, err := ratelimit.NewRequestLimit(perIP, ratelimit.ByIP(),
//		ratelimit.OnRoutes("POST /login", "POST /register", "POST /token/refresh"))
//	g, err := guard.New(guard.WithRateLimit(signIn), ...)  // the guard's rate-limit step
//
//	perUser, err := ratelimit.New("user", ratelimit.PerMinute(100), store)
//	exports, err := ratelimit.NewRequestLimit(perUser, ratelimit.ByUser())
//	authhttp.Require(guard.Authenticated(), guard.RateLimit(g, exports)) // a route rule
//
// Limits by client address belong at the step: it runs before the origin
// check, the session and the token, so a flood costs one decision and no
// body is read. The address is the guard's (trusted proxies only). Limits
// by user or route belong on the route, after authentication. Both answer
// a refusal with 429 and Retry-After, and every admitted answer of a
// limited endpoint with RateLimit-Policy and RateLimit (unless
// WithoutAdmittedFields). The decisions of one request add up in its
// context (DecisionsFrom): a sign-in flow that then calls a LoginThrottle
// answers with the IP's policy and the account's together.
//
// # Why GCRA
//
// Every limit is a Generic Cell Rate Algorithm bucket ("N per period with
// burst B"), the algorithm of go-redis/redis_rate and of ATM networks. Its
// state is one instant per key, the theoretical arrival time (TAT), so a
// decision reads and writes one small value and a key whose TAT has
// passed needs no state at all. It is smooth: units come back one every
// period/N instead of all at a window's edge. A fixed window lets a client
// spend 2N around the edge of two windows, and makes every client retry at
// the same instant; a sliding log stores every request (O(N) per key); a
// sliding-window counter is approximate and still keeps two counters. GCRA
// gives exact answers for remaining units, reset and retry-after at O(1).
//
// The arithmetic is in whole microseconds (Store says exactly what a store
// computes); the emission interval is period/N rounded up, so a limit never
// admits more than it says.
//
// # Several limits, costs
//
// Decide applies several limits at one point of a request in one store
// call (one Redis round trip on a single server). Each is charged on its
// own, so every attempt counts against every limit the client is under. A
// request may cost more than one unit (Allow's cost), and cost 0 asks
// without charging.
//
// # Header fields
//
// Decisions.Fields formats the response header fields of
// draft-ietf-httpapi-ratelimit-headers-09, "RateLimit header fields for
// HTTP": RateLimit-Policy lists every policy applied to the request
// ("ip";q=60;w=60, "account";q=5;w=60), RateLimit reports the one closest
// to its limit ("account";r=0;t=12), and Retry-After (RFC 9110) says when a
// refused request would be admitted, the same instant as RateLimit's t. No
// partition key is sent, since a key can be a username. The 429 problem
// body itself is the guard's.
//
// # Keys
//
// A Key is a kind and a value: IPKey (IPv6 grouped by /64, IPv4 by /32;
// NewIPKeyer changes both), UserKey, RouteKey, AccountKey (a username under
// NormalizeUsername: NFKC, case folding, space and invisible characters
// removed, so "Alice", "alice " and "ａｌｉｃｅ" are one account) or any
// Key{Kind, Value} of your own.
//
// # When the store is down
//
// A Limiter or LoginThrottle fails closed by default: the request is
// refused with an error wrapping ErrUnavailable (and authkit.ErrUnavailable),
// which the guard answers with 503. Sign-in, MFA and token endpoints must
// stay that way: an attacker who can slow Redis down would otherwise get
// unlimited guesses. WithFailOpen admits instead, reporting the decision as
// Unavailable; FailsOpen says which a limiter does.
//
// # Audit
//
// Refusals are reported as audit.RateLimitHit events, coalesced: one event
// per policy and key per window of the limit (its period), carrying the
// count, the policy (Limit) and the key's kind with an HMAC of its value
// (Key: "account:…"), never the value: a username can be a password typed
// into the wrong field. An IP key's network is also written as the event's
// IP. WithAuditKey sets the HMAC key so instances agree.
//
// # Stores
//
// NewMemoryStore is sharded and bounded (see MemoryStore); package
// redisstore keeps buckets in Redis, one Lua script per decision, on the
// server's clock. Package storetest is the conformance suite both pass.
package ratelimit
