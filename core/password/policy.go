package password

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Stable, machine-readable violation codes.
const (
	CodeTooShort     = "too_short"
	CodeTooLong      = "too_long"
	CodeMissingUpper = "missing_upper"
	CodeMissingLower = "missing_lower"
	CodeMissingDigit = "missing_digit"
	CodeContainsUser = "contains_user"
	CodeContextWord  = "context_word"
	CodeCommon       = "common"
	CodeBreached     = "breached"
)

// Violation is one failed policy rule.
type Violation struct {
	// Code is stable and machine-readable (the Code… constants).
	Code string `json:"code"`
	// Message is a human-readable explanation, safe to show the user.
	Message string `json:"message"`
}

// PolicyError lists every rule a password failed. It matches ErrPolicy
// with errors.Is.
type PolicyError struct {
	Violations []Violation
}

// Error lists the codes of the failed rules.
func (e *PolicyError) Error() string {
	codes := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		codes[i] = v.Code
	}
	return "password: rejected by policy: " + strings.Join(codes, ", ")
}

// Is reports whether target is ErrPolicy.
func (e *PolicyError) Is(target error) bool { return target == ErrPolicy }

// User identifies the account a password is for, so the policy can refuse
// passwords containing the user's name or email address.
type User struct {
	Name  string
	Email string
}

type policyConfig struct {
	minLen, maxBytes    int
	upper, lower, digit bool
	common, breach      BreachChecker
	words               []string // context words, NFKC and lower-cased
}

// PolicyOption configures a Policy.
type PolicyOption func(*policyConfig)

// WithMinLength sets the minimum length in Unicode code points, counted after
// NFKC normalisation.
// Default: 10.
func WithMinLength(n int) PolicyOption { return func(c *policyConfig) { c.minLen = n } }

// WithMaxLength sets the maximum length in bytes of the NFKC-normalised
// password; at most 1024.
// Default: 256.
func WithMaxLength(n int) PolicyOption { return func(c *policyConfig) { c.maxBytes = n } }

// WithoutUpper drops the rule that a password contains an upper-case letter.
// Default: an upper-case letter is required.
func WithoutUpper() PolicyOption { return func(c *policyConfig) { c.upper = false } }

// WithoutLower drops the rule that a password contains a lower-case letter.
// Default: a lower-case letter is required.
func WithoutLower() PolicyOption { return func(c *policyConfig) { c.lower = false } }

// WithoutDigit drops the rule that a password contains a digit.
// Default: a digit is required.
func WithoutDigit() PolicyOption { return func(c *policyConfig) { c.digit = false } }

// WithCommonList replaces the list of common passwords (violation code
// "common").
// Default: CommonPasswords().
func WithCommonList(c BreachChecker) PolicyOption {
	return func(cfg *policyConfig) { cfg.common = c }
}

// WithoutCommonList drops the common-password rule. SECURITY WARNING: the
// most guessed passwords are then accepted.
// Default: the common-password rule is on.
func WithoutCommonList() PolicyOption { return func(c *policyConfig) { c.common = nil } }

// WithContextWords refuses passwords that contain any of words, compared
// after NFKC normalisation and without regard to case: the service's name,
// its company, its domain — the words an attacker tries first against this
// site (ASVS 5.0 6.2.11). The violation's code is CodeContextWord. Each word
// must have at least 3 characters; repeated calls add words.
func WithContextWords(words ...string) PolicyOption {
	return func(c *policyConfig) {
		for _, w := range words {
			c.words = append(c.words, strings.ToLower(norm.NFKC.String(strings.TrimSpace(w))))
		}
	}
}

// WithBreachChecker adds a breach check, typically a *PwnedChecker
// (violation code "breached"). Its error, if any, is returned by Check.
// Default: none (the offline common list still applies).
func WithBreachChecker(b BreachChecker) PolicyOption {
	return func(c *policyConfig) { c.breach = b }
}

// Policy decides whether a new password is acceptable.
type Policy struct {
	cfg policyConfig
}

// NewPolicy returns a Policy; with no options it is the secure default: at
// least 10 characters, at most 256 bytes, an upper-case letter, a
// lower-case letter and a digit, not containing the user's name or email,
// and not on the common-password list.
func NewPolicy(opts ...PolicyOption) (*Policy, error) {
	cfg := policyConfig{minLen: 10, maxBytes: 256, upper: true, lower: true, digit: true, common: CommonPasswords()}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cfg.minLen < 1:
		return nil, fmt.Errorf("%w: min length %d < 1", ErrInvalidConfig, cfg.minLen)
	case cfg.maxBytes > 1024 || cfg.maxBytes < cfg.minLen:
		return nil, fmt.Errorf("%w: max length %d outside %d..1024", ErrInvalidConfig, cfg.maxBytes, cfg.minLen)
	}
	for _, w := range cfg.words {
		if utf8.RuneCountInString(w) < minUserPart {
			return nil, fmt.Errorf("%w: context word %q shorter than %d characters", ErrInvalidConfig, w, minUserPart)
		}
	}
	return &Policy{cfg: cfg}, nil
}

// minUserPart is the shortest name or email part the contains_user rule
// looks for; shorter ones would reject too much.
const minUserPart = 3

// Check returns nil when password is acceptable for u, a *PolicyError
// listing every failed rule otherwise, or an error from a breach checker
// (for example one wrapping ErrBreachCheck).
func (p *Policy) Check(ctx context.Context, password string, u User) error {
	c := p.cfg
	pw := norm.NFKC.String(password)
	var v []Violation
	add := func(code, format string, a ...any) {
		v = append(v, Violation{Code: code, Message: fmt.Sprintf(format, a...)})
	}
	if n := utf8.RuneCountInString(pw); n < c.minLen {
		add(CodeTooShort, "must be at least %d characters long", c.minLen)
	}
	if len(pw) > c.maxBytes {
		add(CodeTooLong, "must be at most %d bytes long", c.maxBytes)
	}
	var hasUpper, hasLower, hasDigit bool
	for _, r := range pw {
		hasUpper = hasUpper || unicode.IsUpper(r)
		hasLower = hasLower || unicode.IsLower(r)
		hasDigit = hasDigit || unicode.IsDigit(r)
	}
	if c.upper && !hasUpper {
		add(CodeMissingUpper, "must contain an upper-case letter")
	}
	if c.lower && !hasLower {
		add(CodeMissingLower, "must contain a lower-case letter")
	}
	if c.digit && !hasDigit {
		add(CodeMissingDigit, "must contain a digit")
	}
	if containsUser(pw, u) {
		add(CodeContainsUser, "must not contain your user name or email address")
	}
	if containsAny(pw, c.words) {
		add(CodeContextWord, "must not contain the name of this service or a word close to it")
	}
	if len(pw) <= 1024 {
		if c.common != nil {
			hit, err := c.common.Breached(ctx, pw)
			if err != nil {
				return err
			}
			if hit {
				add(CodeCommon, "is too common; choose a less predictable password")
			}
		}
		if c.breach != nil {
			hit, err := c.breach.Breached(ctx, pw)
			if err != nil {
				return err
			}
			if hit {
				add(CodeBreached, "has appeared in a data breach; choose another password")
			}
		}
	}
	if len(v) > 0 {
		return &PolicyError{Violations: v}
	}
	return nil
}

// containsAny reports whether pw contains one of words (lower-cased),
// without regard to case.
func containsAny(pw string, words []string) bool {
	if len(words) == 0 {
		return false
	}
	lpw := strings.ToLower(pw)
	for _, w := range words {
		if strings.Contains(lpw, w) {
			return true
		}
	}
	return false
}

func containsUser(pw string, u User) bool {
	lpw := strings.ToLower(pw)
	var parts []string
	for _, s := range []string{u.Name, u.Email} {
		s = strings.ToLower(norm.NFKC.String(strings.TrimSpace(s)))
		if s == "" {
			continue
		}
		parts = append(parts, s)
		if at := strings.LastIndexByte(s, '@'); at > 0 {
			parts = append(parts, s[:at])
		}
	}
	for _, s := range parts {
		if utf8.RuneCountInString(s) >= minUserPart && strings.Contains(lpw, s) {
			return true
		}
	}
	return false
}
