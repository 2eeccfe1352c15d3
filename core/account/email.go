package account

import (
	"fmt"
	"strings"
)

// MaxEmailBytes is the longest address ParseEmail accepts (RFC 5321's
// path limit, less the angle brackets).
const MaxEmailBytes = 254

// ParseEmail checks an email address typed by a user and returns its
// canonical form: the domain lower-cased, the local part as typed (RFC
// 5321 leaves its case to the receiving server). It accepts the common
// form only — a dot-atom local part of letters, digits and
// !#$%&'*+/=?^_`{|}~- separated by single dots (at most 64 bytes), '@', and
// a domain of at least two dot-separated labels of letters, digits and
// inner hyphens (each at most 63 bytes) — and refuses quoted local parts,
// comments, display names, IP literals, white space, control characters
// and anything beyond ASCII, so that an address can go into a mail header
// or a file name unescaped. Errors wrap ErrInvalidEmail and never repeat
// the input.
func ParseEmail(s string) (string, error) {
	if len(s) > MaxEmailBytes {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidEmail, MaxEmailBytes)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", fmt.Errorf("%w: no '@'", ErrInvalidEmail)
	}
	local, domain := s[:at], s[at+1:]
	if err := checkLocal(local); err != nil {
		return "", err
	}
	if err := checkDomain(domain); err != nil {
		return "", err
	}
	return local + "@" + strings.ToLower(domain), nil
}

func checkLocal(local string) error {
	if local == "" || len(local) > 64 {
		return fmt.Errorf("%w: the part before '@' must be 1 to 64 bytes", ErrInvalidEmail)
	}
	for label := range strings.SplitSeq(local, ".") {
		if label == "" {
			return fmt.Errorf("%w: a dot at the start or end of the part before '@', or two in a row", ErrInvalidEmail)
		}
		for i := 0; i < len(label); i++ {
			if !isAtext(label[i]) {
				return fmt.Errorf("%w: a character not allowed before '@'", ErrInvalidEmail)
			}
		}
	}
	return nil
}

func checkDomain(domain string) error {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%w: the domain needs a dot", ErrInvalidEmail)
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%w: a domain label is empty, too long or starts or ends with '-'", ErrInvalidEmail)
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlnum(c) && c != '-' {
				return fmt.Errorf("%w: a character not allowed in the domain", ErrInvalidEmail)
			}
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return fmt.Errorf("%w: the domain is an IP address", ErrInvalidEmail)
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isAtext reports an RFC 5322 atext character.
func isAtext(c byte) bool { return isAlnum(c) || strings.IndexByte("!#$%&'*+/=?^_`{|}~-", c) >= 0 }
