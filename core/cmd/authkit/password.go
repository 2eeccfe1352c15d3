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

// passwordFlags parses a subcommand's flags; ok is false when the caller
// should return code.
func passwordFlags(e env, fs *flag.FlagSet) (code int, ok bool) {
	fs.SetOutput(e.stderr)
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "authkit password %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return 0, true
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
	fs := flag.NewFlagSet("hash", flag.ContinueOnError)
	algo := fs.String("algo", "argon2id", "algorithm: argon2id, bcrypt or pbkdf2-sha256")
	if code, ok := passwordFlags(e, fs); !ok {
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
		fmt.Fprintf(e.stderr, "authkit password hash: unknown --algo %q (want argon2id, bcrypt or pbkdf2-sha256)\n", *algo)
		return exitUsage
	}
	h, err := password.NewHasher(opt)
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit password hash:", err)
		return exitUsage
	}
	pw, err := readPasswordLine(e.stdin)
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit password hash: reading stdin:", err)
		return exitUsage
	}
	enc, err := h.Hash(context.Background(), pw)
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit password hash:", err)
		return exitUsage
	}
	fmt.Fprintln(e.stdout, enc)
	return exitOK
}

func runPasswordVerify(e env) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	encoded := fs.String("hash", "", "the encoded hash to verify against (required)")
	if code, ok := passwordFlags(e, fs); !ok {
		return code
	}
	// Tolerate a newline or spaces pasted around the hash; no supported
	// encoding contains whitespace.
	*encoded = strings.TrimSpace(*encoded)
	if *encoded == "" {
		fmt.Fprintln(e.stderr, "authkit password verify: --hash is required")
		return exitUsage
	}
	h, err := password.NewHasher()
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit password verify:", err)
		return exitUsage
	}
	pw, err := readPasswordLine(e.stdin)
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit password verify: reading stdin:", err)
		return exitUsage
	}
	needsRehash, err := h.Verify(context.Background(), pw, *encoded)
	switch {
	case errors.Is(err, password.ErrMismatch):
		fmt.Fprintln(e.stdout, "mismatch")
		return exitNegative
	case err != nil:
		fmt.Fprintln(e.stderr, "authkit password verify:", err)
		return exitUsage
	}
	fmt.Fprintln(e.stdout, "match")
	if needsRehash {
		fmt.Fprintln(e.stderr, "authkit password verify: note: the hash is weaker than the current default and should be upgraded")
	}
	return exitOK
}

func runPasswordCheck(e env) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	user := fs.String("user", "", "the user name the password must not contain")
	email := fs.String("email", "", "the email address the password must not contain")
	if code, ok := passwordFlags(e, fs); !ok {
		return code
	}
	p, err := password.NewPolicy()
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit password check:", err)
		return exitUsage
	}
	pw, err := readPasswordLine(e.stdin)
	if err != nil && !errors.Is(err, password.ErrPasswordTooLong) {
		fmt.Fprintln(e.stderr, "authkit password check: reading stdin:", err)
		return exitUsage
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
		fmt.Fprintln(e.stderr, "authkit password check:", err)
		return exitUsage
	}
	fmt.Fprintln(e.stdout, "ok")
	return exitOK
}
