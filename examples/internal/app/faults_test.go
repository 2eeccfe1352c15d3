package app

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/faulttest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// requestBudget bounds one request of the reference API while Redis
// misbehaves, with the example's client settings (redis.go): a call fails
// after about a second, a request makes at most two before it answers.
// Generous for a loaded machine, far below a hang.
const requestBudget = 4 * time.Second

// TestRedisFaults runs the reference API through the net/http adapter on a
// Redis behind a proxy that misbehaves, with the client the servers build
// from REDIS_URL: every request answers within the budget; those that need
// a store (a token's revocation check, a session, an account, a sign-in)
// answer 503, as do the rate-limited endpoints (their limits fail closed),
// the others as always (health, JWKS, no credentials, a forged token on
// /me); once Redis heals the same sign-in works again; nothing leaks.
func TestRedisFaults(t *testing.T) {
	faulttest.CheckLeaks(t)
	p, opts := redistest.NewTestProxy(t)
	s := newTestServer(t, Config{RedisURL: "redis://" + p.Addr() + "/" + strconv.Itoa(opts.DB), RedisPrefix: redistest.Prefix(t)})
	s.register("alice", testPass)
	access, refresh, cookie := s.login("alice")
	bearer := map[string]string{"Authorization": "Bearer " + access}
	withCookie := map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + cookie}
	forged := map[string]string{"Authorization": "Bearer " + access[:len(access)-4] + "AAAA"}
	login := `{"username":"alice","password":"` + testPass + `"}`
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		want                     int
	}{
		{"health", "GET", "/healthz", "", nil, 200},
		{"JWKS", "GET", "/.well-known/jwks.json", "", nil, 200},
		{"/me without credentials", "GET", "/me", "", nil, 401},
		{"/me with a forged token", "GET", "/me", "", forged, 401},
		{"/me by token", "GET", "/me", "", bearer, 503},
		{"/me by cookie", "GET", "/me", "", withCookie, 503},
		{"sessions by token", "GET", "/sessions", "", bearer, 503},
		{"login", "POST", "/login", login, nil, 503},
		{"login with a session cookie", "POST", "/login", login, withCookie, 503},
		{"register", "POST", "/register", `{"username":"bob","password":"` + testPass + `"}`, nil, 503},
		{"refresh", "POST", "/token/refresh", `{"refresh_token":"` + refresh + `"}`, nil, 503},
		// The rate limit of the token endpoint fails closed before the
		// token is looked at: without its store it lets no guess through.
		{"refresh with a forged token", "POST", "/token/refresh", `{"refresh_token":"` + refresh[:len(refresh)-4] + `AAAA"}`, nil, 503},
		{"logout by token", "POST", "/logout", "", bearer, 503},
		{"logout everywhere by cookie", "POST", "/logout/all", "", withCookie, 503},
	}
	faulttest.Run(t, p, faulttest.Cases, func(t *testing.T, ctx context.Context) {
		// All at once, as a server's clients would send them.
		took := make([]time.Duration, len(tests))
		var wg sync.WaitGroup
		for i, tt := range tests {
			wg.Go(func() {
				start := time.Now()
				status := s.callCtx(ctx, tt.method, tt.path, tt.body, tt.header)
				took[i] = time.Since(start)
				if status != tt.want {
					t.Errorf("%s: %d, want %d", tt.name, status, tt.want)
				}
				if took[i] > requestBudget {
					t.Errorf("%s took %v, over the %v budget", tt.name, took[i], requestBudget)
				}
			})
		}
		wg.Wait()
		t.Logf("slowest request %v", slices.Max(took).Round(time.Millisecond))
	}, func(ctx context.Context) error {
		if status := s.callCtx(ctx, "GET", "/me", "", bearer); status != 200 {
			return errStatus(status)
		}
		if status := s.callCtx(ctx, "GET", "/me", "", withCookie); status != 200 {
			return errStatus(status)
		}
		return nil
	})
}

type errStatus int

func (e errStatus) Error() string { return "status " + strconv.Itoa(int(e)) }

// callCtx is call with the request's context, answering the status.
func (s *testServer) callCtx(ctx context.Context, method, path, body string, header map[string]string) int {
	req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Code == http.StatusInternalServerError {
		s.t.Errorf("%s %s: 500 %s", method, path, rec.Body)
	}
	return rec.Code
}

// The servers' Redis client gives up after the timeouts of redis.go, and
// REDIS_URL's query still sets each of them.
func TestRedisClientSettings(t *testing.T) {
	tests := []struct {
		url               string
		dial, read, write time.Duration
		pool              time.Duration
		retries           int
	}{
		// No retries: RedisMaxRetries (-1), which NewClient stores as 0.
		{"redis://127.0.0.1:6379/0", RedisDialTimeout, RedisReadTimeout, RedisWriteTimeout, RedisPoolTimeout, 0},
		{"redis://127.0.0.1:6379/0?read_timeout=2s&max_retries=3", RedisDialTimeout, 2 * time.Second, RedisWriteTimeout, RedisPoolTimeout, 3},
		{"redis://127.0.0.1:6379/0?dial_timeout=3s&write_timeout=1s&pool_timeout=4s", 3 * time.Second, RedisReadTimeout, time.Second, 4 * time.Second, 0},
	}
	for _, tt := range tests {
		c, err := Config{RedisURL: tt.url}.redisClient()
		if err != nil {
			t.Fatal(err)
		}
		o := c.(*redis.Client).Options()
		c.Close()
		if o.DialTimeout != tt.dial || o.ReadTimeout != tt.read || o.WriteTimeout != tt.write || o.PoolTimeout != tt.pool ||
			o.MaxRetries != tt.retries || o.DialerRetries != 1 || !o.ContextTimeoutEnabled {
			t.Errorf("%s: dial %v read %v write %v pool %v retries %d dialer retries %d context %v", tt.url,
				o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled)
		}
	}
}

// TestRedisClientSendsOnce: the servers' client never sends a command
// again once it may have run. go-redis retries an attempt whose reply
// timed out (or whose connection died) as if it had failed, but Redis
// may well have run it, only late: a refresh rotation run twice reads its
// own first run as a reuse and ends the family, so the client that got
// the new pair is signed out; a registration run twice answers 409 to its
// own account; a TOTP step or a recovery code is spent by the first run
// and refused to the second. Here the replies come later than the read
// timeout: the INCR must reach Redis once.
func TestRedisClientSendsOnce(t *testing.T) {
	p, opts := redistest.NewTestProxy(t)
	c, err := Config{RedisURL: "redis://" + p.Addr() + "/" + strconv.Itoa(opts.DB)}.redisClient()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	key := redistest.Prefix(t) + "n"
	// Two open connections, so that a retry would find one ready rather
	// than dial (a dial's handshake would time out behind the latency).
	rc := c.(*redis.Client)
	c1, c2 := rc.Conn(), rc.Conn()
	for _, cn := range []*redis.Conn{c1, c2} {
		if err := cn.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c1.Close()
	c2.Close()
	if n := rc.PoolStats().IdleConns; n < 2 {
		t.Fatalf("%d idle connections, want 2", n)
	}
	sent := p.Requests()
	p.SetLatency(RedisReadTimeout + 300*time.Millisecond)
	if err := c.Incr(ctx, key).Err(); err == nil {
		t.Fatal("INCR answered within the read timeout behind the latency")
	}
	p.SetLatency(0)
	if n := p.Requests() - sent; n != 1 {
		t.Errorf("the INCR was sent %d times after its reply timed out, want once", n)
	}
	direct := redistest.Client(t)
	if _, err := redistest.Poll(5*time.Second, func() error {
		if v, _ := direct.Get(ctx, key).Int(); v == 0 {
			return errors.New("the delayed INCR has not arrived")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
