package ratelimit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/ratelimit"
)

// exchange is a request as an adapter hands it over, and its recorder.
func exchange(method, path string) (port.HTTPExchange, *httptest.ResponseRecorder) {
	w := httptest.NewRecorder()
	return port.HTTPExchange{W: w, R: httptest.NewRequest(method, path, nil)}, w
}

var (
	clientA = netip.MustParseAddr("198.51.100.7")
	clientB = netip.MustParseAddr("203.0.113.9")
)

func newRequestLimit(t *testing.T, l *ratelimit.Limiter, key ratelimit.KeyFunc, opts ...ratelimit.RequestOption) *ratelimit.RequestLimit {
	t.Helper()
	rl, err := ratelimit.NewRequestLimit(l, key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return rl
}

// limitOnce asks rl about one request from client and returns the context
// it goes on with, the answer's header and its error.
func limitOnce(t *testing.T, rl *ratelimit.RequestLimit, ctx context.Context, method, path string, client netip.Addr, p port.Principal, ok bool) (context.Context, http.Header, error) {
	t.Helper()
	x, w := exchange(method, path)
	ctx, err := rl.LimitRequest(ctx, x, client, p, ok)
	return ctx, w.Header(), err
}

func TestRequestLimitRoutes(t *testing.T) {
	clock := testclock.New()
	perIP := newLimiter(t, "ip", ratelimit.PerMinute(1), memStore(t, clock))
	rl := newRequestLimit(t, perIP, ratelimit.ByIP(), ratelimit.OnRoutes("POST /login", "/register"))
	tests := []struct {
		method, path string
		limited      bool
	}{
		{"POST", "/login", true},
		{"post", "/login", true}, // methods compare case-insensitively
		{"GET", "/login", false},
		{"POST", "/Login", true}, // a case-insensitive router (fiber's default) routes it to /login
		{"POST", "/login/", true},
		{"POST", "//login", true},
		{"POST", "/x/../login", true},
		{"POST", "/./LOGIN/", true},
		{"POST", "/login/more", false}, // exact, not a prefix
		{"POST", "/logins", false},
		{"GET", "/register", true}, // a route without a method covers every method
		{"DELETE", "/REGISTER", true},
		{"POST", "/healthz", false},
	}
	for i, tt := range tests {
		// Each case on its own client: the first request is admitted, the
		// second refused when limited.
		client := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		_, _, err1 := limitOnce(t, rl, context.Background(), tt.method, tt.path, client, port.Principal{}, false)
		_, _, err2 := limitOnce(t, rl, context.Background(), tt.method, tt.path, client, port.Principal{}, false)
		if err1 != nil {
			t.Errorf("%s %s: first request refused: %v", tt.method, tt.path, err1)
		}
		if limited := errors.Is(err2, ratelimit.ErrLimited); limited != tt.limited {
			t.Errorf("%s %s: limited = %v (%v), want %v", tt.method, tt.path, limited, err2, tt.limited)
		}
	}
}

func TestNewRequestLimitRejectsBadConfig(t *testing.T) {
	l := newLimiter(t, "ip", ratelimit.PerMinute(1), memStore(t, testclock.New()))
	for _, tt := range []struct {
		name string
		l    *ratelimit.Limiter
		key  ratelimit.KeyFunc
		opts []ratelimit.RequestOption
	}{
		{"nil limiter", nil, ratelimit.ByIP(), nil},
		{"nil key", l, nil, nil},
		{"nil extra limiter", l, ratelimit.ByIP(), []ratelimit.RequestOption{ratelimit.WithLimit(nil, ratelimit.ByIP())}},
		{"no route", l, ratelimit.ByIP(), []ratelimit.RequestOption{ratelimit.OnRoutes()}},
		{"relative path", l, ratelimit.ByIP(), []ratelimit.RequestOption{ratelimit.OnRoutes("login")}},
		{"method only", l, ratelimit.ByIP(), []ratelimit.RequestOption{ratelimit.OnRoutes("POST")}},
		{"empty", l, ratelimit.ByIP(), []ratelimit.RequestOption{ratelimit.OnRoutes("")}},
		{"path with a space", l, ratelimit.ByIP(), []ratelimit.RequestOption{ratelimit.OnRoutes("POST /a b")}},
		{"method with a slash", l, ratelimit.ByIP(), []ratelimit.RequestOption{ratelimit.OnRoutes("PO/ST /a")}},
	} {
		if _, err := ratelimit.NewRequestLimit(tt.l, tt.key, tt.opts...); !errors.Is(err, ratelimit.ErrInvalidConfig) || !errors.Is(err, authkit.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", tt.name, err)
		}
	}
}

// TestRequestLimitFields: an admitted request gets RateLimit-Policy and
// RateLimit (unless WithoutAdmittedFields); a refusal is an *Exceeded
// whose fields the guard sends with the 429.
func TestRequestLimitFields(t *testing.T) {
	clock := testclock.New()
	perIP := newLimiter(t, "ip", ratelimit.PerMinute(2), memStore(t, clock))
	rl := newRequestLimit(t, perIP, ratelimit.ByIP())
	want := []string{`"ip";r=1;t=30`, `"ip";r=0;t=60`}
	for i, w := range want {
		_, h, err := limitOnce(t, rl, context.Background(), "POST", "/login", clientA, port.Principal{}, false)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if got := h.Get(ratelimit.HeaderPolicy); got != `"ip";q=2;w=60` {
			t.Errorf("request %d: RateLimit-Policy %q", i+1, got)
		}
		if got := h.Get(ratelimit.HeaderRateLimit); got != w {
			t.Errorf("request %d: RateLimit %q, want %q", i+1, got, w)
		}
		if h.Get("Retry-After") != "" {
			t.Errorf("request %d: Retry-After on an admitted request", i+1)
		}
	}
	clock.Advance(10 * time.Second)
	_, h, err := limitOnce(t, rl, context.Background(), "POST", "/login", clientA, port.Principal{}, false)
	var ex *ratelimit.Exceeded
	if !errors.As(err, &ex) || !errors.Is(err, authkit.ErrRateLimited) {
		t.Fatalf("third request: %v, want *Exceeded", err)
	}
	if len(h) != 0 {
		t.Errorf("a refusal set header fields itself: %v (the guard writes the answer)", h)
	}
	if f := ex.Decisions.Fields(); f.RateLimit != `"ip";r=0;t=20` || f.RetryAfter != "20" || f.Policy != `"ip";q=2;w=60` {
		t.Errorf("refusal fields %+v", f)
	}

	quiet := newRequestLimit(t, perIP, ratelimit.ByIP(), ratelimit.WithoutAdmittedFields())
	if _, h, err := limitOnce(t, quiet, context.Background(), "POST", "/login", clientB, port.Principal{}, false); err != nil || len(h) != 0 {
		t.Errorf("WithoutAdmittedFields: %v, header %v; want admitted without fields", err, h)
	}
}

// countingStore counts the store calls of a MemoryStore that it hides
// from the limiters' fast path.
type countingStore struct {
	s     *ratelimit.MemoryStore
	calls atomic.Int64
}

func (c *countingStore) Take(ctx context.Context, reqs []ratelimit.Request, res []ratelimit.Result) error {
	c.calls.Add(1)
	return c.s.Take(ctx, reqs, res)
}

// TestRequestLimitSeveralLimits: limits on one store are one store call;
// a limit whose key function leaves the request out is not charged; the
// step's and a rule's decisions add up in the request's context, and the
// fields report them together.
func TestRequestLimitSeveralLimits(t *testing.T) {
	clock := testclock.New()
	store := &countingStore{s: memStore(t, clock)}
	perIP := newLimiter(t, "ip", ratelimit.PerMinute(10), store)
	perUser := newLimiter(t, "user", ratelimit.PerMinute(3), store)
	perRoute := newLimiter(t, "export", ratelimit.PerHour(100), store)
	step := newRequestLimit(t, perIP, ratelimit.ByIP())
	rule := newRequestLimit(t, perUser, ratelimit.ByUser(), ratelimit.WithLimit(perRoute, ratelimit.ByRoute("GET", "/export")))

	alice := port.Principal{Subject: "alice"}
	ctx, _, err := limitOnce(t, step, context.Background(), "GET", "/export", clientA, port.Principal{}, false)
	if err != nil || store.calls.Load() != 1 {
		t.Fatalf("step: %v after %d store calls", err, store.calls.Load())
	}
	x, w := exchange("GET", "/export")
	if _, err := rule.LimitRequest(ctx, x, clientA, alice, true); err != nil {
		t.Fatal(err)
	}
	if n := store.calls.Load(); n != 2 {
		t.Errorf("the rule's two limits took %d store calls, want 1", n-1)
	}
	ds := ratelimit.DecisionsFrom(ctx)
	if len(ds) != 3 || ds[0].Policy != "ip" || ds[1].Policy != "user" || ds[2].Policy != "export" {
		t.Fatalf("decisions recorded: %+v", ds)
	}
	if got := w.Header().Get(ratelimit.HeaderPolicy); got != `"ip";q=10;w=60, "user";q=3;w=60, "export";q=100;w=3600` {
		t.Errorf("RateLimit-Policy %q, want every policy of the request", got)
	}
	if got := w.Header().Get(ratelimit.HeaderRateLimit); got != `"user";r=2;t=20` {
		t.Errorf("RateLimit %q, want the one closest to its limit", got)
	}
	// Appending to what DecisionsFrom returns does not change the record.
	_ = append(ds, ratelimit.Decision{Policy: "flow"})
	if got := ratelimit.DecisionsFrom(ctx); len(got) != 3 {
		t.Errorf("DecisionsFrom after an append: %d decisions", len(got))
	}

	// Anonymous: ByUser leaves the request out, the route limit counts.
	x, _ = exchange("GET", "/export")
	if _, err := rule.LimitRequest(context.Background(), x, clientA, port.Principal{}, false); err != nil {
		t.Fatal(err)
	}
	if d, _ := perUser.Allow(context.Background(), ratelimit.UserKey("alice"), 0); d.Remaining != 2 {
		t.Errorf("alice's bucket holds %d, want 2: an anonymous request was charged to her", d.Remaining)
	}
	if d, _ := perRoute.Allow(context.Background(), ratelimit.RouteKey("GET", "/export"), 0); d.Remaining != 98 {
		t.Errorf("the route's bucket holds %d, want 98", d.Remaining)
	}
	if got := ratelimit.DecisionsFrom(context.Background()); got != nil {
		t.Errorf("DecisionsFrom of a bare context: %+v", got)
	}
}

// TestByIP: clients are grouped by network, and requests whose address is
// unknown share one bucket rather than escaping the limit.
func TestByIP(t *testing.T) {
	clock := testclock.New()
	perIP := newLimiter(t, "ip", ratelimit.PerMinute(1), memStore(t, clock))
	rl := newRequestLimit(t, perIP, ratelimit.ByIP())
	try := func(client netip.Addr) error {
		_, _, err := limitOnce(t, rl, context.Background(), "POST", "/login", client, port.Principal{}, false)
		return err
	}
	for _, tt := range []struct{ first, second string }{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"}, // one /64
		{"192.0.2.1", "::ffff:192.0.2.1"},           // IPv4-mapped is IPv4
	} {
		if err := try(netip.MustParseAddr(tt.first)); err != nil {
			t.Fatal(err)
		}
		if err := try(netip.MustParseAddr(tt.second)); !errors.Is(err, ratelimit.ErrLimited) {
			t.Errorf("%s after %s: %v, want one bucket", tt.second, tt.first, err)
		}
	}
	if err := try(netip.MustParseAddr("192.0.2.2")); err != nil {
		t.Errorf("another IPv4 address: %v, want its own bucket", err)
	}
	if err := try(netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	if err := try(netip.Addr{}); !errors.Is(err, ratelimit.ErrLimited) {
		t.Errorf("second request from an unknown address: %v, want the shared bucket refused", err)
	}
	keyer, err := ratelimit.NewIPKeyer(24, 48)
	if err != nil {
		t.Fatal(err)
	}
	wide := newRequestLimit(t, newLimiter(t, "net", ratelimit.PerMinute(1), memStore(t, clock)), ratelimit.ByNetwork(keyer))
	if _, _, err := limitOnce(t, wide, context.Background(), "GET", "/", netip.MustParseAddr("192.0.2.1"), port.Principal{}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := limitOnce(t, wide, context.Background(), "GET", "/", netip.MustParseAddr("192.0.2.200"), port.Principal{}, false); !errors.Is(err, ratelimit.ErrLimited) {
		t.Errorf("ByNetwork(/24): another address of the /24 got its own bucket (%v)", err)
	}
}

// TestRequestLimitStoreDown: a limiter that fails closed refuses with
// ErrUnavailable (the guard's 503); one that fails open admits, and the
// request carries no RateLimit field it cannot back.
func TestRequestLimitStoreDown(t *testing.T) {
	closed := newRequestLimit(t, newLimiter(t, "ip", ratelimit.PerMinute(5), downStore{}), ratelimit.ByIP())
	_, h, err := limitOnce(t, closed, context.Background(), "POST", "/login", clientA, port.Principal{}, false)
	if !errors.Is(err, authkit.ErrUnavailable) || errors.Is(err, authkit.ErrRateLimited) {
		t.Errorf("fail closed: %v, want ErrUnavailable", err)
	}
	if len(h) != 0 {
		t.Errorf("fail closed: header %v", h)
	}
	open := newRequestLimit(t, newLimiter(t, "ip", ratelimit.PerMinute(5), downStore{}, ratelimit.WithFailOpen()), ratelimit.ByIP())
	ctx, h, err := limitOnce(t, open, context.Background(), "POST", "/login", clientA, port.Principal{}, false)
	if err != nil {
		t.Errorf("fail open: %v", err)
	}
	if h.Get(ratelimit.HeaderRateLimit) != "" {
		t.Errorf("fail open: RateLimit %q for a decision the store did not take", h.Get(ratelimit.HeaderRateLimit))
	}
	if ds := ratelimit.DecisionsFrom(ctx); len(ds) != 1 || !ds[0].Unavailable || !ds[0].Allowed {
		t.Errorf("fail open: recorded %+v", ds)
	}
}

// TestRequestLimitAllocations pins the admitted fast path on a memory
// store: the context that carries the decisions, the key's string and
// the RateLimit value.
func TestRequestLimitAllocations(t *testing.T) {
	perIP := newLimiter(t, "ip", ratelimit.PerMinute(1_000_000), memStore(t, testclock.New()))
	rl := newRequestLimit(t, perIP, ratelimit.ByIP(), ratelimit.OnRoutes("POST /login"))
	hx, _ := exchange("POST", "/login")
	var x port.Exchange = hx // as the guard holds it
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := rl.LimitRequest(ctx, x, clientA, port.Principal{}, false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 3 {
		t.Errorf("%v allocations per admitted request, want at most 3", allocs)
	}
	hother, _ := exchange("GET", "/healthz")
	var other port.Exchange = hother
	if allocs := testing.AllocsPerRun(100, func() { _, _ = rl.LimitRequest(ctx, other, clientA, port.Principal{}, false) }); allocs != 0 {
		t.Errorf("%v allocations for a request the limit does not apply to, want 0", allocs)
	}
}

// hostilePaths are request paths that try to reach a limited route
// without matching it literally, or to trip the matcher up.
var hostilePaths = []string{
	"/login", "/Login", "/LOGIN/", "//login", "/./login", "/x/../login", "/login/.", "/login//",
	"/%6cogin", "/login%2F", "/login\x00", "/login ", " /login", "", "/", ".", "..", "/..", "login",
	"/\u212a", "/ｌｏｇｉｎ", "/login?x=1", "/login#f", strings.Repeat("/", 4096) + "login",
}

// FuzzRequestLimitRoutes: the route matcher never panics, and a path
// answers as its clean, lower-case form does, whatever a router makes of
// it.
func FuzzRequestLimitRoutes(f *testing.F) {
	for _, p := range hostilePaths {
		f.Add("POST", p)
	}
	f.Add("post", "/register")
	f.Add("", "/login")
	perIP, err := ratelimit.New("ip", ratelimit.PerSecond(1_000_000), mustMemStore(f), ratelimit.WithAudit(audit.Discard))
	if err != nil {
		f.Fatal(err)
	}
	rl, err := ratelimit.NewRequestLimit(perIP, ratelimit.ByIP(), ratelimit.OnRoutes("POST /login", "/register"))
	if err != nil {
		f.Fatal(err)
	}
	limited := func(method, p string) bool {
		w := httptest.NewRecorder()
		r := &http.Request{Method: method, URL: &url.URL{Path: p}, Header: http.Header{}}
		if _, err := rl.LimitRequest(context.Background(), port.HTTPExchange{W: w, R: r}, clientA, port.Principal{}, false); err != nil {
			panic(err)
		}
		return w.Header().Get(ratelimit.HeaderRateLimit) != ""
	}
	f.Fuzz(func(t *testing.T, method, p string) {
		got := limited(method, p)
		if clean := strings.ToLower(path.Clean(p)); got != limited(method, clean) {
			t.Errorf("%s %q limited %v, its clean form %q the opposite", method, p, got, clean)
		}
		if p == "/login" && strings.EqualFold(method, "POST") && !got {
			t.Errorf("%s /login not limited", method)
		}
	})
}

func mustMemStore(tb testing.TB) *ratelimit.MemoryStore {
	tb.Helper()
	s, err := ratelimit.NewMemoryStore()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestRequestLimitHostilePaths is the table of FuzzRequestLimitRoutes's
// hostile seeds with the answers they must get.
func TestRequestLimitHostilePaths(t *testing.T) {
	perIP := newLimiter(t, "ip", ratelimit.PerSecond(1_000_000), mustMemStore(t))
	rl := newRequestLimit(t, perIP, ratelimit.ByIP(), ratelimit.OnRoutes("POST /login"))
	want := map[string]bool{
		"/login": true, "/Login": true, "/LOGIN/": true, "//login": true, "/./login": true, "/x/../login": true,
		"/login/.": true, "/login//": true, strings.Repeat("/", 4096) + "login": true,
	}
	for _, p := range hostilePaths {
		x, w := exchange("POST", "/")
		x.R.URL.Path = p
		if _, err := rl.LimitRequest(context.Background(), x, clientA, port.Principal{}, false); err != nil {
			t.Fatal(err)
		}
		if got := w.Header().Get(ratelimit.HeaderRateLimit) != ""; got != want[p] {
			t.Errorf("POST %q: limited %v, want %v", p, got, want[p])
		}
	}
}
