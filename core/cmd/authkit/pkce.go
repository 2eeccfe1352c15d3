package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"strings"

	"golang.org/x/oauth2"
)

const pkceUsage = `usage: authkit pkce [--verifier V]

Without flags, make a new PKCE code verifier (32 random bytes in base64url,
43 characters) and print it with its S256 code challenge. With
--verifier V, print the S256 challenge of V; "--verifier -" reads V as one
line from stdin (keeping it out of the shell history). V must be 43 to 128
characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 section 4.1).

Output (stdout), exactly two lines, in both forms:
  verifier <V>
  challenge <C>
where C = BASE64URL(SHA256(V)) without padding (RFC 7636 section 4.2).

Exit status: 0 success, 2 bad usage or an invalid verifier.
`

func runPKCE(e env) int {
	const name = "pkce"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var verifier optionalString
	fs.Var(&verifier, "verifier", "the code verifier whose challenge to print")
	if code, ok := parseSubFlags(e, name, pkceUsage, fs); !ok {
		return code
	}
	v := oauth2.GenerateVerifier()
	if verifier.set {
		v = verifier.value
		if v == "-" {
			line, err := bufio.NewReader(io.LimitReader(e.stdin, 256)).ReadString('\n')
			if err != nil && err != io.EOF {
				return usageError(e, name, "reading the verifier:", err)
			}
			v = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		}
		if msg := checkVerifier(v); msg != "" {
			return usageError(e, name, "invalid code verifier: "+msg+"; RFC 7636 section 4.1 requires 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
		}
	}
	fmt.Fprintf(e.stdout, "verifier %s\nchallenge %s\n", v, oauth2.S256ChallengeFromVerifier(v))
	return exitOK
}

// checkVerifier returns why v is not an RFC 7636 code verifier, or "".
// The verifier itself is never echoed back.
func checkVerifier(v string) string {
	if n := len(v); n < 43 || n > 128 {
		return fmt.Sprintf("it has %d characters", n)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return fmt.Sprintf("character %d is not allowed", i+1)
		}
	}
	return ""
}

// optionalString is a string flag that remembers whether it was given, so
// "--verifier=" is an invalid (empty) verifier rather than no flag.
type optionalString struct {
	value string
	set   bool
}

func (o *optionalString) String() string { return o.value }

func (o *optionalString) Set(s string) error { o.value, o.set = s, true; return nil }
