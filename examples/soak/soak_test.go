package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/faulttest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
	"github.com/authkit-go/authkit/examples/internal/apihttp"
	"github.com/authkit-go/authkit/examples/internal/app"
)

var soakFlag = flag.Duration("soak", 0, "how long TestSoak loads the server (default: $SOAK_DURATION, else 15s)")

const (
	// shortRun is the soak's length under `make test` and in CI.
	shortRun = 15 * time.Second
	// outage is how long Redis stays down in the middle of the run.
	outage = 3 * time.Second
	// recoveryBound is how soon after Redis is back the API must stop
	// answering 503: the example's client fails a call within about a
	// second (app/redis.go) and drops a dead connection on first use.
	// Generous for a loaded 2-core machine running -race.
	recoveryBound = 5 * time.Second
	// recoveryWindow is how long at least the run goes on after
	// recoveryBound, so that requests are seen succeeding then.
	recoveryWindow = 3 * time.Second
	// workers is the number of clients sending without pause.
	workers = 32
	// liveAccounts bounds the accounts one worker keeps signed in; older
	// ones are signed out and only their names kept (the final check signs
	// each in again), so the test's own memory stays flat too.
	liveAccounts = 16
	// password of every account.
	password = "Soak-Battery-Staple-42"
	// revokedKept is how many access tokens revoked before the outage are
	// kept, to check that their revocation survives it.
	revokedKept = 64
	// requestTimeout bounds one request; a slower answer is a failure.
	requestTimeout = 10 * time.Second
	// cacheEntries bounds the verified-token cache (1 KiB each).
	cacheEntries = 256
	// warmUpSignIns is how many times each worker signs in during the
	// warm-up: together enough tokens to fill the cache.
	warmUpSignIns = 2 * cacheEntries / workers
	// heapSlack and goroutineSlack bound the growth allowed between the
	// measurements before and after the load (the heap may also double):
	// pools settle and buffers grow, but nothing may grow with the number
	// of requests.
	heapSlack      = 4 << 20
	goroutineSlack = 10
)

// length is the run's length: -soak, else SOAK_DURATION, else shortRun.
func length(t *testing.T) time.Duration {
	if *soakFlag > 0 {
		return *soakFlag
	}
	if env := os.Getenv("SOAK_DURATION"); env != "" {
		d, err := time.ParseDuration(env)
		if err != nil || d <= 0 {
			t.Fatalf("SOAK_DURATION=%q: want a positive duration such as 2m", env)
		}
		return d
	}
	return shortRun
}

// TestSoak loads the reference API for length(t) with a mix of sign-ups,
// sign-ins, refreshes, /me by bearer token and by session cookie and
// logouts (each checked by a 401 for what it ended), while Redis is killed
// halfway and started again outage later on the same port.
//
// Redis writes every write to an append-only file before acknowledging it
// (redistest.StartDurableServer), so the restart
// is a crash that loses nothing acknowledged: accounts, sessions, refresh
// families and revocations made before it must all hold after it. (A
// Redis without persistence loses every account at a restart; keeping the
// accounts in a memory store beside it would still lose every session,
// refresh family and revocation.)
//
// Checked: every answer is the one its request expects, or a 503 from a
// request in flight while Redis was down or within recoveryBound of its
// return; no 503 at all would mean the outage was never seen. At the end
// every account whose registration was acknowledged signs in, and every
// access token revoked before the outage is still refused. The heap after
// GC and the goroutines, measured after a warm-up and again after the
// load (idle connections closed), grow by at most twice plus heapSlack
// and by goroutineSlack; and once the server and the App are closed, no
// goroutine started by the test is left (goleak).
func TestSoak(t *testing.T) {
	faulttest.CheckLeaks(t)
	run := length(t)
	srv := redistest.StartDurableServer(t)
	logs := &levelCounter{}
	prev := slog.Default()
	slog.SetDefault(slog.New(logs))
	t.Cleanup(func() { slog.SetDefault(prev) })
	redis.SetLogger(logs) // go-redis logs each refused dial while Redis is down

	s := startServer(t, srv.Addr())
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	ws := make([]*worker, workers)
	for i := range ws {
		ws[i] = &worker{id: i, s: s, pending: -1, rnd: rand.New(rand.NewPCG(rnd.Uint64(), rnd.Uint64()))}
	}

	// Warm-up: every kind of request from every worker at once, so that
	// the pools have their size and the cache is full before the first
	// measurement.
	var warm sync.WaitGroup
	for _, w := range ws {
		warm.Go(w.warmUp)
	}
	warm.Wait()
	s.counts.reset()
	heapBefore, goBefore := s.settle(0)

	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() { w.loop(stop); w.settle() })
	}
	killAt := start.Add(run/2 - outage/2)
	time.Sleep(time.Until(killAt)) // the schedule of the run, not a wait for the code under test
	s.window.down(time.Now())
	srv.Stop()
	time.Sleep(outage)
	srv.Start()
	upAt := time.Now()
	s.window.up(upAt)
	// The run ends at its length, but never before requests have had
	// recoveryWindow past the recovery bound: a restart that is slow on a
	// loaded machine must not leave no time to see the API recover.
	end := start.Add(run)
	if late := upAt.Add(recoveryBound + recoveryWindow); late.After(end) {
		end = late
	}
	time.Sleep(time.Until(end))
	close(stop)
	wg.Wait()
	took := time.Since(start)

	// Every acknowledged account signs in; every revocation made before
	// the outage holds.
	accounts, lost := s.checkAccounts(ws)
	revoked, unrevoked := s.checkRevocations()
	heapAfter, goAfter := s.settle(goBefore + goroutineSlack)

	c, w := s.counts.snapshot(), s.window.snapshot()
	t.Logf("soak: %v, %d workers, %d requests (%s); statuses %s; unexpected %d; "+
		"Redis down %v from %v: %d answers 503 (from %v to %v after the kill), the last %v after Redis was back (bound %v); "+
		"accounts %d, lost %d; revoked tokens %d, accepted again %d; heap %.1f MiB before, %.1f MiB after; goroutines %d before, %d after; log warnings %d, errors %d, go-redis lines %d; slowest answer %v",
		took.Round(time.Millisecond), workers, c.total, c.kinds(), c.statuses(), c.unexpected,
		w.upAt.Sub(w.downAt).Round(time.Millisecond), w.downAt.Sub(start).Round(time.Millisecond),
		w.unavailable, w.first.Sub(w.downAt).Round(time.Millisecond), w.last.Sub(w.downAt).Round(time.Millisecond),
		max(0, w.last.Sub(w.upAt)).Round(time.Millisecond), recoveryBound,
		accounts, lost, revoked, unrevoked, mib(heapBefore), mib(heapAfter), goBefore, goAfter,
		logs.warn.Load(), logs.err.Load(), logs.redis.Load(), c.slowest.Round(time.Millisecond))

	if c.unexpected > 0 {
		t.Errorf("%d unexpected answers (the first are logged above)", c.unexpected)
	}
	if w.unavailable == 0 {
		t.Errorf("no request answered 503 while Redis was down: the outage was not exercised")
	}
	if c.afterRecovery == 0 {
		t.Errorf("no request succeeded later than %v after Redis was back", recoveryBound)
	}
	if lost > 0 || unrevoked > 0 {
		t.Errorf("%d of %d accounts lost, %d of %d revoked tokens accepted again", lost, accounts, unrevoked, revoked)
	}
	if heapAfter > 2*heapBefore+heapSlack {
		t.Errorf("heap grew from %.1f MiB to %.1f MiB, more than twice plus the %d MiB allowed", mib(heapBefore), mib(heapAfter), heapSlack>>20)
	}
	if goAfter > goBefore+goroutineSlack {
		t.Errorf("goroutines grew from %d to %d, more than the %d allowed", goBefore, goAfter, goroutineSlack)
	}
	if n := logs.err.Load(); n > 0 {
		t.Errorf("%d records logged at level ERROR", n)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// server is the reference API serving on loopback, and what the clients
// saw of it.
type server struct {
	t      *testing.T
	base   string
	client *http.Client
	counts counts
	window window

	mu      sync.Mutex
	revoked []string // access tokens revoked before the outage
}

// startServer runs the nethttp example's handler (apihttp.Mux behind the
// adapter's middleware) on its http.Server over a loopback listener, on
// Redis at addr with the client the example servers build from REDIS_URL.
func startServer(t *testing.T, addr string) *server {
	t.Helper()
	a, err := app.New(app.Config{
		RedisURL:    "redis://" + addr + "/0",
		RedisPrefix: "soak:",
		DevFastHash: true,
		// One client address sends everything: the limits are lifted.
		RateIP:    100_000_000,
		RateLogin: 100_000_000,
		Audit:     audit.Discard,
		// A small verified-token cache, full after the warm-up: the
		// default one (10,000 tokens, 16 MiB) would still be filling at the
		// end of a run and hide what else the heap does.
		TokenOptions: []token.IssuerOption{token.WithVerifiedCache(cacheEntries, cacheEntries<<10)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := app.HTTPServer(authhttp.FromGuard(a.Guard())(apihttp.Mux(a)))
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	s := &server{t: t, base: "http://" + ln.Addr().String()}
	s.counts.reset()
	tr := &http.Transport{MaxIdleConnsPerHost: 2 * workers, IdleConnTimeout: time.Minute}
	s.client = &http.Client{Transport: tr, Timeout: requestTimeout}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), app.ShutdownTimeout)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("closing the app: %v", err)
		}
	})
	return s
}

// answer is what a request got, reduced to what the clients read.
type answer struct {
	status int
	body   []byte
	cookie string // the session cookie the answer set, "" if none
}

// send sends one request of kind, expecting one of want, and counts its
// answer. bearer and cookie, when set, authenticate it.
func (s *server) send(kind string, body any, bearer, cookie string, want ...int) answer {
	method, path := routes[kind].method, routes[kind].path
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body) // maps of strings
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.unexpected(kind, err.Error())
		return answer{}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: cookie})
	}
	began := time.Now()
	resp, err := s.client.Do(req)
	var a answer
	if err == nil {
		a.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		a.status = resp.StatusCode
		for _, c := range resp.Cookies() {
			if c.Name == session.DefaultCookieName && c.MaxAge >= 0 && c.Value != "" {
				a.cookie = c.Value
			}
		}
	}
	ended := time.Now()
	switch {
	case err != nil:
		s.unexpected(kind, fmt.Sprintf("error %v", err))
	case slices.Contains(want, a.status):
		s.counts.add(kind, a.status, ended.Sub(began), s.window.recovered(began))
	case a.status == http.StatusServiceUnavailable && s.window.covers(began, ended):
		s.counts.add(kind, a.status, ended.Sub(began), false)
	default:
		s.counts.add(kind, a.status, ended.Sub(began), false)
		s.unexpected(kind, fmt.Sprintf("%d %.200s, want %v (503 only while Redis is down), %v after the kill",
			a.status, a.body, want, began.Sub(s.window.snapshot().downAt)))
	}
	if a.status == http.StatusServiceUnavailable {
		s.window.saw(began, ended)
	}
	return a
}

// unexpected counts an unexpected answer and logs the first ones.
func (s *server) unexpected(kind, what string) {
	if n := s.counts.unexpect(); n <= 10 {
		s.t.Errorf("%s: %s", kind, what)
	}
}

// route is where a kind of request goes.
type route struct{ method, path string }

var routes = map[string]route{
	"register":       {"POST", "/register"},
	"login":          {"POST", "/login"},
	"refresh":        {"POST", "/token/refresh"},
	"me by token":    {"GET", "/me"},
	"me by cookie":   {"GET", "/me"},
	"logout":         {"POST", "/logout"},
	"ended token":    {"GET", "/me"},
	"ended cookie":   {"GET", "/me"},
	"ended refresh":  {"POST", "/token/refresh"},
	"final login":    {"POST", "/login"},
	"revoked before": {"GET", "/me"},
}

// settle closes the idle connections, waits (up to 5 s) until at most
// goroutines are left when goroutines is not 0, collects garbage and
// returns the live heap and the goroutine count.
func (s *server) settle(goroutines int) (heap uint64, n int) {
	s.client.CloseIdleConnections()
	for deadline := time.Now().Add(5 * time.Second); goroutines > 0 && runtime.NumGoroutine() > goroutines && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // the server's connection goroutines see EOF and end
	}
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, runtime.NumGoroutine()
}

// checkAccounts signs every account the workers registered in again,
// workers at a time, and returns how many there were and how many failed.
func (s *server) checkAccounts(ws []*worker) (accounts, lost int) {
	var failed atomic.Int64
	var wg sync.WaitGroup
	for _, w := range ws {
		accounts += len(w.registered)
		wg.Go(func() {
			for _, i := range w.registered {
				a := s.send("final login", credentials(w.name(i)), "", "", http.StatusOK)
				if a.status != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return accounts, int(failed.Load())
}

// checkRevocations presents every access token revoked before the outage
// and returns how many there were and how many were accepted.
func (s *server) checkRevocations() (revoked, accepted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tok := range s.revoked {
		if s.send("revoked before", nil, tok, "", http.StatusUnauthorized).status != http.StatusUnauthorized {
			accepted++
		}
	}
	return len(s.revoked), accepted
}

// keepRevoked keeps tok, revoked at the time given, for checkRevocations
// if it was revoked before the outage.
func (s *server) keepRevoked(tok string, at time.Time) {
	if w := s.window.snapshot(); !w.downAt.IsZero() && !at.Before(w.downAt) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.revoked) < revokedKept {
		s.revoked = append(s.revoked, tok)
	}
}

// worker is one client: it registers accounts, keeps up to liveAccounts
// of them and sends requests for them one at a time.
type worker struct {
	id         int
	s          *server
	rnd        *rand.Rand
	next       int   // the number of the next account's name
	pending    int   // an account whose registration got a 503, or -1
	registered []int // the accounts whose registration was acknowledged
	live       []*user
}

// user is one account's sign-in as its client holds it.
type user struct {
	name                    string
	access, refresh, cookie string // "" when signed out
}

func (w *worker) name(i int) string { return fmt.Sprintf("soak-%d-%d", w.id, i) }

func credentials(name string) map[string]string {
	return map[string]string{"username": name, "password": password}
}

// warmUp sends each kind of request once.
func (w *worker) warmUp() {
	u := w.register()
	if u == nil {
		return
	}
	w.login(u)
	w.meByToken(u)
	w.meByCookie(u)
	w.refresh(u)
	w.logout(u)
	for range warmUpSignIns {
		w.login(u)
		w.meByToken(u)
	}
}

// loop sends requests until deadline: mostly /me by token and by cookie,
// refreshes, sign-ins and logouts of its accounts, and now and then a new
// account, which replaces the oldest once liveAccounts are kept.
func (w *worker) loop(stop <-chan struct{}) {
	for stopped := false; !stopped; {
		select {
		case <-stop:
			stopped = true
			continue
		default:
		}
		if len(w.live) == 0 || w.rnd.IntN(20) == 0 {
			if len(w.live) >= liveAccounts {
				if old := w.live[0]; old.access != "" {
					w.logout(old)
				}
				w.live = w.live[1:]
			}
			if u := w.register(); u != nil {
				w.login(u)
			}
			continue
		}
		u := w.live[w.rnd.IntN(len(w.live))]
		if u.access == "" {
			w.login(u)
			continue
		}
		switch r := w.rnd.IntN(100); {
		case r < 35:
			w.meByToken(u)
		case r < 60:
			w.meByCookie(u)
		case r < 82:
			w.refresh(u)
		case r < 90:
			w.login(u) // a second sign-in replaces the first one the client holds
		default:
			w.logout(u)
		}
	}
}

// register makes a new account. A 503 leaves it unknown whether the
// account was stored: the name stays pending, and the next registration
// repeats it, expecting 201, or 409 when the earlier attempt had stored
// it. It returns nil when the account was not made (yet).
func (w *worker) register() *user {
	want := []int{http.StatusCreated, http.StatusConflict}
	if w.pending < 0 {
		w.pending, w.next = w.next, w.next+1
		want = want[:1]
	}
	u := &user{name: w.name(w.pending)}
	switch a := w.s.send("register", credentials(u.name), "", "", want...); {
	case a.status == http.StatusServiceUnavailable:
		pause()
		return nil
	case !slices.Contains(want, a.status):
		w.pending = -1
		return nil
	}
	w.registered = append(w.registered, w.pending)
	w.pending = -1
	w.live = append(w.live, u)
	return u
}

// settle finishes a pending registration: Redis is back, so it is
// answered soon.
func (w *worker) settle() {
	for deadline := time.Now().Add(recoveryBound); w.pending >= 0 && time.Now().Before(deadline); {
		w.register()
	}
	if w.pending >= 0 {
		w.s.unexpected("register", "still 503 at the end of the run")
	}
}

func (w *worker) login(u *user) {
	a := w.s.send("login", credentials(u.name), "", "", http.StatusOK)
	if a.status != http.StatusOK {
		pause()
		return
	}
	access, refresh, ok := w.s.tokens("login", a)
	if !ok {
		return
	}
	if a.cookie == "" {
		w.s.unexpected("login", "no session cookie")
		return
	}
	u.access, u.refresh, u.cookie = access, refresh, a.cookie
}

// tokens reads the token pair of a 200 from /login or /token/refresh.
func (s *server) tokens(kind string, a answer) (access, refresh string, ok bool) {
	var pair struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(a.body, &pair); err != nil || pair.AccessToken == "" || pair.RefreshToken == "" {
		s.unexpected(kind, fmt.Sprintf("no tokens in %.200s (%v)", a.body, err))
		return "", "", false
	}
	return pair.AccessToken, pair.RefreshToken, true
}

func (w *worker) meByToken(u *user) {
	if w.s.send("me by token", nil, u.access, "", http.StatusOK).status != http.StatusOK {
		pause()
	}
}

func (w *worker) meByCookie(u *user) {
	a := w.s.send("me by cookie", nil, "", u.cookie, http.StatusOK)
	if a.cookie != "" {
		u.cookie = a.cookie
	}
	if a.status != http.StatusOK {
		pause()
	}
}

// refresh rotates u's refresh token. After a 503 the client cannot know
// whether the rotation happened (Redis may have stored it and died before
// answering), and presenting the old token again would be a reuse: it
// signs in again instead, as a client whose refresh failed does.
func (w *worker) refresh(u *user) {
	a := w.s.send("refresh", map[string]string{"refresh_token": u.refresh}, "", "", http.StatusOK)
	if a.status != http.StatusOK {
		*u = user{name: u.name}
		pause()
		return
	}
	access, refresh, ok := w.s.tokens("refresh", a)
	if !ok {
		*u = user{name: u.name}
		return
	}
	u.access, u.refresh = access, refresh
}

// logout ends u's sign-in by its access token and refresh token; then
// the access token, the session cookie (its session is linked to the
// refresh family) and the refresh token must each be refused.
func (w *worker) logout(u *user) {
	ended := *u
	*u = user{name: u.name}
	a := w.s.send("logout", map[string]string{"refresh_token": ended.refresh}, ended.access, "", http.StatusNoContent)
	if a.status != http.StatusNoContent {
		pause()
		return
	}
	w.s.keepRevoked(ended.access, time.Now())
	w.s.send("ended token", nil, ended.access, "", http.StatusUnauthorized)
	w.s.send("ended cookie", nil, "", ended.cookie, http.StatusUnauthorized)
	w.s.send("ended refresh", map[string]string{"refresh_token": ended.refresh}, "", "", http.StatusUnauthorized)
}

// pause is a client's short back-off after a failed request, so the
// clients do not spin while Redis is down.
func pause() { time.Sleep(10 * time.Millisecond) }

// counts are the answers by kind and status.
type counts struct {
	mu            sync.Mutex
	total         int
	byKind        map[string]int
	byStatus      map[int]int
	unavailable   map[string]int // 503s by kind
	unexpected    int
	afterRecovery int // answers as wanted to requests sent recoveryBound after Redis returned
	slowest       time.Duration
}

func (c *counts) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total, c.unexpected, c.afterRecovery, c.slowest = 0, 0, 0, 0
	c.byKind, c.byStatus, c.unavailable = map[string]int{}, map[int]int{}, map[string]int{}
}

func (c *counts) add(kind string, status int, took time.Duration, afterRecovery bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slowest = max(c.slowest, took)
	c.total++
	c.byKind[kind]++
	c.byStatus[status]++
	if status == http.StatusServiceUnavailable {
		c.unavailable[kind]++
	}
	if afterRecovery {
		c.afterRecovery++
	}
}

func (c *counts) unexpect() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unexpected++
	return c.unexpected
}

// countsView is a copy of counts.
type countsView struct {
	total, unexpected, afterRecovery int
	slowest                          time.Duration
	byKind, unavailable              map[string]int
	byStatus                         map[int]int
}

func (c *counts) snapshot() countsView {
	c.mu.Lock()
	defer c.mu.Unlock()
	return countsView{c.total, c.unexpected, c.afterRecovery, c.slowest, maps.Clone(c.byKind), maps.Clone(c.unavailable), maps.Clone(c.byStatus)}
}

func (v countsView) kinds() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(v.byKind)) {
		part := fmt.Sprintf("%s %d", k, v.byKind[k])
		if n := v.unavailable[k]; n > 0 {
			part += fmt.Sprintf(" (503: %d)", n)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

func (v countsView) statuses() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(v.byStatus)) {
		parts = append(parts, fmt.Sprintf("%d: %d", k, v.byStatus[k]))
	}
	return strings.Join(parts, ", ")
}

// window is when Redis was down and what answered 503.
type window struct {
	mu          sync.Mutex
	downAt      time.Time
	upAt        time.Time
	unavailable int
	first, last time.Time // the first 503's start, the last one's end
}

func (w *window) down(at time.Time) { w.mu.Lock(); w.downAt = at; w.mu.Unlock() }
func (w *window) up(at time.Time)   { w.mu.Lock(); w.upAt = at; w.mu.Unlock() }

// covers reports whether a request in flight from began to ended may
// answer 503: it was in flight after Redis went down and began before
// recoveryBound after Redis was back.
func (w *window) covers(began, ended time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.downAt.IsZero() && !ended.Before(w.downAt) && (w.upAt.IsZero() || began.Before(w.upAt.Add(recoveryBound)))
}

// recovered reports whether a request that began then was sent
// recoveryBound after Redis was back.
func (w *window) recovered(began time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.upAt.IsZero() && began.After(w.upAt.Add(recoveryBound))
}

// saw records a 503.
func (w *window) saw(began, ended time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unavailable++
	if w.first.IsZero() || began.Before(w.first) {
		w.first = began
	}
	if ended.After(w.last) {
		w.last = ended
	}
}

// windowView is a copy of window.
type windowView struct {
	downAt, upAt, first, last time.Time
	unavailable               int
}

func (w *window) snapshot() windowView {
	w.mu.Lock()
	defer w.mu.Unlock()
	return windowView{w.downAt, w.upAt, w.first, w.last, w.unavailable}
}

// levelCounter is a slog handler that counts the records at WARN and
// ERROR and drops them, and a go-redis logger that counts its lines: the
// outage makes both log.
type levelCounter struct{ warn, err, redis atomic.Int64 }

func (h *levelCounter) Printf(context.Context, string, ...any) { h.redis.Add(1) }

func (h *levelCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelCounter) Handle(_ context.Context, r slog.Record) error {
	switch {
	case r.Level >= slog.LevelError:
		h.err.Add(1)
	case r.Level >= slog.LevelWarn:
		h.warn.Add(1)
	}
	return nil
}
func (h *levelCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *levelCounter) WithGroup(string) slog.Handler      { return h }
