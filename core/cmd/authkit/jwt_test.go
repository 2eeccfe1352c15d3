package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tokenTestdata = "../../token/testdata"

func interopFile(name string) string { return filepath.Join(tokenTestdata, "interop", name) }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var allAlgs = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"}

// TestJWTVerifyInterop verifies tokens made by PyJWT and jwcrypto (see
// token/testdata/gen_interop.py) with every key form.
func TestJWTVerifyInterop(t *testing.T) {
	for _, alg := range allAlgs {
		for _, src := range []string{"pyjwt", "jwcrypto"} {
			keys := []string{alg + ".pub.pem", alg + ".key.pem", alg + ".pub.jwk", "public.jwks"}
			if strings.HasPrefix(alg, "HS") {
				keys = []string{alg + ".secret"}
			}
			for _, key := range keys {
				t.Run(alg+"/"+src+"/"+key, func(t *testing.T) {
					tok := readFile(t, interopFile(alg+"."+src+".token"))
					code, stdout, stderr := runCLI(t, tok, "jwt", "verify", "--alg", alg, "--key", interopFile(key),
						"--iss", "https://issuer.example", "--aud", "authkit")
					if code != exitOK {
						t.Fatalf("exit %d, stderr %q", code, stderr)
					}
					var claims map[string]any
					if err := json.Unmarshal([]byte(stdout), &claims); err != nil || claims["sub"] != "interop-user" {
						t.Errorf("stdout = %q (%v)", stdout, err)
					}
				})
			}
		}
	}
}

// TestJWTVerifyHostile feeds token/testdata/hostile.json to the CLI: every
// case must exit 1, never 0 and never 2 — except the empty token, which is
// no input at all and exits 2, as jwt inspect does.
func TestJWTVerifyHostile(t *testing.T) {
	var cases []struct {
		Name, Alg, Key, Token, Iss, Aud string
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(tokenTestdata, "hostile.json"))), &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			args := []string{"jwt", "verify", "--alg", tc.Alg, "--key", interopFile(tc.Key)}
			if tc.Iss != "" {
				args = append(args, "--iss", tc.Iss)
			}
			if tc.Aud != "" {
				args = append(args, "--aud", tc.Aud)
			}
			code, stdout, stderr := runCLI(t, tc.Token, args...)
			want := exitNegative
			if strings.TrimSpace(tc.Token) == "" {
				want = exitUsage
			}
			if code != want || stdout != "" {
				t.Fatalf("exit %d stdout %q stderr %q, want exit %d", code, stdout, stderr, want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("reason is not one line: %q", stderr)
			}
		})
	}
}

func TestJWTRoundTrip(t *testing.T) {
	for _, alg := range []string{"HS256", "HS512", "PS256", "ES256", "ES384", "EdDSA"} {
		for _, asJWK := range []bool{false, true} {
			name := alg + "/pem"
			if asJWK {
				name = alg + "/jwk"
			}
			t.Run(name, func(t *testing.T) {
				args := []string{"jwt", "keygen", "--alg", alg, "--kid", "k1"}
				if asJWK {
					args = append(args, "--jwk")
				}
				code, key, stderr := runCLI(t, "", args...)
				if code != exitOK {
					t.Fatalf("keygen exit %d: %s", code, stderr)
				}
				if strings.HasPrefix(alg, "HS") && !asJWK && len(strings.TrimSpace(key)) < 43 {
					t.Fatalf("secret too short: %d chars", len(key))
				}
				keyFile := filepath.Join(t.TempDir(), "key")
				if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
					t.Fatal(err)
				}
				code, tok, stderr := runCLI(t, "", "jwt", "sign", "--alg", alg, "--key", keyFile,
					"--claims", `{"sub":"alice","aud":["a","b"]}`, "--exp", "15m")
				if code != exitOK {
					t.Fatalf("sign exit %d: %s", code, stderr)
				}
				code, out, stderr := runCLI(t, tok+"\n", "jwt", "verify", "--alg", alg, "--key", keyFile, "--aud", "b", "--max-lifetime", "1h")
				if code != exitOK || !strings.Contains(out, `"sub":"alice"`) {
					t.Fatalf("verify exit %d out %q: %s", code, out, stderr)
				}
				code, _, _ = runCLI(t, tok, "jwt", "verify", "--alg", alg, "--key", keyFile, "--max-lifetime", "10m")
				if code != exitNegative {
					t.Errorf("max-lifetime 10m: exit %d, want 1", code)
				}
				code, _, _ = runCLI(t, "", "jwt", "verify", "--alg", alg, "--key", keyFile, "--token", tok, "--iss", "x")
				if code != exitNegative {
					t.Errorf("missing iss: exit %d, want 1", code)
				}
			})
		}
	}
}

func TestJWTUsage(t *testing.T) {
	hsKey := interopFile("HS256.secret")
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"no subcommand", "", []string{"jwt"}, exitUsage, "", "usage: authkit jwt"},
		{"unknown subcommand", "", []string{"jwt", "frob"}, exitUsage, "", "unknown subcommand"},
		{"keygen without alg", "", []string{"jwt", "keygen"}, exitUsage, "", "--alg"},
		{"keygen alg none", "", []string{"jwt", "keygen", "--alg", "none"}, exitUsage, "", "unsupported algorithm"},
		{"verify without key", "x", []string{"jwt", "verify", "--alg", "HS256"}, exitUsage, "", "--key is required"},
		{"verify unreadable key", "x", []string{"jwt", "verify", "--alg", "ES256", "--key", "/nonexistent"}, exitUsage, "", "--key"},
		{"verify short secret", "x", []string{"jwt", "verify", "--alg", "HS256", "--key", interopFile("../rfc8037-a.jwk")}, exitUsage, "", "--key"},
		{"verify PEM as HMAC secret", "x", []string{"jwt", "verify", "--alg", "HS256", "--key", interopFile("RS256.pub.pem")}, exitUsage, "", "HMAC"},
		{"verify RS256 with an EC key", "x", []string{"jwt", "verify", "--alg", "RS256", "--key", interopFile("ES256.pub.pem")}, exitUsage, "", "an ECDSA key on curve P-256 cannot be used with RS256, which needs an RSA key"},
		{"sign ES384 with a P-256 key", "", []string{"jwt", "sign", "--alg", "ES384", "--key", interopFile("ES256.key.pem"), "--claims", "{}"}, exitUsage, "", "an ECDSA key on curve P-256 cannot be used with ES384, which needs an ECDSA key on curve P-384"},
		{"verify alg none", "x", []string{"jwt", "verify", "--alg", "none", "--key", hsKey}, exitUsage, "", "unsupported algorithm"},
		{"verify bad flag", "x", []string{"jwt", "verify", "--frob"}, exitUsage, "", "flag provided but not defined"},
		{"sign with a public key", "", []string{"jwt", "sign", "--alg", "ES256", "--key", interopFile("ES256.pub.pem"), "--claims", "{}"}, exitUsage, "", "no private key"},
		{"sign bad claims", "", []string{"jwt", "sign", "--alg", "HS256", "--key", hsKey, "--claims", "[1]"}, exitUsage, "", "invalid claims"},
		{"sign duplicate claims", "", []string{"jwt", "sign", "--alg", "HS256", "--key", hsKey, "--claims", `{"a":1,"a":2}`}, exitUsage, "", "duplicate"},
		{"inspect", readFile(t, interopFile("ES256.pyjwt.token")), []string{"jwt", "inspect"}, exitOK, `"sub": "interop-user"`, "NOT verified"},
		{"inspect garbage", "zzz", []string{"jwt", "inspect"}, exitUsage, "", "not a compact JWT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stdout, tt.wantOut) {
				t.Errorf("stdout %q, want %q", stdout, tt.wantOut)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q, want %q", stderr, tt.wantErr)
			}
		})
	}
}
