package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/authkit-go/authkit/core/port"
)

// KeyFunc finds the key a request is counted by: from the request, the
// client's address (as the guard's trusted-proxy logic found it) and the
// principal (authenticated is false at the guard's rate-limit step, which
// runs before authentication). ok false leaves the request out of that
// limit.
type KeyFunc func(x port.Exchange, client netip.Addr, p port.Principal, authenticated bool) (key Key, ok bool)

// unknownClient is the key of every request whose client address is not
// known (the peer's address did not parse: a Unix socket, say). They share
// one bucket, so they are limited all the same.
var unknownClient = Key{Kind: KindIP, Value: "unknown"}

// ByIP keys a request by its client's network, grouped as IPKey groups
// (IPv4 by /32, IPv6 by /64). Requests whose client address is unknown
// share one bucket. The address is the guard's: only a trusted proxy's
// forwarding header can change it.
func ByIP() KeyFunc { return ByNetwork(IPKeyer{}) }

// ByNetwork is ByIP grouping addresses by k's prefix lengths.
func ByNetwork(k IPKeyer) KeyFunc {
	return func(_ port.Exchange, client netip.Addr, _ port.Principal, _ bool) (Key, bool) {
		key, err := k.Key(client)
		if err != nil {
			return unknownClient, true
		}
		return key, true
	}
}

// ByUser keys an authenticated request by its principal's subject
// (UserKey) and leaves anonymous requests out: put guard.Authenticated
// before the rule, or add a ByIP limit for them.
func ByUser() KeyFunc {
	return func(_ port.Exchange, _ netip.Addr, p port.Principal, authenticated bool) (Key, bool) {
		if !authenticated || p.Subject == "" {
			return Key{}, false
		}
		return UserKey(p.Subject), true
	}
}

// ByRoute keys every request by one route (RouteKey(method, pattern)): one
// bucket for all clients together, for an endpoint whose cost is shared
// (an export, a search).
func ByRoute(method, pattern string) KeyFunc {
	key := RouteKey(method, pattern)
	return func(port.Exchange, netip.Addr, port.Principal, bool) (Key, bool) { return key, true }
}

// RequestLimit applies limits to HTTP requests: it is the
// port.RequestLimiter that guard.WithRateLimit asks at the guard's
// rate-limit step (limits by client address, before the origin check and
// any body parsing) and that guard.RateLimit asks from a route rule (limits
// by user or route, after authentication).
//
// Each request it applies to is charged one unit under every one of its
// limits whose KeyFunc gives a key; limits on one store are decided in one
// store call (one Redis round trip on a single server). A refusal is an
// *Exceeded, which the guard answers with a 429, Retry-After and the
// RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers-09); an admitted request gets the
// two fields too, unless WithoutAdmittedFields. The fields report every
// limit decided for the request so far: the guard's step and the route's
// rules record their decisions in the request's context (DecisionsFrom),
// and a flow that decides more (a LoginThrottle) adds its own.
//
// Whether it fails open or closed when its store is down is its limiters'
// choice (WithFailOpen); closed, the guard answers 503.
type RequestLimit struct {
	limits []boundLimit
	routes map[string]routeMethods // nil: every request
	fields bool
	policy string // RateLimit-Policy when every limit applies and nothing was decided before
}

type boundLimit struct {
	l   *Limiter
	key KeyFunc
}

// routeMethods are the methods a path is limited for: all, or the listed
// ones.
type routeMethods struct {
	all     bool
	methods []string
}

type requestConfig struct {
	extra    []boundLimit
	patterns []string
	routesOn bool
	noFields bool
}

// RequestOption configures a RequestLimit.
type RequestOption func(*requestConfig)

// OnRoutes applies the limits only to the requests of these routes: "POST
// /login" (that method) or "/login" (every method). A path is matched
// exactly, not as a prefix, after path.Clean and case folding of the
// request's path, so that a router which routes "/Login/" to "/login"
// (fiber by default) cannot be used to go round the limit; the method is
// compared case-insensitively. Default: every request.
func OnRoutes(patterns ...string) RequestOption {
	return func(c *requestConfig) { c.patterns, c.routesOn = append(c.patterns, patterns...), true }
}

// WithLimit adds a limit keyed by key, decided with the others at the same
// point of the request, in one store call when they share a store.
// Default: the limit given to NewRequestLimit alone.
func WithLimit(l *Limiter, key KeyFunc) RequestOption {
	return func(c *requestConfig) { c.extra = append(c.extra, boundLimit{l, key}) }
}

// WithoutAdmittedFields sends RateLimit-Policy and RateLimit only with a
// refusal. Default: on the answers to admitted requests too, so clients
// can slow down before they are refused.
func WithoutAdmittedFields() RequestOption { return func(c *requestConfig) { c.noFields = true } }

// maxInline is how many decisions a request keeps without allocating.
const maxInline = 4

// NewRequestLimit returns a RequestLimit charging each request to l under
// the key that key finds (ByIP, ByUser, ByRoute or a KeyFunc of your own).
func NewRequestLimit(l *Limiter, key KeyFunc, opts ...RequestOption) (*RequestLimit, error) {
	var c requestConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	rl := &RequestLimit{limits: append([]boundLimit{{l, key}}, c.extra...), fields: !c.noFields}
	for _, b := range rl.limits {
		if b.l == nil || b.key == nil {
			return nil, fmt.Errorf("%w: request limit without a limiter or a key function", ErrInvalidConfig)
		}
	}
	if c.routesOn {
		if len(c.patterns) == 0 {
			return nil, fmt.Errorf("%w: OnRoutes without a route", ErrInvalidConfig)
		}
		rl.routes = make(map[string]routeMethods, len(c.patterns))
		for _, p := range c.patterns {
			method, route, err := parseRoute(p)
			if err != nil {
				return nil, err
			}
			m := rl.routes[route]
			if method == "" {
				m.all = true
			} else {
				m.methods = append(m.methods, method)
			}
			rl.routes[route] = m
		}
	}
	ds := make(Decisions, len(rl.limits))
	for i, b := range rl.limits {
		ds[i] = Decision{Policy: b.l.name, Limit: b.l.limit}
	}
	rl.policy = policyField(ds)
	return rl, nil
}

// parseRoute splits "METHOD /path" or "/path" and cleans the path as
// requests' paths are cleaned.
func parseRoute(p string) (method, route string, err error) {
	route = p
	if m, r, ok := strings.Cut(p, " "); ok {
		method, route = m, strings.TrimLeft(r, " ")
		if method == "" || strings.ContainsAny(method, "/\t") {
			return "", "", fmt.Errorf("%w: route %q: want \"METHOD /path\" or \"/path\"", ErrInvalidConfig, p)
		}
	}
	if !strings.HasPrefix(route, "/") || strings.ContainsAny(route, " \t") {
		return "", "", fmt.Errorf("%w: route %q: want \"METHOD /path\" or \"/path\"", ErrInvalidConfig, p)
	}
	return method, canonicalPath(route), nil
}

// canonicalPath is path.Clean of p, lower-cased. It allocates only when p
// changes.
func canonicalPath(p string) string {
	return strings.ToLower(path.Clean(p))
}

// applies reports whether the limits apply to a request.
func (rl *RequestLimit) applies(method, p string) bool {
	if rl.routes == nil {
		return true
	}
	m, ok := rl.routes[p]
	if !ok {
		c := canonicalPath(p)
		if c == p {
			return false
		}
		if m, ok = rl.routes[c]; !ok {
			return false
		}
	}
	if m.all {
		return true
	}
	for _, have := range m.methods {
		if strings.EqualFold(have, method) {
			return true
		}
	}
	return false
}

// The header field names as net/http and fasthttp store them
// (textproto.CanonicalMIMEHeaderKey of HeaderPolicy and HeaderRateLimit),
// so that setting them costs no canonicalisation.
const (
	canonicalPolicy    = "Ratelimit-Policy"
	canonicalRateLimit = "Ratelimit"
)

// LimitRequest implements port.RequestLimiter.
func (rl *RequestLimit) LimitRequest(ctx context.Context, x port.Exchange, client netip.Addr, p port.Principal, authenticated bool) (context.Context, error) {
	if !rl.applies(x.Method(), x.Path()) {
		return ctx, nil
	}
	var buf [maxInline]Check
	checks := rl.checks(buf[:0], x, client, p, authenticated)
	if len(checks) == 0 {
		return ctx, nil
	}
	st, ctx := requestStateOf(ctx)
	first := len(st.ds)
	st.ds = slices.Grow(st.ds, len(checks))[:first+len(checks)]
	if err := decide(ctx, checks, st.ds[first:]); err != nil {
		return ctx, err
	}
	if !st.ds[first:].Allowed() {
		return ctx, st.ds.Err()
	}
	if rl.fields {
		policy := rl.policy
		if first > 0 || len(checks) < len(rl.limits) {
			policy = policyField(st.ds)
		}
		if policy != "" {
			st.setField(x, canonicalPolicy, policy)
		}
		if v := rateLimitField(st.ds); v != "" {
			st.setField(x, canonicalRateLimit, v)
		}
	}
	return ctx, nil
}

// checks appends to buf the checks of every limit whose KeyFunc gives the
// request a key.
func (rl *RequestLimit) checks(buf []Check, x port.Exchange, client netip.Addr, p port.Principal, authenticated bool) []Check {
	for _, b := range rl.limits {
		if k, ok := b.key(x, client, p, authenticated); ok {
			buf = append(buf, Check{Limiter: b.l, Key: k, Cost: 1})
		}
	}
	return buf
}

// DecisionsFrom returns the decisions the limits of the request ctx
// belongs to have taken so far: the guard's rate-limit step and
// rate-limit rules (RequestLimit) record theirs in the request's context.
// A flow that decides more limits itself answers with all of them, so that
// RateLimit-Policy lists every policy applied:
//
//	all := append(ratelimit.DecisionsFrom(ctx), attempt.Decisions()...)
//	if err := all.Err(); err != nil { /* guard.ProblemFor(err): 429 with every field */ }
//	fields := all.Fields() // for the admitted answer
//
// The result is the caller's to append to.
func DecisionsFrom(ctx context.Context) Decisions {
	st, _ := ctx.Value(requestStateKey{}).(*requestState)
	if st == nil {
		return nil
	}
	return st.ds[:len(st.ds):len(st.ds)]
}

type requestStateKey struct{}

// requestState holds a request's decisions, inline for the usual few,
// and the value slices of the header fields it set.
type requestState struct {
	ds    Decisions
	buf   [maxInline]Decision
	vals  [maxInline]string
	nvals int
}

// headerMap is implemented by exchanges over net/http's response writer
// (port.HTTPExchange): a field is set straight in the map, its value slice
// taken from the state instead of allocated.
type headerMap interface{ ResponseHeader() http.Header }

// setField sets the response header field name (in canonical form) to v.
func (st *requestState) setField(x port.Exchange, name, v string) {
	hm, ok := x.(headerMap)
	if !ok || st.nvals == len(st.vals) {
		x.SetHeader(name, v)
		return
	}
	n := st.nvals
	st.vals[n] = v
	st.nvals++
	// A full slice expression: an append by anyone else copies.
	hm.ResponseHeader()[name] = st.vals[n : n+1 : n+1]
}

// stateContext carries a requestState; one allocation holds both the
// context and the state.
type stateContext struct {
	context.Context
	st requestState
}

func (c *stateContext) Value(key any) any {
	if key == (requestStateKey{}) {
		return &c.st
	}
	return c.Context.Value(key)
}

// requestStateOf returns the request's decisions so far, adding an empty
// state to ctx when it has none.
func requestStateOf(ctx context.Context) (*requestState, context.Context) {
	if st, ok := ctx.Value(requestStateKey{}).(*requestState); ok {
		return st, ctx
	}
	c := &stateContext{Context: ctx}
	c.st.ds = c.st.buf[:0]
	return &c.st, c
}
