package redistest

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Fault is what a Proxy does to the traffic passing through it.
type Fault int

// The faults a Proxy can inject.
const (
	// Pass forwards every byte (after the configured latency).
	Pass Fault = iota
	// Freeze accepts connections and reads requests but never answers, as
	// a stalled server or a black-holed network does.
	Freeze
	// Refuse closes every new connection at once; open ones stay as they
	// are until Reset.
	Refuse
)

// Proxy is a loopback TCP proxy in front of a Redis server that can add
// latency, freeze, refuse connections and reset open ones, so that tests can
// see what a store does when Redis misbehaves. Start it with NewProxy; it is
// closed, with every connection it holds, when the test ends.
type Proxy struct {
	target string
	ln     net.Listener

	mu      sync.Mutex
	fault   Fault
	latency time.Duration
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	closed  bool
	sent    atomic.Int64  // chunks read from clients
	replies atomic.Int64  // chunks read from the server
	once    time.Duration // DelayNext's hold, for the next reply chunk
}

// NewProxy starts a proxy on a free loopback port forwarding to target
// ("host:port").
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{target: target, ln: ln, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port; point the client under test at it.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Set switches the fault for every byte from now on, on open connections
// too. Set(Pass) heals a frozen proxy: what was held back is then delivered.
func (p *Proxy) Set(f Fault) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

// SetLatency delays every chunk forwarded in either direction by d.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// Reset closes every open connection with a TCP reset; the client sees
// "connection reset by peer" on its next read or write.
func (p *Proxy) Reset() {
	p.mu.Lock()
	conns := p.conns
	p.conns = make(map[net.Conn]struct{})
	p.mu.Unlock()
	for c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
}

// DelayNext holds the next chunk Redis sends (the next reply) back by d
// before the fault in force applies to it; the chunks after it pass at
// once. With d longer than the client's read timeout, Redis has run the
// command but its reply times out, and a client with retries sends the
// command again, on another connection: Redis runs it twice.
func (p *Proxy) DelayNext(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.once = d
}

func (p *Proxy) takeOnce() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.once
	p.once = 0
	return d
}

// Replies returns how many chunks the proxy has read from Redis so far (a
// reply, or a pipeline's, is one chunk or a few), whether the client still
// waits for them or not: once Replies has grown as much as Requests, Redis
// has run every command sent since.
func (p *Proxy) Replies() int64 { return p.replies.Load() }

// Requests returns how many chunks the proxy has read from its clients so
// far (a command, or a pipeline, is one chunk or a few), whether it has
// passed them on yet or not: a test waits for it to grow to know that the
// code under test has reached Redis.
func (p *Proxy) Requests() int64 { return p.sent.Load() }

// Conns returns the number of connections open through the proxy (each
// client connection counts once).
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns) / 2
}

// Close stops the proxy and closes every connection, and waits for its
// goroutines to end.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	_ = p.ln.Close()
	p.Reset()
	p.wg.Wait()
}

func (p *Proxy) state() (Fault, time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fault, p.latency, p.closed
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if f, _, _ := p.state(); f == Refuse {
			_ = client.Close()
			continue
		}
		server, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !p.track(client) || !p.track(server) {
			_ = client.Close()
			_ = server.Close()
			return
		}
		p.wg.Add(2)
		go p.pipe(server, client, &p.sent)
		go p.pipe(client, server, &p.replies)
	}
}

// pipe copies from src to dst chunk by chunk, applying the fault in force
// when each chunk arrives, and counts the chunks in count.
// A frozen chunk waits until the proxy heals or closes. An end of stream
// from src is passed on as one (a half close), so that Redis still answers
// what a client sent before it hung up and Replies counts the answer; the
// other direction then closes both.
func (p *Proxy) pipe(dst, src net.Conn, count *atomic.Int64) {
	defer p.wg.Done()
	half := false
	defer func() {
		if !half {
			_ = dst.Close()
			_ = src.Close()
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			count.Add(1)
			if count == &p.replies {
				if d := p.takeOnce(); d > 0 {
					time.Sleep(d)
				}
			}
			for {
				f, d, closed := p.state()
				if closed {
					return
				}
				if f != Freeze {
					if d > 0 {
						time.Sleep(d)
					}
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			// EOF, a reset, or Close: either way this direction is done.
			if tc, ok := dst.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
				half = tc.CloseWrite() == nil
			}
			return
		}
	}
}

// NewTestProxy starts a Proxy in front of the test Redis and returns it
// with the test Redis's client options (its database and credentials).
// Without Redis the test skips, or fails under REQUIRE_REDIS=1.
func NewTestProxy(tb testing.TB) (*Proxy, *redis.Options) {
	tb.Helper()
	Client(tb) // skip or fail without Redis
	opts, err := redis.ParseURL(URL())
	if err != nil {
		tb.Fatal(err)
	}
	return NewProxy(tb, opts.Addr), opts
}

// Heal makes the proxy pass everything at once again.
func (p *Proxy) Heal() {
	p.SetLatency(0)
	p.Set(Pass)
}

// Poll calls fn until it returns nil or deadline has passed, and returns
// how long it waited and fn's last error. It is for waiting on something
// outside the test's control (a reconnect, a failover); it never times the
// code under test.
func Poll(deadline time.Duration, fn func() error) (time.Duration, error) {
	start := time.Now()
	for {
		err := fn()
		if err == nil || time.Since(start) > deadline {
			return time.Since(start), err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SendTwice runs call, a store call of one command on a client through p
// that re-sends a command whose reply is late (ResendingClient), holding
// the reply back by late (DelayNext) so that it times out and the client
// sends the command again. It returns call's error once Redis has run both
// sendings, and fails tb if the command was not sent again.
func (p *Proxy) SendTwice(tb testing.TB, late time.Duration, call func() error) error {
	tb.Helper()
	req, rep := p.Requests(), p.Replies()
	p.DelayNext(late)
	err := call()
	if _, werr := Poll(5*time.Second, func() error {
		if p.Replies()-rep < p.Requests()-req {
			return errors.New("a sending is not answered yet")
		}
		return nil
	}); werr != nil {
		tb.Fatal(werr)
	}
	if n := p.Requests() - req; n < 2 {
		tb.Fatalf("the command was sent %d times, want a second sending after its reply timed out", n)
	}
	return err
}

// ResendingClient returns a client through p (with opts' database and
// credentials, from NewTestProxy) that sends a command again when its
// reply takes longer than readTimeout, as go-redis does by default
// (MaxRetries 3; here 1). It is closed when the test ends.
func (p *Proxy) ResendingClient(tb testing.TB, opts *redis.Options, readTimeout time.Duration) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{
		Addr: p.Addr(), DB: opts.DB, Username: opts.Username, Password: opts.Password,
		ReadTimeout: readTimeout, MaxRetries: 1,
	})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}
