package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/authkit-go/authkit/core/audit"
)

func TestSlogSinkWritesStructuredRecord(t *testing.T) {
	var buf bytes.Buffer
	sink := audit.NewSlogSink(slog.New(slog.NewJSONHandler(&buf, nil)))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sink.Emit(context.Background(), audit.Event{Kind: audit.LoginFailed, Time: at, Subject: "alice", IP: "192.0.2.1", Reason: "bad_password"})

	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("record is not JSON: %v: %s", err, buf.Bytes())
	}
	want := map[string]any{"level": "WARN", "msg": "authkit", "event": "login.failed", "subject": "alice", "ip": "192.0.2.1", "reason": "bad_password", "at": "2026-01-02T03:04:05Z"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
	for _, absent := range []string{"user_agent", "family"} {
		if _, ok := rec[absent]; ok {
			t.Errorf("empty field %q was written", absent)
		}
	}
}

func TestSlogSinkWritesCoalescedRateLimitHit(t *testing.T) {
	var buf bytes.Buffer
	sink := audit.NewSlogSink(slog.New(slog.NewJSONHandler(&buf, nil)))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sink.Emit(context.Background(), audit.Event{Kind: audit.RateLimitHit, Time: at, Limit: "account", Key: "account:3q2-7w", Count: 7})

	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("record is not JSON: %v: %s", err, buf.Bytes())
	}
	want := map[string]any{"level": "WARN", "event": "ratelimit.hit", "limit": "account", "key": "account:3q2-7w", "count": float64(7)}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}

	buf.Reset()
	sink.Emit(context.Background(), audit.Event{Kind: audit.LoginFailed, Time: at})
	rec = nil
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"limit", "key", "count"} {
		if _, ok := rec[absent]; ok {
			t.Errorf("empty field %q was written", absent)
		}
	}
}

func TestKindLevel(t *testing.T) {
	tests := []struct {
		kind audit.Kind
		want slog.Level
	}{
		{audit.LoginSucceeded, slog.LevelInfo},
		{audit.LoginFailed, slog.LevelWarn},
		{audit.TokenReuseDetected, slog.LevelWarn},
		{audit.SessionRotated, slog.LevelInfo},
		{audit.RateLimitHit, slog.LevelWarn},
		{audit.MFAFailed, slog.LevelWarn},
		{audit.MFALocked, slog.LevelWarn},
		{audit.MFAVerified, slog.LevelInfo},
		{audit.RecoveryCodeUsed, slog.LevelInfo},
		{audit.OAuthFailed, slog.LevelWarn},
	}
	for _, tt := range tests {
		if got := tt.kind.Level(); got != tt.want {
			t.Errorf("%s.Level() = %v, want %v", tt.kind, got, tt.want)
		}
	}
}

func ExampleSinkFunc() {
	var got []audit.Kind
	collect := audit.SinkFunc(func(_ context.Context, e audit.Event) { got = append(got, e.Kind) })
	collect.Emit(context.Background(), audit.Event{Kind: audit.SessionCreated, Subject: "alice"})
	fmt.Println(got)
	// Output: [session.created]
}

// TestClip: each case is (input, bound, result); what it shows is beside it.
func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		n        int
	}{
		{"curl/8.0", "curl/8.0", 256},            // short
		{"abcd", "abcd", 4},                      // exact
		{"abcdef", "abcd", 4},                    // ASCII cut
		{"abc", "", 0},                           // no room
		{"abc", "", -1},                          // negative bound
		{"aé", "a", 2},                           // a two-byte character is not split
		{"ab€", "ab", 4},                         // nor a three-byte one
		{"a😀", "a", 4},                           // nor a four-byte one
		{"a😀", "a😀", 5},                          // which fits in five
		{"a\xffb", "a\uFFFDb", 10},               // invalid byte replaced
		{"ab\xff", "ab", 3},                      // the replacement does not overflow
		{strings.Repeat("\x80", 8), "\uFFFD", 6}, // continuation bytes only
		{"a\xed\xa0\x80", "a\uFFFD", 10},         // an encoded surrogate
	} {
		if got := audit.Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func FuzzClip(f *testing.F) {
	for _, s := range []string{"", "abc", "aé€😀", "\xff\xfe", "\xed\xa0\x80", strings.Repeat("\x80", 300), "a\x00b"} {
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 512
		got := audit.Clip(s, n)
		if !utf8.ValidString(got) {
			t.Fatalf("Clip(%q, %d) = %q: not UTF-8", s, n, got)
		}
		if n <= 0 && got != "" || n > 0 && len(got) > n {
			t.Fatalf("Clip(%q, %d) = %q: %d bytes", s, n, got, len(got))
		}
		if utf8.ValidString(s) && !strings.HasPrefix(s, got) {
			t.Fatalf("Clip(%q, %d) = %q: not a prefix of valid input", s, n, got)
		}
	})
}
