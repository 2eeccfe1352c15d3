package audit_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/authkit-go/authkit/core/audit"
)

func TestClip(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short", "curl/8.0", 256, "curl/8.0"},
		{"exact", "abcd", 4, "abcd"},
		{"ascii cut", "abcdef", 4, "abcd"},
		{"no room", "abc", 0, ""},
		{"negative", "abc", -1, ""},
		{"two-byte char not split", "aé", 2, "a"},
		{"three-byte char not split", "ab€", 4, "ab"},
		{"four-byte char not split", "a😀", 4, "a"},
		{"four-byte char fits", "a😀", 5, "a😀"},
		{"invalid byte replaced", "a\xffb", 10, "a\uFFFDb"},
		{"replacement does not overflow", "ab\xff", 3, "ab"},
		{"continuation bytes only", strings.Repeat("\x80", 8), 6, "\uFFFD"},
		{"lone surrogate encoding", "a\xed\xa0\x80", 10, "a\uFFFD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := audit.Clip(tc.in, tc.n)
			if got != tc.want {
				t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
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
