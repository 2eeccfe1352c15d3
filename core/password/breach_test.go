package password

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// rangeServer speaks the Pwned Passwords range protocol over a fixed corpus
// and records every request path and padding header it sees.
type rangeServer struct {
	mu      sync.Mutex
	paths   []string
	padding []string
	corpus  map[string]int // full upper-case SHA-1 hex -> count
	status  int
	body    string // when set, served as is
	delay   time.Duration
}

func (s *rangeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.paths = append(s.paths, r.URL.Path+"?"+r.URL.RawQuery)
	s.padding = append(s.padding, r.Header.Get("Add-Padding"))
	s.mu.Unlock()
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	if s.body != "" {
		fmt.Fprint(w, s.body)
		return
	}
	prefix := strings.TrimPrefix(r.URL.Path, "/range/")
	for h, n := range s.corpus {
		if strings.HasPrefix(h, prefix) {
			fmt.Fprintf(w, "%s:%d\r\n", h[5:], n)
		}
	}
	// Padding entries, count 0, including one for every corpus suffix.
	for h := range s.corpus {
		fmt.Fprintf(w, "%s:0\r\n", strings.Repeat("F", 5)+h[10:])
	}
	fmt.Fprintf(w, "%s:0", strings.Repeat("0", 35))
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func newRangeServer(t *testing.T, rs *rangeServer) *PwnedChecker {
	t.Helper()
	srv := httptest.NewServer(rs)
	t.Cleanup(srv.Close)
	c, err := NewPwnedChecker(WithPwnedBaseURL(srv.URL+"/range"), WithPwnedTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPwnedChecker(t *testing.T) {
	rs := &rangeServer{corpus: map[string]int{
		sha1Hex("P@ssw0rd-breached"): 4212,
		sha1Hex("only-padded"):       0,
	}}
	c := newRangeServer(t, rs)
	tests := []struct {
		password string
		want     bool
	}{
		{"P@ssw0rd-breached", true},
		{"only-padded", false},
		{"Vq7-lantern-Orbit", false},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			got, err := c.Breached(context.Background(), tt.password)
			if err != nil || got != tt.want {
				t.Fatalf("Breached = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	// The server never learns more than the 5-character prefix.
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.paths) != len(tests) {
		t.Fatalf("server saw %d requests, want %d", len(rs.paths), len(tests))
	}
	for i, p := range rs.paths {
		want := "/range/" + sha1Hex(tests[i].password)[:5] + "?"
		if p != want {
			t.Errorf("request %d path %q, want %q", i, p, want)
		}
		if rs.padding[i] != "true" {
			t.Errorf("request %d Add-Padding = %q, want true", i, rs.padding[i])
		}
		for _, s := range []string{sha1Hex(tests[i].password)[5:], tests[i].password} {
			if strings.Contains(p, s) {
				t.Errorf("request %d leaks %q", i, s)
			}
		}
	}
}

func TestPwnedCheckerFailures(t *testing.T) {
	tests := []struct {
		name     string
		rs       *rangeServer
		failOpen bool
		wantErr  bool
	}{
		{"500 fails closed", &rangeServer{status: 500}, false, true},
		{"500 fails open", &rangeServer{status: 500}, true, false},
		{"garbage fails closed", &rangeServer{body: "<html>hello</html>"}, false, true},
		{"garbage fails open", &rangeServer{body: "<html>hello</html>"}, true, false},
		{"timeout fails closed", &rangeServer{delay: 5 * time.Second}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.rs)
			defer srv.Close()
			opts := []PwnedOption{WithPwnedBaseURL(srv.URL), WithPwnedTimeout(100 * time.Millisecond)}
			if tt.failOpen {
				opts = append(opts, WithPwnedFailOpen())
			}
			c, err := NewPwnedChecker(opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Breached(context.Background(), "whatever-password")
			if got {
				t.Fatal("Breached = true on a failure")
			}
			if tt.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrBreachCheck)) {
				t.Fatalf("err = %v, want error=%v wrapping ErrBreachCheck", err, tt.wantErr)
			}
		})
	}
}

func TestPwnedInPolicy(t *testing.T) {
	rs := &rangeServer{corpus: map[string]int{sha1Hex("Breached-Passw0rd-42"): 3}}
	c := newRangeServer(t, rs)
	p, err := NewPolicy(WithBreachChecker(c))
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(p.Check(context.Background(), "Breached-Passw0rd-42", User{})); len(got) != 1 || got[0] != CodeBreached {
		t.Fatalf("codes = %v, want [breached]", got)
	}
}

func TestNewPwnedCheckerValidation(t *testing.T) {
	tests := []struct {
		name string
		opt  PwnedOption
	}{
		{"ftp URL", WithPwnedBaseURL("ftp://x")},
		{"nil client", WithPwnedHTTPClient(nil)},
		{"zero timeout", WithPwnedTimeout(0)},
		{"min count 0", WithPwnedMinCount(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewPwnedChecker(tt.opt); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

const testSuffix = "1E4C9B93F3F0682250B6CF8331B7EE68FD8"

// parseRangeCases is the hostile table of range answers, for
// TestParseRangeHostile and the seeds of FuzzParseRange.
var parseRangeCases = []struct {
	name    string
	body    string
	want    int
	wantErr bool
}{
	{"empty", "", 0, false},
	{"match", testSuffix + ":12\r\n", 12, false},
	{"lower-case match", strings.ToLower(testSuffix) + ":12", 12, false},
	{"LF only", "00000000000000000000000000000000000:1\n" + testSuffix + ":7\n", 7, false},
	{"padding ignored", testSuffix + ":0\r\n", 0, false},
	{"short suffix", "ABC:1\r\n", 0, true},
	{"non-hex", strings.Repeat("G", 35) + ":1", 0, true},
	{"no count", testSuffix + ":", 0, true},
	{"negative count", testSuffix + ":-5", 0, true},
	{"huge count", testSuffix + ":99999999999999999999", 0, true},
	{"no colon", testSuffix, 0, true},
	{"html", "<html></html>", 0, true},
	{"NUL bytes", "\x00\x00\x00", 0, true},
}

func TestParseRangeHostile(t *testing.T) {
	for _, tt := range parseRangeCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRange([]byte(tt.body), testSuffix)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseRange = %d, %v; want %d, error=%v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBreachCheck) {
				t.Fatalf("err %v does not wrap ErrBreachCheck", err)
			}
		})
	}
}

func FuzzParseRange(f *testing.F) {
	for _, tt := range parseRangeCases {
		f.Add([]byte(tt.body))
	}
	f.Add([]byte(testSuffix + ":12\r\n00000000000000000000000000000000000:0"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := parseRange(body, testSuffix)
		if err != nil && (n != 0 || !errors.Is(err, ErrBreachCheck)) {
			t.Fatalf("parseRange = %d, %v", n, err)
		}
		if n < 0 {
			t.Fatalf("negative count %d", n)
		}
	})
}
