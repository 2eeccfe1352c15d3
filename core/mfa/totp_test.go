package mfa_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/mfa"
)

// TestRFC6238 checks all 18 rows of RFC 6238 Appendix B: three algorithms,
// times up to 20000000000 (past 2038), 8 digits.
func TestRFC6238(t *testing.T) {
	var v rfc6238
	readJSON(t, "testdata/rfc6238.json", &v)
	if len(v.Vectors) != 18 {
		t.Fatalf("%d vectors, want 18", len(v.Vectors))
	}
	for _, tc := range v.Vectors {
		t.Run(tc.Algorithm+"/"+strconv.FormatInt(tc.Time, 10), func(t *testing.T) {
			p := mfa.Params{Algorithm: mfa.Algorithm(tc.Algorithm), Digits: 8, Period: 30 * time.Second}
			secret := []byte(v.Secrets[tc.Algorithm])
			at := time.Unix(tc.Time, 0)
			got, err := p.Code(secret, at)
			if err != nil || got != tc.Code {
				t.Fatalf("Code = %q, %v; want %q", got, err, tc.Code)
			}
			// The same secret through its base32 form, as users paste it.
			parsed, err := mfa.ParseSecret(strings.ToLower(mfa.EncodeSecret(secret)))
			if err != nil || string(parsed) != string(secret) {
				t.Fatalf("ParseSecret round trip: %q, %v", parsed, err)
			}
			step, err := p.Match(secret, tc.Code, at, 0)
			if err != nil || step != tc.Time/30 {
				t.Fatalf("Match = %d, %v; want step %d", step, err, tc.Time/30)
			}
		})
	}
}

// TestRFC4226 checks RFC 4226 Appendix D through TOTP with a one-second
// period, whose step at Unix time n is the HOTP counter n.
func TestRFC4226(t *testing.T) {
	var v rfc4226
	readJSON(t, "testdata/rfc4226.json", &v)
	p := mfa.Params{Algorithm: mfa.SHA1, Digits: 6, Period: time.Second}
	for count, want := range v.Codes {
		got, err := p.Code([]byte(v.Secret), time.Unix(int64(count), 0))
		if err != nil || got != want {
			t.Errorf("counter %d: %q, %v; want %q", count, got, err, want)
		}
	}
}

func TestMatchSkew(t *testing.T) {
	secret := []byte("12345678901234567890")
	p := mfa.DefaultParams
	now := time.Unix(1_800_000_015, 0) // mid-step
	codeAt := func(steps int) string {
		c, err := p.Code(secret, now.Add(time.Duration(steps)*p.Period))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	base := p.Step(now)
	tests := []struct {
		name   string
		offset int
		skew   int
		ok     bool
	}{
		{"current step", 0, 1, true},
		{"previous step", -1, 1, true},
		{"next step", 1, 1, true},
		{"two steps back", -2, 1, false},
		{"two steps ahead", 2, 1, false},
		{"current step, no skew", 0, 0, true},
		{"previous step, no skew", -1, 0, false},
		{"next step, no skew", 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, err := p.Match(secret, codeAt(tt.offset), now, tt.skew)
			if tt.ok && (err != nil || step != base+int64(tt.offset)) {
				t.Fatalf("Match = %d, %v; want step %d", step, err, base+int64(tt.offset))
			}
			if !tt.ok && !errors.Is(err, mfa.ErrInvalidCode) {
				t.Fatalf("Match = %d, %v; want ErrInvalidCode", step, err)
			}
		})
	}
	if _, err := p.Match(secret, codeAt(0), now, 2); !errors.Is(err, mfa.ErrInvalidConfig) {
		t.Fatalf("skew 2: %v, want ErrInvalidConfig", err)
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		p  mfa.Params
		ok bool
	}{
		{mfa.DefaultParams, true},
		{mfa.Params{Algorithm: mfa.SHA512, Digits: 8, Period: time.Minute}, true},
		{mfa.Params{Algorithm: "MD5", Digits: 6, Period: 30 * time.Second}, false},
		{mfa.Params{Algorithm: "sha1", Digits: 6, Period: 30 * time.Second}, false},
		{mfa.Params{Algorithm: mfa.SHA1, Digits: 5, Period: 30 * time.Second}, false},
		{mfa.Params{Algorithm: mfa.SHA1, Digits: 9, Period: 30 * time.Second}, false},
		{mfa.Params{Algorithm: mfa.SHA1, Digits: 6, Period: 0}, false},
		{mfa.Params{Algorithm: mfa.SHA1, Digits: 6, Period: 1500 * time.Millisecond}, false},
		{mfa.Params{Algorithm: mfa.SHA1, Digits: 6, Period: 2 * time.Hour}, false},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.ok || (err != nil && !errors.Is(err, mfa.ErrInvalidConfig)) {
			t.Errorf("%+v: Validate = %v, want ok %v", tt.p, err, tt.ok)
		}
	}
	if _, err := mfa.DefaultParams.Code([]byte("x"), time.Unix(-1, 0)); !errors.Is(err, mfa.ErrInvalidInput) {
		t.Errorf("a time before 1970: %v", err)
	}
}

// hostileCodes are TOTP inputs that must be refused as malformed before any
// work, whatever the secret.
var hostileCodes = []struct{ name, code string }{
	{"empty", ""},
	{"only separators", " - \t-"},
	{"five digits", "12345"},
	{"seven digits", "1234567"},
	{"nine digits", "123456789"},
	{"letters", "12345a"},
	{"sign", "+123456"},
	{"hex", "0x1234"},
	{"trailing newline", "123456\n"},
	{"NUL", "123\x00456"},
	{"Arabic-Indic digits", "١٢٣٤٥٦"},
	{"fullwidth digits", "１２３４５６"},
	{"superscript digit", "12345²"},
	{"non-UTF-8", "12345\xff"},
	{"1 MB of digits", strings.Repeat("1", 1<<20)},
	{"1 MB of spaces around a code", strings.Repeat(" ", 1<<20) + "123456"},
	{"65 bytes", strings.Repeat(" ", 59) + "123456"},
	{"dot", "123.456"},
	{"underscore", "123_456"},
	{"non-breaking space", "123\u00a0456"},
}

func TestNormalizeCodeHostile(t *testing.T) {
	for _, tt := range hostileCodes {
		t.Run(tt.name, func(t *testing.T) {
			for _, digits := range []int{6, 8} {
				if got, err := mfa.NormalizeCode(tt.code, digits); !errors.Is(err, mfa.ErrMalformedCode) || got != "" {
					t.Fatalf("NormalizeCode(%.40q, %d) = %q, %v; want ErrMalformedCode", tt.code, digits, got, err)
				}
			}
		})
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"123456", "123456"},
		{"123 456", "123456"},
		{"123-456", "123456"},
		{" 12\t34-56 ", "123456"},
		{"000000", "000000"},
		{strings.Repeat(" ", 58) + "123456", "123456"}, // 64 bytes: still looked at
	}
	for _, tt := range tests {
		if got, err := mfa.NormalizeCode(tt.in, 6); err != nil || got != tt.want {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// secretCases is the table of base32 secrets, hostile ones included, for
// TestParseSecret and the seeds of FuzzParseSecret.
var secretCases = []struct {
	name string
	in   string
	size int // 0: refused
}{
	{"unpadded 20 bytes", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 20},
	{"lower case", "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", 20},
	{"spaces", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", 20},
	{"13 bytes unpadded", "GEZDGNBVGY3TQOJQGEZDG", 13},
	{"13 bytes padded", "GEZDGNBVGY3TQOJQGEZDG===", 13},
	{"10 bytes", "JBSWY3DPEHPK3PXP", 10},
	{"1 byte padded", "GE======", 1},
	{"empty", "", 0},
	{"only padding", "========", 0},
	{"bad padding length", "GEZDG==", 0},
	{"padding in the middle", "GE==GEZD", 0},
	{"digit 1", "GEZDGNB1", 0},
	{"digit 0", "0EZDGNBV", 0},
	{"impossible length", "GEZ", 0},
	{"newline", "GEZD\nGNBV", 0},
	{"non-ASCII", "GEZDGNBVé", 0},
	{"too long", strings.Repeat("A", 4000), 0},
}

func TestParseSecret(t *testing.T) {
	for _, tt := range secretCases {
		t.Run(tt.name, func(t *testing.T) {
			b, err := mfa.ParseSecret(tt.in)
			if tt.size == 0 {
				if !errors.Is(err, mfa.ErrInvalidInput) {
					t.Fatalf("ParseSecret = %x, %v; want ErrInvalidInput", b, err)
				}
				return
			}
			if err != nil || len(b) != tt.size {
				t.Fatalf("ParseSecret = %d bytes, %v; want %d", len(b), err, tt.size)
			}
		})
	}
}

// FuzzNormalizeCode checks that normalising never panics and accepts only
// exactly digits ASCII digits once spaces, tabs and dashes are gone.
func FuzzNormalizeCode(f *testing.F) {
	for _, tt := range hostileCodes {
		if len(tt.code) < 1000 {
			f.Add(tt.code)
		}
	}
	f.Add("123456")
	f.Add("12-34 56")
	f.Add("12345678")
	f.Fuzz(func(t *testing.T, in string) {
		for _, digits := range []int{6, 8} {
			got, err := mfa.NormalizeCode(in, digits)
			stripped := strings.NewReplacer(" ", "", "\t", "", "-", "").Replace(in)
			valid := len(in) <= 64 && len(stripped) == digits && strings.Trim(stripped, "0123456789") == ""
			if valid != (err == nil) || (valid && got != stripped) {
				t.Fatalf("NormalizeCode(%q, %d) = %q, %v; valid %v", in, digits, got, err, valid)
			}
			if err != nil && !errors.Is(err, mfa.ErrMalformedCode) {
				t.Fatalf("error %v is not ErrMalformedCode", err)
			}
		}
	})
}

// FuzzParseSecret checks that a secret that parses encodes back to itself.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{"GEZDGNBVGY3TQOJQ", "GE======", "gezd gnbv", "GEZ", "====", "\n", "GEZDG==="} {
		f.Add(s)
	}
	for _, tt := range secretCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		b, err := mfa.ParseSecret(in)
		if err != nil {
			if !errors.Is(err, mfa.ErrInvalidInput) {
				t.Fatalf("error %v is not ErrInvalidInput", err)
			}
			return
		}
		if len(b) == 0 || len(b) > 1024 {
			t.Fatalf("accepted %d bytes", len(b))
		}
		again, err := mfa.ParseSecret(mfa.EncodeSecret(b))
		if err != nil || string(again) != string(b) {
			t.Fatalf("round trip: %x, %v", again, err)
		}
	})
}
