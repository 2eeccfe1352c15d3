// Package blackbox builds the four example servers and drives them over real
// HTTP, as a user would: same requests, same answers, on every framework.
package blackbox

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Frameworks are the example servers, by directory under examples/.
var Frameworks = []string{"gin", "echo", "fiber", "nethttp"}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds every example server, and the browser demo, once per
// test binary.
func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "authkit-examples-")
		if buildErr != nil {
			return
		}
		for _, fw := range append(slices.Clone(Frameworks), "demo") {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, fw), "./"+fw)
			cmd.Dir = ".."
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("building %s: %v\n%s", fw, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var listening = regexp.MustCompile(`listening .*addr=(\S+)`)

// Server is one running example server.
type Server struct {
	Name string
	URL  string
	// Flags are the flags the server was started with, -addr aside
	// (start's lifted limits first).
	Flags []string

	stop      func()
	terminate func(os.Signal) error
	logMu     *sync.Mutex
	logs      *strings.Builder
}

// Stop interrupts the server and waits for it to exit.
func (s *Server) Stop() { s.stop() }

// Terminate sends sig to the server and waits for it to exit; the error
// is nil when it exited with status 0.
func (s *Server) Terminate(sig os.Signal) error { return s.terminate(sig) }

// Logs returns what the server wrote to stderr so far.
func (s *Server) Logs() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.logs.String()
}

// liftedLimits lift the servers' rate limits: every scenario sends many
// requests from 127.0.0.1, and only the throttling scenario, which passes
// its own -rate-ip and -rate-login (a later flag wins), means to reach
// them. The MFA factor lock is not a rate limit and stays.
var liftedLimits = []string{"-rate-ip", "100000000", "-rate-login", "100000000"}

// start runs the example server fw on a free port with extra flags and
// environment, and stops it when the test ends. The rate limits are lifted
// unless flags set them (liftedLimits).
func start(t *testing.T, fw string, env []string, flags ...string) *Server {
	t.Helper()
	return startAs(t, fw, env, append(slices.Clone(liftedLimits), flags...)...)
}

// startAs is start without the lifted limits: the server runs with flags
// alone, its rate limits its own defaults unless flags set them.
func startAs(t *testing.T, fw string, env []string, flags ...string) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	args := append([]string{"-addr", "127.0.0.1:0"}, flags...)
	cmd := exec.CommandContext(ctx, filepath.Join(binaries(t), fw), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	logs := new(strings.Builder)
	logMu := new(sync.Mutex)
	drained := make(chan struct{})
	var once sync.Once
	var exit error
	wait := func() {
		// Read the log to its end before Wait closes the pipe, so that
		// what the server writes as it shuts down is kept.
		select {
		case <-drained:
		case <-time.After(10 * time.Second):
		}
		exit = cmd.Wait()
	}
	stop := func() { once.Do(func() { cancel(); wait() }) }
	terminate := func(sig os.Signal) error {
		once.Do(func() {
			if exit = cmd.Process.Signal(sig); exit == nil {
				wait()
			}
		})
		return exit
	}
	t.Cleanup(stop)
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return &Server{Name: fw, URL: "http://" + a, Flags: flags, stop: stop, terminate: terminate, logMu: logMu, logs: logs}
	case <-time.After(30 * time.Second):
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("%s did not start listening; its log:\n%s", fw, logs.String())
		return nil
	}
}

// Answer is a response reduced to what the scenario compares.
type Answer struct {
	Status int
	Header http.Header
	Body   string
}

func (s *Server) do(t *testing.T, req *http.Request) Answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s %s: %v", s.Name, req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

func (s *Server) get(t *testing.T, path string) Answer {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.do(t, req)
}

// securityHeaders are the exact values every answer of an example carries.
var securityHeaders = map[string]string{
	"Strict-Transport-Security":    "max-age=63072000; includeSubDomains; preload",
	"Content-Security-Policy":      "default-src 'self'",
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "strict-origin-when-cross-origin",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
}

func checkSecurityHeaders(t *testing.T, who string, h http.Header) {
	t.Helper()
	for k, v := range securityHeaders {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s: %s = %q, want exactly %q", who, k, got, v)
		}
	}
	if h.Get("Permissions-Policy") == "" {
		t.Errorf("%s: Permissions-Policy missing", who)
	}
}

func TestHealthzAndUnknownPath(t *testing.T) {
	for _, fw := range Frameworks {
		t.Run(fw, func(t *testing.T) {
			t.Parallel()
			s := start(t, fw, memoryEnv, "-dev-fast-hash")
			a := s.get(t, "/healthz")
			if a.Status != 200 || a.Body != `{"status":"ok"}` {
				t.Errorf("/healthz = %d %q, want 200 {\"status\":\"ok\"}", a.Status, a.Body)
			}
			if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("/healthz Content-Type = %q", ct)
			}
			checkSecurityHeaders(t, "/healthz", a.Header)
			u := s.get(t, "/no/such/path")
			if u.Status != 404 {
				t.Errorf("unknown path status = %d, want 404", u.Status)
			}
			checkSecurityHeaders(t, "unknown path", u.Header)
		})
	}
}
