package redistest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a private redis-server a test starts, stops and starts again
// on the same port, to check behaviour during and after an outage. It keeps
// nothing on disk unless started by StartDurableServer.
type Server struct {
	tb   testing.TB
	bin  string
	port int
	args []string // persistence
	cmd  *exec.Cmd
}

// StartServer starts a private redis-server on a free loopback port and
// stops it when the test ends. Without the redis-server binary the test is
// skipped loudly, or fails under REQUIRE_REDIS=1.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	return startServer(tb, "--save", "", "--appendonly", "no")
}

// StartDurableServer is StartServer for a server whose data survives Stop
// and Start: an append-only file in a temporary directory. Redis writes
// each write into it before acknowledging it, so killing the server loses
// nothing acknowledged. It never fsyncs (appendfsync no): only a crash of
// the machine could lose what the kernel had not written yet, and a test
// on a busy disk does not stall behind fsync. (With appendfsync everysec,
// Redis's default, a write may be put off for up to 2 s while an fsync is
// under way, so even a killed server can lose what it acknowledged.)
func StartDurableServer(tb testing.TB) *Server {
	tb.Helper()
	return startServer(tb, "--save", "", "--appendonly", "yes", "--appendfsync", "no", "--dir", tb.TempDir())
}

func startServer(tb testing.TB, persistence ...string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("REQUIRE_REDIS") == "1" {
			tb.Fatal("redis-server not found (REQUIRE_REDIS=1)")
		}
		tb.Skip("SKIPPING: redis-server binary not found")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &Server{tb: tb, bin: bin, port: port, args: persistence}
	tb.Cleanup(s.Stop)
	s.Start()
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Client returns a new client for the server that fails fast while it is
// down (no retries; a refused dial fails at once). The test owns it.
func (s *Server) Client() *redis.Client {
	// A stopped server refuses at once, so the dial timeout only matters
	// for a live one: generous, so that a loaded CI machine does not read
	// a slow accept as an outage.
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), DialTimeout: 2 * time.Second,
		MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	s.tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Start starts the server (again) and waits until it answers.
func (s *Server) Start() {
	s.tb.Helper()
	if s.cmd != nil {
		return
	}
	cmd := exec.Command(s.bin, append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1"}, s.args...)...)
	if err := cmd.Start(); err != nil {
		s.tb.Fatal(err)
	}
	s.cmd = cmd
	probe := redis.NewClient(&redis.Options{Addr: s.Addr(), DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer probe.Close()
	for range 200 {
		if probe.Ping(context.Background()).Err() == nil {
			return
		}
		time.Sleep(20 * time.Millisecond) // polling a child process, not timing code under test
	}
	s.tb.Fatalf("redis-server on %s did not start", s.Addr())
}

// Stop kills the server (SIGKILL, a crash): its data is gone, unless it
// was started by StartDurableServer.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}
