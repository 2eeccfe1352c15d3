package password

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func codes(err error) []string {
	var pe *PolicyError
	if !errors.As(err, &pe) {
		return nil
	}
	out := []string{}
	for _, v := range pe.Violations {
		out = append(out, v.Code)
	}
	return out
}

func TestPolicyCheck(t *testing.T) {
	alice := User{Name: "alice", Email: "Alice.Smith@example.com"}
	tests := []struct {
		name     string
		opts     []PolicyOption
		password string
		user     User
		want     []string
	}{
		{"strong", nil, "Vq7-lantern-Orbit", alice, nil},
		{"too short", nil, "Ab1xyzqw", User{}, []string{CodeTooShort}},
		{"short by code points, long in bytes", nil, "Ää1ÄäÄäÄä", User{}, []string{CodeTooShort}},
		{"exactly 10 code points", nil, "Zx9kwqprtv", User{}, nil},
		{"NFKC folds fullwidth digits", nil, "Zxkwqprtv１", User{}, nil},
		{"NFKC ligature counts as two", nil, "Zx9kwqprﬃ", User{}, nil},
		{"too long", nil, "Aa1" + strings.Repeat("z", 300), User{}, []string{CodeTooLong}},
		{"missing upper", nil, "vq7-lantern-orbit", User{}, []string{CodeMissingUpper}},
		{"missing lower", nil, "VQ7-LANTERN-ORBIT", User{}, []string{CodeMissingLower}},
		{"missing digit", nil, "Vq-lantern-Orbit", User{}, []string{CodeMissingDigit}},
		{"every class missing and short", nil, "!!!", User{}, []string{CodeTooShort, CodeMissingUpper, CodeMissingLower, CodeMissingDigit}},
		{"contains user name any case", nil, "xx-ALICE-Orbit7", alice, []string{CodeContainsUser}},
		{"contains email local part", nil, "alice.smith-Orbit7", alice, []string{CodeContainsUser}},
		{"contains full email", nil, "Q1alice.smith@example.comQ", alice, []string{CodeContainsUser}},
		{"two-letter name is not matched", nil, "Vq7-lantern-Orbit", User{Name: "an"}, nil},
		{"common password", nil, "Password123", User{}, []string{CodeCommon}},
		{"common long password", nil, "Qwertyuiop123", User{}, []string{CodeCommon}},
		{"upper not required", []PolicyOption{WithoutUpper()}, "vq7-lantern-orbit", User{}, nil},
		{"lower not required", []PolicyOption{WithoutLower()}, "VQ7-LANTERN-ORBIT", User{}, nil},
		{"digit not required", []PolicyOption{WithoutDigit()}, "Vq-lantern-Orbit", User{}, nil},
		{"common list off", []PolicyOption{WithoutCommonList()}, "Password123", User{}, nil},
		{"min length 16", []PolicyOption{WithMinLength(16)}, "Vq7-lantern-Orb", User{}, []string{CodeTooShort}},
		{"breach checker", []PolicyOption{WithBreachChecker(fixedChecker{hit: true})}, "Vq7-lantern-Orbit", User{}, []string{CodeBreached}},
		{"context word", []PolicyOption{WithContextWords("Example Co", "examplecorp")}, "my-EXAMPLECORP-pw7Q", User{}, []string{CodeContextWord}},
		{"context word with spaces, fullwidth", []PolicyOption{WithContextWords(" Lantern ")}, "Vq7-ｌａｎｔｅｒｎ-Orbit", User{}, []string{CodeContextWord}},
		{"context words added by two options", []PolicyOption{WithContextWords("acme"), WithContextWords("orbit")}, "Vq7-lantern-Orbit", User{}, []string{CodeContextWord}},
		{"no context word in it", []PolicyOption{WithContextWords("acme")}, "Vq7-lantern-Orbit", User{}, nil},
		{"context word and user", []PolicyOption{WithContextWords("orbit")}, "alice-Orbit-77", alice, []string{CodeContainsUser, CodeContextWord}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPolicy(tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Check(context.Background(), tt.password, tt.user)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrPolicy) {
				t.Fatalf("Check = %v, want ErrPolicy", err)
			}
			if got := codes(err); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("codes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContextWordsTooShort(t *testing.T) {
	for _, w := range []string{"", "  ", "ab", " x "} {
		if _, err := NewPolicy(WithContextWords("acme", w)); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("WithContextWords(%q): %v, want ErrInvalidConfig", w, err)
		}
	}
}

// TestLongPasswordsAccepted: the default policy and hasher take a
// password of 64 characters (ASVS 5.0 6.2.9), however many bytes each
// character needs, and a longer one up to the policy's 256 bytes.
func TestLongPasswordsAccepted(t *testing.T) {
	ctx := context.Background()
	p, err := NewPolicy()
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHasher(t)
	for _, tt := range []struct{ name, password string }{
		{"64 ASCII characters", "Vq7-" + strings.Repeat("lantern-", 7) + "Orb!"},
		{"64 characters of four bytes each", "Vq7" + strings.Repeat("😀", 61)},
		{"256 bytes", "Vq7-" + strings.Repeat("lantern-Orbit-", 18)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if n := utf8.RuneCountInString(tt.password); n < 64 {
				t.Fatalf("the case has %d characters", n)
			}
			if err := p.Check(ctx, tt.password, User{Name: "alice"}); err != nil {
				t.Fatalf("Check: %v", err)
			}
			enc, err := h.Hash(ctx, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.Verify(ctx, tt.password, enc); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

type fixedChecker struct {
	hit bool
	err error
}

func (f fixedChecker) Breached(context.Context, string) (bool, error) { return f.hit, f.err }

func TestPolicyCheckerError(t *testing.T) {
	p, _ := NewPolicy(WithBreachChecker(fixedChecker{err: ErrBreachCheck}))
	err := p.Check(context.Background(), "Vq7-lantern-Orbit", User{})
	if !errors.Is(err, ErrBreachCheck) || errors.Is(err, ErrPolicy) {
		t.Fatalf("Check = %v, want ErrBreachCheck and not ErrPolicy", err)
	}
}

func TestNewPolicyValidation(t *testing.T) {
	tests := []struct {
		name string
		opts []PolicyOption
	}{
		{"min 0", []PolicyOption{WithMinLength(0)}},
		{"max over 1024", []PolicyOption{WithMaxLength(1025)}},
		{"max below min", []PolicyOption{WithMinLength(20), WithMaxLength(19)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewPolicy(tt.opts...); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("NewPolicy = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestPolicyErrorJSON(t *testing.T) {
	b, err := json.Marshal((&PolicyError{Violations: []Violation{{Code: CodeTooShort, Message: "m"}}}).Violations)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `[{"code":"too_short","message":"m"}]` {
		t.Fatalf("JSON = %s", b)
	}
}

func TestCommonPasswords(t *testing.T) {
	if n := len(commonBin) / 8; n < 100_000 || len(commonBin)%8 != 0 {
		t.Fatalf("embedded list has %d entries (%d bytes)", n, len(commonBin))
	}
	tests := []struct {
		password string
		want     bool
	}{
		{"123456", true},
		{"password", true},
		{"qwerty", true},
		{"PASSWORD", true}, // matched in lower case
		{"iloveyou", true},
		{"1q2w3e4r5t6y", true},
		{"Vq7-lantern-Orbit", false},
		{"", false},
		{"correct horse battery staple 93271", false},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			got, err := CommonPasswords().Breached(context.Background(), tt.password)
			if err != nil || got != tt.want {
				t.Fatalf("Breached = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func BenchmarkCommonPasswords(b *testing.B) {
	c := CommonPasswords()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = c.Breached(context.Background(), "Vq7-lantern-Orbit")
	}
}

func BenchmarkPolicyCheck(b *testing.B) {
	p, _ := NewPolicy()
	u := User{Name: "alice", Email: "alice@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Check(context.Background(), "Vq7-lantern-Orbit", u)
	}
}
