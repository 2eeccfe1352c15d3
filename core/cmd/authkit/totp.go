package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/mfa"
)

const totpUsage = `usage: authkit totp <subcommand> [flags]

subcommands:
  secret --issuer I --account A [--qr FILE.png]
        make a 160-bit secret and print two lines, "secret <S>" (base32,
        no padding) and "uri <U>" (its otpauth:// URI); --qr also writes
        the URI's QR code as a PNG (mode 0600: it holds the secret)
  code --secret S [--time UNIX] [--digits N] [--period P] [--algorithm A]
        print the code of S at Unix time UNIX (default: now)
  verify --secret S --code C [--time UNIX] [--digits N] [--period P]
         [--algorithm A] [--skew 1]
        print "valid" and exit 0 when C is S's code at UNIX or within
        --skew steps of it (0 or 1; default 1); print "invalid" and exit 1
        otherwise, also for a code of the wrong length or with other
        characters than digits (spaces and dashes are ignored)

  --digits 6, 7 or 8 (default 6); --period seconds, 1 to 3600 (default 30);
  --algorithm SHA1, SHA256 or SHA512 (default SHA1). Secrets are base32
  (RFC 4648) of any length, upper or lower case, with or without padding.
  No replay protection or attempt limit applies here: this is a tool.

Exit status: 0 success, 1 invalid code (verify), 2 bad usage or input.
`

func runTOTP(e env) int {
	return dispatch(e, "totp", totpUsage, map[string]func(env) int{
		"secret": runTOTPSecret, "code": runTOTPCode, "verify": runTOTPVerify,
	})
}

// totpFlags are the flags code and verify share.
type totpFlags struct {
	secret, at, algorithm string
	digits, period        int
}

func addTOTPFlags(fs *flag.FlagSet) *totpFlags {
	f := &totpFlags{}
	fs.StringVar(&f.secret, "secret", "", "the base32 secret (required)")
	fs.StringVar(&f.at, "time", "", "Unix time in seconds (default: now)")
	fs.StringVar(&f.algorithm, "algorithm", "SHA1", "SHA1, SHA256 or SHA512")
	fs.IntVar(&f.digits, "digits", 6, "code length, 6 to 8")
	fs.IntVar(&f.period, "period", 30, "time step in seconds, 1 to 3600")
	return f
}

// resolve checks the flags and returns the secret, the parameters and the
// time; msg says what is wrong.
func (f *totpFlags) resolve() (secret []byte, p mfa.Params, at time.Time, msg string) {
	if f.secret == "" {
		return nil, p, at, "--secret is required"
	}
	secret, err := mfa.ParseSecret(f.secret)
	if err != nil {
		return nil, p, at, "--secret: not a base32 secret"
	}
	alg := mfa.Algorithm(strings.ReplaceAll(strings.ToUpper(f.algorithm), "-", ""))
	p = mfa.Params{Algorithm: alg, Digits: f.digits, Period: time.Duration(f.period) * time.Second}
	if f.period < 1 || f.period > 3600 {
		return nil, p, at, fmt.Sprintf("--period %d: want 1 to 3600 seconds", f.period)
	}
	if err := p.Validate(); err != nil {
		return nil, p, at, strings.TrimPrefix(err.Error(), mfa.ErrInvalidConfig.Error()+": ")
	}
	at = time.Now()
	if f.at != "" {
		unix, err := strconv.ParseInt(f.at, 10, 64)
		if err != nil || unix < 0 || unix > 1<<40 {
			return nil, p, at, fmt.Sprintf("--time %q: want Unix seconds, 0 or more", f.at)
		}
		at = time.Unix(unix, 0)
	}
	return secret, p, at, ""
}

func runTOTPCode(e env) int {
	const name = "totp code"
	fs := flag.NewFlagSet("code", flag.ContinueOnError)
	f := addTOTPFlags(fs)
	if code, ok := parseFlagsOf(e, fs, name, "--secret S [--time UNIX] [--digits N] [--period P] [--algorithm A]",
		"Print the code of S at Unix time UNIX (default: now)."); !ok {
		return code
	}
	secret, p, at, msg := f.resolve()
	if msg != "" {
		return usageError(e, name, msg)
	}
	code, err := p.Code(secret, at)
	if err != nil {
		return usageError(e, name, err)
	}
	fmt.Fprintln(e.stdout, code)
	return exitOK
}

func runTOTPVerify(e env) int {
	const name = "totp verify"
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	f := addTOTPFlags(fs)
	code := fs.String("code", "", "the code to check (required)")
	skew := fs.Int("skew", mfa.DefaultSkew, "steps of clock drift accepted either side: 0 or 1")
	if c, ok := parseFlagsOf(e, fs, name, "--secret S --code C [--time UNIX] [--digits N] [--period P] [--algorithm A] [--skew 1]",
		"Print \"valid\" and exit 0 when C is S's code at UNIX or within --skew steps of\nit; print \"invalid\" and exit 1 otherwise (spaces and dashes in C are ignored)."); !ok {
		return c
	}
	if !given(fs, "code") {
		return usageError(e, name, "--code is required")
	}
	if *skew != 0 && *skew != 1 {
		return usageError(e, name, fmt.Sprintf("--skew %d: want 0 or 1", *skew))
	}
	secret, p, at, msg := f.resolve()
	if msg != "" {
		return usageError(e, name, msg)
	}
	switch _, err := p.Match(secret, *code, at, *skew); {
	case errors.Is(err, mfa.ErrInvalidCode):
		fmt.Fprintln(e.stdout, "invalid")
		return exitNegative
	case err != nil:
		return usageError(e, name, err)
	}
	fmt.Fprintln(e.stdout, "valid")
	return exitOK
}

func runTOTPSecret(e env) int {
	const name = "totp secret"
	fs := flag.NewFlagSet("secret", flag.ContinueOnError)
	issuer := fs.String("issuer", "", "the issuer the app shows (required)")
	account := fs.String("account", "", "the account name the app shows (required)")
	qr := fs.String("qr", "", "write the QR code PNG to this file")
	if c, ok := parseFlagsOf(e, fs, name, "--issuer I --account A [--qr FILE.png]",
		"Make a 160-bit secret and print \"secret <S>\" (base32) and \"uri <U>\" (its\notpauth:// URI); --qr also writes the URI's QR code as a PNG (mode 0600: it\nholds the secret)."); !ok {
		return c
	}
	if *issuer == "" || *account == "" {
		return usageError(e, name, "--issuer and --account are required")
	}
	secret, err := mfa.NewSecret()
	if err != nil {
		return usageError(e, name, err)
	}
	uri, err := mfa.DefaultParams.URI(*issuer, *account, secret)
	if err != nil {
		return usageError(e, name, err)
	}
	if *qr != "" {
		png, err := mfa.QRCode(uri, mfa.DefaultQRSize)
		if err != nil {
			return usageError(e, name, err)
		}
		// Chmod too: WriteFile keeps the mode of a file that exists.
		if err := os.WriteFile(*qr, png, 0o600); err != nil {
			return usageError(e, name, err)
		}
		if err := os.Chmod(*qr, 0o600); err != nil {
			return usageError(e, name, err)
		}
	}
	fmt.Fprintln(e.stdout, "secret", mfa.EncodeSecret(secret))
	fmt.Fprintln(e.stdout, "uri", uri)
	return exitOK
}
