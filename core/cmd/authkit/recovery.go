package main

import (
	"flag"
	"fmt"

	"github.com/authkit-go/authkit/core/mfa"
)

const recoveryUsage = `usage: authkit recovery <subcommand> [flags]

subcommands:
  generate [--count N]
        print N fresh recovery codes (default 10, at most 1000), one a line:
        24 characters of Crockford's base32 (no I, L, O, U), 120 bits from
        crypto/rand, in six groups of four joined by dashes

Exit status: 0 success, 2 bad usage.
`

func runRecovery(e env) int {
	return dispatch(e, "recovery", recoveryUsage, map[string]func(env) int{"generate": runRecoveryGenerate})
}

func runRecoveryGenerate(e env) int {
	const name = "recovery generate"
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	count := fs.Int("count", mfa.DefaultRecoveryCodes, "how many codes, 1 to 1000")
	if code, ok := parseFlagsOf(e, fs, name, "[--count N]",
		"Print N fresh recovery codes (default 10, at most 1000), one a line."); !ok {
		return code
	}
	if *count < 1 || *count > 1000 {
		return usageError(e, name, fmt.Sprintf("--count %d: want 1 to 1000", *count))
	}
	for range *count {
		c, err := mfa.NewRecoveryCode()
		if err != nil {
			return usageError(e, name, err)
		}
		fmt.Fprintln(e.stdout, c)
	}
	return exitOK
}
