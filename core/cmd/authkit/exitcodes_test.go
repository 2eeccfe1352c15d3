package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rfc6238Secret is RFC 6238's SHA1 seed, "12345678901234567890", in base32;
// its 6-digit code at Unix time 59 is 287082.
const rfc6238Secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// TestExitCodes runs every command and subcommand with -h, a bad flag,
// input it accepts and, where it has one, a negative answer: 0 success (and
// help), 1 negative answer, 2 bad usage or unreadable input, as the
// top-level help says. Every -h prints "usage: authkit <command> ..." on
// stdout and nothing on stderr; every bad flag prints the error and the
// same usage on stderr.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	code, key, stderr := runCLI(t, "", "jwt", "keygen", "--alg", "ES256")
	if code != exitOK {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	code, tok, stderr := runCLI(t, "", "jwt", "sign", "--alg", "ES256", "--key", keyFile, "--claims", `{"sub":"alice"}`)
	if code != exitOK {
		t.Fatalf("sign: %d %s", code, stderr)
	}
	tok = strings.TrimSpace(tok)
	const bcryptUU = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" // "U*U"

	type row struct {
		args  []string
		stdin string
		want  int
	}
	// help rows: -h of every command and subcommand.
	helps := [][]string{
		{"version"}, {"jwt"}, {"jwt", "keygen"}, {"jwt", "sign"}, {"jwt", "verify"}, {"jwt", "inspect"},
		{"password"}, {"password", "hash"}, {"password", "verify"}, {"password", "check"},
		{"pkce"}, {"totp"}, {"totp", "secret"}, {"totp", "code"}, {"totp", "verify"},
		{"recovery"}, {"recovery", "generate"},
	}
	for _, path := range helps {
		for _, h := range []string{"-h", "--help"} {
			t.Run(strings.Join(path, " ")+" "+h, func(t *testing.T) {
				code, stdout, stderr := runCLI(t, "", append(path, h)...)
				head := "usage: authkit " + strings.Join(path, " ")
				if code != exitOK || !strings.HasPrefix(stdout, head) || stderr != "" {
					t.Fatalf("exit %d, stdout %.80q, stderr %q; want 0 and usage starting %q on stdout", code, stdout, stderr, head)
				}
				if strings.Contains(stdout, "Usage of") {
					t.Errorf("flag package header in %q", stdout)
				}
			})
		}
		if len(path) > 1 || path[0] == "version" || path[0] == "pkce" {
			t.Run(strings.Join(path, " ")+" --frob", func(t *testing.T) {
				code, stdout, stderr := runCLI(t, "", append(path, "--frob")...)
				head := "usage: authkit " + strings.Join(path, " ")
				if code != exitUsage || stdout != "" || !strings.Contains(stderr, "flag provided but not defined") || !strings.Contains(stderr, head) {
					t.Fatalf("exit %d, stdout %q, stderr %q; want 2, the error and %q on stderr", code, stdout, stderr, head)
				}
			})
		}
	}
	for _, r := range []row{
		{nil, "", exitUsage},
		{[]string{"frob"}, "", exitUsage},
		{[]string{"help"}, "", exitOK},
		{[]string{"-h"}, "", exitOK},
		{[]string{"help", "jwt", "sign"}, "", exitOK},
		{[]string{"help", "frob"}, "", exitUsage},
		{[]string{"version"}, "", exitOK},
		{[]string{"version", "x"}, "", exitUsage},

		{[]string{"jwt"}, "", exitUsage},
		{[]string{"jwt", "frob"}, "", exitUsage},
		{[]string{"jwt", "keygen", "--alg", "EdDSA"}, "", exitOK},
		{[]string{"jwt", "keygen"}, "", exitUsage},
		{[]string{"jwt", "sign", "--alg", "ES256", "--key", keyFile, "--claims", `{"sub":"a"}`}, "", exitOK},
		{[]string{"jwt", "sign", "--alg", "ES256", "--key", keyFile}, "", exitUsage},
		{[]string{"jwt", "sign", "--alg", "RS256", "--key", keyFile, "--claims", `{}`}, "", exitUsage},
		{[]string{"jwt", "verify", "--alg", "ES256", "--key", keyFile}, tok, exitOK},
		{[]string{"jwt", "verify", "--alg", "ES256", "--key", keyFile}, tamper(tok), exitNegative},
		{[]string{"jwt", "verify", "--alg", "ES256", "--key", keyFile}, "", exitUsage},
		{[]string{"jwt", "verify", "--alg", "ES256", "--key", keyFile}, " \n", exitUsage},
		{[]string{"jwt", "verify", "--alg", "ES256"}, tok, exitUsage},
		{[]string{"jwt", "inspect"}, tok, exitOK},
		{[]string{"jwt", "inspect"}, "", exitUsage},
		{[]string{"jwt", "inspect"}, "zzz", exitUsage},

		{[]string{"password"}, "", exitUsage},
		{[]string{"password", "hash"}, "Vq7-lantern-Orbit\n", exitOK},
		{[]string{"password", "hash", "--algo", "md5"}, "x\n", exitUsage},
		{[]string{"password", "verify", "--hash", bcryptUU}, "U*U\n", exitOK},
		{[]string{"password", "verify", "--hash", bcryptUU}, "U*V\n", exitNegative},
		{[]string{"password", "verify", "--hash", "garbage"}, "U*U\n", exitUsage},
		{[]string{"password", "check"}, "Vq7-lantern-Orbit\n", exitOK},
		{[]string{"password", "check"}, "alice\n", exitNegative},
		{[]string{"password", "check", "stray"}, "x\n", exitUsage},

		{[]string{"pkce"}, "", exitOK},
		{[]string{"pkce", "--verifier", "short"}, "", exitUsage},

		{[]string{"totp"}, "", exitUsage},
		{[]string{"totp", "secret", "--issuer", "I", "--account", "A"}, "", exitOK},
		{[]string{"totp", "secret"}, "", exitUsage},
		{[]string{"totp", "code", "--secret", rfc6238Secret, "--time", "59"}, "", exitOK},
		{[]string{"totp", "code"}, "", exitUsage},
		{[]string{"totp", "verify", "--secret", rfc6238Secret, "--time", "59", "--code", "287082"}, "", exitOK},
		{[]string{"totp", "verify", "--secret", rfc6238Secret, "--time", "59", "--code", "000000"}, "", exitNegative},
		{[]string{"totp", "verify", "--secret", rfc6238Secret}, "", exitUsage},

		{[]string{"recovery"}, "", exitUsage},
		{[]string{"recovery", "generate", "--count", "2"}, "", exitOK},
		{[]string{"recovery", "generate", "--count", "0"}, "", exitUsage},
	} {
		t.Run(strings.Join(r.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, r.stdin, r.args...)
			if code != r.want {
				t.Fatalf("exit %d, want %d (stdout %.100q, stderr %.200q)", code, r.want, stdout, stderr)
			}
		})
	}
}

// tamper changes one character of a token's signature.
func tamper(tok string) string {
	i := len(tok) - 5
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// TestJWTSignDefaultLifetime: jwt sign without --exp mints a token that
// jwt verify accepts, living the access-token lifetime (15 minutes).
func TestJWTSignDefaultLifetime(t *testing.T) {
	keyFile := interopFile("ES256.key.pem")
	sign := func(claims string, extra ...string) (int, string, string) {
		return runCLI(t, "", append([]string{"jwt", "sign", "--alg", "ES256", "--key", keyFile, "--claims", claims}, extra...)...)
	}
	claimsOf := func(tok string) map[string]float64 {
		_, out, _ := runCLI(t, tok, "jwt", "inspect")
		var v struct {
			Claims map[string]any `json:"claims"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("inspect: %v: %s", err, out)
		}
		nums := map[string]float64{}
		for k, x := range v.Claims {
			if f, ok := x.(float64); ok {
				nums[k] = f
			}
		}
		return nums
	}
	code, tok, stderr := sign(`{"sub":"alice"}`)
	if code != exitOK {
		t.Fatalf("sign: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, tok, "jwt", "verify", "--alg", "ES256", "--key", keyFile); code != exitOK {
		t.Fatalf("verify of a token signed without --exp: exit %d, %s", code, stderr)
	}
	if c := claimsOf(tok); c["exp"]-c["iat"] != 900 {
		t.Errorf("exp - iat = %v, want 900 (15m)", c["exp"]-c["iat"])
	}
	// Claims that carry exp are signed as given, unless --exp is given too.
	code, tok, _ = sign(`{"sub":"alice","exp":4102444800}`)
	if c := claimsOf(tok); code != exitOK || c["exp"] != 4102444800 || c["iat"] != 0 {
		t.Errorf("claims with exp: exit %d, claims %v; want them as given", code, c)
	}
	if code, _, stderr := sign(`{"sub":"alice","exp":4102444800}`, "--exp", "1h"); code != exitUsage || !strings.Contains(stderr, "already holds exp") {
		t.Errorf("claims with exp and --exp: exit %d %q, want 2", code, stderr)
	}
	// --exp 0 adds nothing; such a token has no exp, and verify says so.
	code, tok, _ = sign(`{"sub":"alice"}`, "--exp", "0")
	if c := claimsOf(tok); code != exitOK || c["exp"] != 0 {
		t.Errorf("--exp 0: exit %d, claims %v; want no exp", code, c)
	}
	if code, _, _ := runCLI(t, tok, "jwt", "verify", "--alg", "ES256", "--key", keyFile); code != exitNegative {
		t.Errorf("verify of a token without exp: exit %d, want 1", code)
	}
	// An iat in the claims is kept.
	code, tok, _ = sign(`{"sub":"alice","iat":1700000000}`, "--exp", "5m")
	if c := claimsOf(tok); code != exitOK || c["iat"] != 1700000000 || c["exp"] == 0 {
		t.Errorf("claims with iat: exit %d, claims %v", code, c)
	}
}

// TestJWTNoToken: no token at all is unreadable input (2) for verify and
// inspect alike.
func TestJWTNoToken(t *testing.T) {
	for _, stdin := range []string{"", "\n", "  \r\n"} {
		for _, args := range [][]string{
			{"jwt", "verify", "--alg", "ES256", "--key", interopFile("ES256.pub.pem")},
			{"jwt", "inspect"},
		} {
			code, stdout, stderr := runCLI(t, stdin, args...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, "no token") {
				t.Errorf("%s with stdin %q: exit %d, stdout %q, stderr %q; want 2 and \"no token\"", args[1], stdin, code, stdout, stderr)
			}
		}
	}
}
