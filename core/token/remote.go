package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// RemoteKeySet is a KeySource for services that only verify: it fetches
// an issuer's JWKS over HTTPS, caches it for the response's Cache-Control
// max-age (clamped to WithCacheTTLBounds), refetches early when a token
// names an unknown kid (at most once per WithRefreshInterval, so a flood of
// random kids causes no fetch storm), and keeps serving the cached set
// while the issuer is down. Responses are bounded in size and time.
// Concurrent fetches are collapsed into one.
//
// Only keys that name their "alg" are used, so each stays pinned to one
// algorithm. A key of the set that cannot be used (too weak, such as a
// 1024-bit RSA key, malformed, or of an unsupported kind) is skipped and
// logged once through log/slog (kid and reason, never key material), so
// one legacy key beside good ones does not make the whole set unusable; the
// set fails only when no usable key remains. The token's own jku/x5u
// headers are never followed: the URL is fixed here.
type RemoteKeySet struct {
	url     string
	safeURL string // url without credentials, for logs
	cfg     config
	group   singleflight.Group

	mu          sync.Mutex
	keys        []*Key
	fetched     bool
	expires     time.Time
	lastAttempt time.Time
	skipped     map[string]bool // kid + reason of skipped keys already logged
	gen         uint64          // raised by every fetch, so verified-token caches empty
}

// maxSkippedLogged bounds the skipped-key log memory; past it, skipped keys
// are no longer logged.
const maxSkippedLogged = 64

// loopbackHTTP reports whether u is plain http to a loopback host, which
// tests may use.
func loopbackHTTP(u *url.URL) bool {
	ip := net.ParseIP(u.Hostname())
	return u.Scheme == "http" && (u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()))
}

// maxRedirects bounds the redirects a JWKS fetch follows.
const maxRedirects = 3

// withSafeRedirects returns a copy of hc whose redirects never leave https
// (a loopback http URL may only go to loopback http or https), at most
// maxRedirects deep, before hc's own redirect policy is asked. Without it a
// redirect, or an attacker controlling one hop, could send the key fetch
// over plain http or to an internal host.
func withSafeRedirects(hc *http.Client) *http.Client {
	c := *hc
	next := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("token: JWKS fetch: more than %d redirects", maxRedirects)
		}
		from := via[len(via)-1].URL
		if req.URL.Scheme != "https" && !(loopbackHTTP(from) && loopbackHTTP(req.URL)) {
			return fmt.Errorf("token: JWKS fetch: redirect to %s://%s refused (https only)", req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

// NewRemoteKeySet returns a RemoteKeySet for jwksURL, which must be https
// (plain http is allowed for loopback addresses only, for tests). Nothing
// is fetched until the first token arrives. Options (RemoteOption):
// WithHTTPClient, WithRefreshInterval, WithCacheTTLBounds,
// WithFetchTimeout, WithMaxResponseSize, WithClock.
func NewRemoteKeySet(jwksURL string, opts ...RemoteOption) (*RemoteKeySet, error) {
	u, err := url.Parse(jwksURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: JWKS URL %q", ErrInvalidConfig, jwksURL)
	}
	if u.Scheme != "https" && !loopbackHTTP(u) {
		return nil, fmt.Errorf("%w: JWKS URL must be https", ErrInvalidConfig)
	}
	cfg, err := configure(opts, RemoteOption.applyRemote)
	if err != nil {
		return nil, err
	}
	cfg.httpClient = withSafeRedirects(cfg.httpClient)
	return &RemoteKeySet{url: u.String(), safeURL: u.Redacted(), cfg: cfg}, nil
}

// VerificationKeys implements KeySource.
func (r *RemoteKeySet) VerificationKeys(ctx context.Context, kid string) ([]*Key, error) {
	now := r.cfg.now()
	r.mu.Lock()
	keys, fetched, stale, mayFetch := r.keys, r.fetched, now.After(r.expires), now.Sub(r.lastAttempt) >= r.cfg.refreshInterval
	r.mu.Unlock()
	if !fetched || stale {
		// Without keys a caller joins a fetch in flight (refresh starts
		// none within the interval), so the callers that arrive while the
		// first fetch runs wait for it instead of failing.
		if mayFetch || !fetched {
			keys, fetched, _ = r.refresh(!mayFetch)
			mayFetch = false
		}
		if !fetched {
			return nil, fmt.Errorf("%w: JWKS not available", ErrUnavailable)
		}
	}
	sel, err := selectKeys(keys, kid)
	if err != nil && mayFetch && kid != "" {
		keys, _, _ = r.refresh(false)
		sel, err = selectKeys(keys, kid)
	}
	return sel, err
}

// generation reports the fetch the keys come from; ok is false before the
// first fetch and once the keys are stale, so that verified-token caches
// are bypassed until a verification has refreshed them.
func (r *RemoteKeySet) generation() (uint64, bool) {
	now := r.cfg.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen, r.fetched && !now.After(r.expires)
}

// errRecentFetch is refresh's answer to a caller that may only join a
// fetch when none is in flight and the last one is recent.
var errRecentFetch = errors.New("JWKS fetched within the refresh interval")

// refresh fetches the set once for all concurrent callers and returns the
// keys to use (the previous ones when the fetch failed). With joinOnly it
// waits for a fetch in flight but starts none within the refresh interval
// of the last attempt.
func (r *RemoteKeySet) refresh(joinOnly bool) ([]*Key, bool, error) {
	_, err, _ := r.group.Do("jwks", func() (any, error) {
		now := r.cfg.now()
		r.mu.Lock()
		if joinOnly && now.Sub(r.lastAttempt) < r.cfg.refreshInterval {
			r.mu.Unlock()
			return nil, errRecentFetch
		}
		r.lastAttempt = now
		r.mu.Unlock()
		keys, ttl, err := r.fetch()
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.keys, r.fetched, r.expires = keys, true, now.Add(ttl)
		r.gen++
		r.mu.Unlock()
		return nil, nil
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys, r.fetched, err
}

func (r *RemoteKeySet) fetch() ([]*Key, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := r.cfg.httpClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("JWKS fetch: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.maxResponseBytes+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(body)) > r.cfg.maxResponseBytes {
		return nil, 0, errors.New("JWKS fetch: response too large")
	}
	parsed, err := parseJWKS(body, "", r.logSkipped)
	if err != nil {
		return nil, 0, err
	}
	// A published HMAC key would let anyone who can read the JWKS forge
	// tokens: never trust one from a URL.
	var keys []*Key
	for _, k := range parsed {
		if !k.alg.IsSymmetric() {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, 0, errors.New("JWKS fetch: no asymmetric keys")
	}
	return keys, r.cacheTTL(resp.Header.Get("Cache-Control")), nil
}

// logSkipped logs an unusable key of the set, once per kid and reason.
func (r *RemoteKeySet) logSkipped(kid string, err error) {
	id := kid + "\x00" + err.Error()
	r.mu.Lock()
	if r.skipped == nil {
		r.skipped = make(map[string]bool)
	}
	seen := r.skipped[id] || len(r.skipped) >= maxSkippedLogged
	if !seen {
		r.skipped[id] = true
	}
	r.mu.Unlock()
	if !seen {
		slog.Warn("authkit: JWKS key skipped", slog.String("jwks_url", r.safeURL), slog.String("kid", kid), slog.String("reason", err.Error()))
	}
}

// cacheTTL reads max-age from a Cache-Control header and clamps it.
func (r *RemoteKeySet) cacheTTL(cc string) time.Duration {
	ttl := DefaultCacheTTL
	for part := range strings.SplitSeq(cc, ",") {
		part = strings.TrimSpace(strings.ToLower(part))
		if v, ok := strings.CutPrefix(part, "max-age="); ok {
			if n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64); err == nil && n >= 0 && n < 1<<31 {
				ttl = time.Duration(n) * time.Second
			}
		} else if part == "no-store" || part == "no-cache" {
			ttl = 0
		}
	}
	return min(max(ttl, r.cfg.minTTL), r.cfg.maxTTL)
}
