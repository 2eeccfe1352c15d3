package mfa_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/mfa"
)

func TestNewRecoveryCode(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 2000 {
		c, err := mfa.NewRecoveryCode()
		if err != nil {
			t.Fatal(err)
		}
		if !recoveryFormat.MatchString(c) || seen[c] {
			t.Fatalf("code %q (seen before: %v)", c, seen[c])
		}
		seen[c] = true
		n, err := mfa.NormalizeRecoveryCode(c)
		if err != nil || n != strings.ReplaceAll(c, "-", "") {
			t.Fatalf("NormalizeRecoveryCode(%q) = %q, %v", c, n, err)
		}
		for _, r := range n {
			counts[r]++
		}
	}
	// 2000 codes × 24 characters: every one of the 32 symbols turns up
	// (each is expected 1500 times), so all 5 bits per character are used.
	if len(counts) != 32 {
		t.Fatalf("%d distinct symbols, want 32", len(counts))
	}
	for r, n := range counts {
		if n < 1200 || n > 1800 {
			t.Errorf("symbol %q turned up %d times, want about 1500", r, n)
		}
	}
}

func TestNormalizeRecoveryCode(t *testing.T) {
	const want = "7K2MQ9XD4TNBW0RCHS5EVG8A"
	for _, in := range []string{
		"7K2M-Q9XD-4TNB-W0RC-HS5E-VG8A",
		"7k2m-q9xd-4tnb-w0rc-hs5e-vg8a",
		"7K2M Q9XD 4TNB W0RC HS5E VG8A",
		"7K2MQ9XD4TNBW0RCHS5EVG8A",
		" 7k2m\tQ9XD--4TNB W0RC-hs5e-VG8A ",
	} {
		if got, err := mfa.NormalizeRecoveryCode(in); err != nil || got != want {
			t.Errorf("NormalizeRecoveryCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// hostileRecoveryCodes are refused as malformed before any work.
var hostileRecoveryCodes = []struct{ name, code string }{
	{"empty", ""},
	{"only dashes", "-----"},
	{"23 characters", "7K2M-Q9XD-4TNB-W0RC-HS5E-VG8"},
	{"25 characters", "7K2M-Q9XD-4TNB-W0RC-HS5E-VG8AB"},
	{"letter I", "IK2M-Q9XD-4TNB-W0RC-HS5E-VG8A"},
	{"letter L", "LK2M-Q9XD-4TNB-W0RC-HS5E-VG8A"},
	{"letter O", "OK2M-Q9XD-4TNB-W0RC-HS5E-VG8A"},
	{"letter U", "UK2M-Q9XD-4TNB-W0RC-HS5E-VG8A"},
	{"underscore", "7K2M_Q9XD_4TNB_W0RC_HS5E_VG8A"},
	{"NUL", "7K2M-Q9XD-4TNB-W0RC-HS5E-VG8A\x00"},
	{"newline", "7K2M-Q9XD-4TNB-W0RC-HS5E-VG8A\n"},
	{"non-ASCII lookalike", "7K2M-Q9XD-4TNB-W0RC-HS5E-VG8Α"}, // Greek capital alpha
	{"fullwidth", "７K2M-Q9XD-4TNB-W0RC-HS5E-VG8A"},
	{"non-UTF-8", "7K2M-Q9XD-4TNB-W0RC-HS5E-VG8\xff"},
	{"a TOTP code", "123456"},
	{"1 MB", strings.Repeat("A", 1<<20)},
	{"129 bytes", strings.Repeat("-", 105) + "7K2MQ9XD4TNBW0RCHS5EVG8A"},
	{"SQL", "' OR 1=1 --"},
}

func TestNormalizeRecoveryCodeHostile(t *testing.T) {
	for _, tt := range hostileRecoveryCodes {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := mfa.NormalizeRecoveryCode(tt.code); !errors.Is(err, mfa.ErrMalformedCode) || got != "" {
				t.Fatalf("NormalizeRecoveryCode(%.40q) = %q, %v; want ErrMalformedCode", tt.code, got, err)
			}
		})
	}
}

// FuzzNormalizeRecoveryCode checks that normalising never panics, accepts
// only 24 alphabet symbols once separators are gone and case is folded,
// and is idempotent.
func FuzzNormalizeRecoveryCode(f *testing.F) {
	for _, tt := range hostileRecoveryCodes {
		if len(tt.code) < 1000 {
			f.Add(tt.code)
		}
	}
	f.Add("7K2M-Q9XD-4TNB-W0RC-HS5E-VG8A")
	f.Add("7k2m q9xd 4tnb w0rc hs5e vg8a")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := mfa.NormalizeRecoveryCode(in)
		stripped := strings.Map(asciiUpper, strings.NewReplacer(" ", "", "\t", "", "-", "").Replace(in))
		valid := len(in) <= 128 && len(stripped) == 24 && strings.Trim(stripped, mfa.RecoveryAlphabet) == ""
		if valid != (err == nil) || (valid && got != stripped) {
			t.Fatalf("NormalizeRecoveryCode(%q) = %q, %v; valid %v", in, got, err, valid)
		}
		if err != nil {
			if !errors.Is(err, mfa.ErrMalformedCode) {
				t.Fatalf("error %v is not ErrMalformedCode", err)
			}
			return
		}
		if again, err := mfa.NormalizeRecoveryCode(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q, %v", got, again, err)
		}
	})
}

// asciiUpper upper-cases ASCII letters only: strings.ToUpper would turn
// "ſ" into "S", which the alphabet must not accept.
func asciiUpper(r rune) rune {
	if r >= 'a' && r <= 'z' {
		return r - 'a' + 'A'
	}
	return r
}
