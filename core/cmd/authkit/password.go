package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/authkit-go/authkit/core/password"
)

const passwordUsage = `usage: authkit password <subcommand> [flags]

subcommands:
  hash [--algo argon2id|bcrypt|pbkdf2-sha256]
        read a password (one line) from stdin and print its encoded hash
  verify --hash H
        read a password from stdin; exit 0 on a match, 1 on a mismatch,
        2 when the hash is malformed, unsupported or over the cost limits
  check [--user U] [--email E]
        read a password from stdin; exit 0 when the default policy (with the
        offline common-password list) accepts it, 1 listing "code: message"
        for every failed rule

The trailing newline ("\n" or "\r\n") is not part of the password.
`

func runPassword(e env) int {
	return dispatch(e, "password", passwordUsage, map[string]func(env) int{
		"hash": runPasswordHash, "verify": runPasswordVerify, "check": runPasswordCheck,
	})
}

// readPasswordLine reads one line from r without its "\n" or "\r\n". It
// refuses a line longer than password.MaxPasswordBytes instead of
// truncating it.
func readPasswordLine(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, password.MaxPasswordBytes+3))
	var line []byte
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			if len(line) > password.MaxPasswordBytes {
				return "", password.ErrPasswordTooLong
			}
			break
		}
		if err != nil {
			return "", err
		}
		if c == '\n' {
			break
		}
		line = append(line, c)
		if len(line) > password.MaxPasswordBytes+1 {
			return "", password.ErrPasswordTooLong
		}
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > password.MaxPasswordBytes {
		return "", password.ErrPasswordTooLong
	}
	return string(line), nil
}

func runPasswordHash(e env) int {
	const name = "password hash"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	algo := fs.String("algo", "argon2id", "algorithm: argon2id, bcrypt or pbkdf2-sha256")
	if code, ok := parseFlagsOf(e, fs, name, "[--algo argon2id|bcrypt|pbkdf2-sha256]",
		"Read a password (one line) from stdin and print its encoded hash, with\nauthkit's default parameters for the algorithm."); !ok {
		return code
	}
	var opt password.Option
	switch password.Algorithm(*algo) {
	case password.Argon2id:
		opt = password.WithArgon2id(password.Argon2idParams{})
	case password.Bcrypt:
		opt = password.WithBcrypt(0)
	case password.PBKDF2SHA256:
		opt = password.WithPBKDF2SHA256(0)
	default:
		return usageError(e, name, fmt.Sprintf("unknown --algo %q (want argon2id, bcrypt or pbkdf2-sha256)", *algo))
	}
	h, err := password.NewHasher(opt)
	if err != nil {
		return usageError(e, name, err)
	}
	pw, err := readPasswordLine(e.stdin)
	if err != nil {
		return usageError(e, name, "reading stdin:", err)
	}
	enc, err := h.Hash(context.Background(), pw)
	if err != nil {
		return usageError(e, name, err)
	}
	fmt.Fprintln(e.stdout, enc)
	return exitOK
}

func runPasswordVerify(e env) int {
	const name = "password verify"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	encoded := fs.String("hash", "", "the encoded hash to verify against (required)")
	if code, ok := parseFlagsOf(e, fs, name, "--hash H",
		"Read a password from stdin and check it against H: exit 0 on a match, 1 on a\nmismatch, 2 when H is malformed, unsupported or over the cost limits."); !ok {
		return code
	}
	// Tolerate a newline or spaces pasted around the hash; no supported
	// encoding contains whitespace.
	*encoded = strings.TrimSpace(*encoded)
	if *encoded == "" {
		return usageError(e, name, "--hash is required")
	}
	h, err := password.NewHasher()
	if err != nil {
		return usageError(e, name, err)
	}
	pw, err := readPasswordLine(e.stdin)
	if err != nil {
		return usageError(e, name, "reading stdin:", err)
	}
	needsRehash, err := h.Verify(context.Background(), pw, *encoded)
	switch {
	case errors.Is(err, password.ErrMismatch):
		fmt.Fprintln(e.stdout, "mismatch")
		return exitNegative
	case err != nil:
		return usageError(e, name, err)
	}
	fmt.Fprintln(e.stdout, "match")
	if needsRehash {
		fmt.Fprintf(e.stderr, "authkit password verify: note: this %s hash should be upgraded to %s, authkit's default: store what 'authkit password hash' prints for this password (applications rehash at the next sign-in)\n",
			hashKind(*encoded), defaultHash)
	}
	return exitOK
}

// defaultHash describes what password.NewHasher() produces; the tests
// check it against a fresh hash.
const defaultHash = "argon2id (m=65536 KiB, t=3, p=4)"

// hashKind names the scheme of an encoded hash for messages.
func hashKind(enc string) string {
	for _, k := range []struct{ prefix, name string }{
		{"$argon2id$", "argon2id (weaker parameters)"},
		{"$argon2i$", "argon2i"},
		{"$2", "bcrypt"},
		{"$pbkdf2-sha256$", "PBKDF2-SHA256"},
		{"$pbkdf2-sha512$", "PBKDF2-SHA512"},
		{"$pbkdf2$", "PBKDF2-SHA1"},
		{"pbkdf2_sha256$", "Django PBKDF2-SHA256"},
		{"pbkdf2_sha1$", "Django PBKDF2-SHA1"},
	} {
		if strings.HasPrefix(enc, k.prefix) {
			return k.name
		}
	}
	return "older"
}

func runPasswordCheck(e env) int {
	const name = "password check"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	user := fs.String("user", "", "the user name the password must not contain")
	email := fs.String("email", "", "the email address the password must not contain")
	if code, ok := parseFlagsOf(e, fs, name, "[--user U] [--email E]",
		"Read a password from stdin: exit 0 when the default policy (with the offline\ncommon-password list) accepts it, 1 listing \"code: message\" for every\nfailed rule."); !ok {
		return code
	}
	p, err := password.NewPolicy()
	if err != nil {
		return usageError(e, name, err)
	}
	pw, err := readPasswordLine(e.stdin)
	if err != nil && !errors.Is(err, password.ErrPasswordTooLong) {
		return usageError(e, name, "reading stdin:", err)
	}
	if err != nil {
		fmt.Fprintln(e.stdout, "too_long: the password is too long")
		return exitNegative
	}
	err = p.Check(context.Background(), pw, password.User{Name: *user, Email: *email})
	var pe *password.PolicyError
	switch {
	case errors.As(err, &pe):
		for _, v := range pe.Violations {
			fmt.Fprintf(e.stdout, "%s: %s\n", v.Code, v.Message)
		}
		return exitNegative
	case err != nil:
		return usageError(e, name, err)
	}
	fmt.Fprintln(e.stdout, "ok")
	return exitOK
}
