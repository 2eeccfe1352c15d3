package main

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

var pkceOutput = regexp.MustCompile(`^verifier ([A-Za-z0-9._~-]{43,128})\nchallenge ([A-Za-z0-9_-]{43})\n$`)

// RFC 7636 Appendix B.
const (
	rfcVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func TestPKCE(t *testing.T) {
	v128 := strings.Repeat("a~._-Z9", 19)[:128]
	tests := []struct {
		name          string
		stdin         string
		args          []string
		wantCode      int
		wantChallenge string // "" when not checked
		wantStderr    string
	}{
		{"RFC 7636 Appendix B", "", []string{"pkce", "--verifier", rfcVerifier}, exitOK, rfcChallenge, ""},
		{"one dash and =", "", []string{"pkce", "-verifier=" + rfcVerifier}, exitOK, rfcChallenge, ""},
		{"from stdin", rfcVerifier + "\r\n", []string{"pkce", "--verifier", "-"}, exitOK, rfcChallenge, ""},
		{"from stdin without newline", rfcVerifier, []string{"pkce", "--verifier", "-"}, exitOK, rfcChallenge, ""},
		{"128 characters, every allowed kind", "", []string{"pkce", "--verifier", v128}, exitOK, s256(v128), ""},
		{"43 characters", "", []string{"pkce", "--verifier", strings.Repeat("x", 43)}, exitOK, s256(strings.Repeat("x", 43)), ""},
		{"42 characters", "", []string{"pkce", "--verifier", strings.Repeat("x", 42)}, exitUsage, "", "42 characters"},
		{"129 characters", "", []string{"pkce", "--verifier", strings.Repeat("x", 129)}, exitUsage, "", "129 characters"},
		{"empty", "", []string{"pkce", "--verifier="}, exitUsage, "", "0 characters"},
		{"plus sign (base64, not base64url)", "", []string{"pkce", "--verifier", strings.Repeat("a", 42) + "+"}, exitUsage, "", "character 43"},
		{"slash", "", []string{"pkce", "--verifier", "/" + strings.Repeat("a", 42)}, exitUsage, "", "character 1"},
		{"padding", "", []string{"pkce", "--verifier", strings.Repeat("a", 42) + "="}, exitUsage, "", "RFC 7636"},
		{"space", "", []string{"pkce", "--verifier", strings.Repeat("a", 21) + " " + strings.Repeat("a", 21)}, exitUsage, "", "character 22"},
		{"non-ASCII", "", []string{"pkce", "--verifier", strings.Repeat("a", 42) + "é"}, exitUsage, "", "not allowed"},
		{"stdin with two lines", rfcVerifier + "\nmore\n", []string{"pkce", "--verifier", "-"}, exitOK, rfcChallenge, ""},
		{"stdin empty", "", []string{"pkce", "--verifier", "-"}, exitUsage, "", "0 characters"},
		{"flag without value", "", []string{"pkce", "--verifier"}, exitUsage, "", "needs an argument"},
		{"unknown flag", "", []string{"pkce", "--method", "plain"}, exitUsage, "", "not defined"},
		{"stray argument", "", []string{"pkce", rfcVerifier}, exitUsage, "", "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) || (tt.wantStderr == "" && stderr != "") {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantStderr)
			}
			if tt.wantCode != exitOK {
				if stdout != "" {
					t.Errorf("stdout = %q on failure", stdout)
				}
				return
			}
			m := pkceOutput.FindStringSubmatch(stdout)
			if m == nil || m[2] != tt.wantChallenge {
				t.Errorf("stdout = %q, want challenge %s", stdout, tt.wantChallenge)
			}
		})
	}
}

func TestPKCEGenerates(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		code, stdout, stderr := runCLI(t, "", "pkce")
		m := pkceOutput.FindStringSubmatch(stdout)
		if code != exitOK || stderr != "" || m == nil || len(m[1]) != 43 {
			t.Fatalf("pkce = %d, %q, %q", code, stdout, stderr)
		}
		if m[2] != s256(m[1]) {
			t.Fatalf("challenge %s is not S256 of %s", m[2], m[1])
		}
		if seen[m[1]] {
			t.Fatal("the same verifier twice")
		}
		seen[m[1]] = true
		// Its own output goes back in.
		if _, again, _ := runCLI(t, "", "pkce", "--verifier", m[1]); again != stdout {
			t.Fatalf("round trip: %q, want %q", again, stdout)
		}
	}
}

func TestPKCEHelp(t *testing.T) {
	for _, args := range [][]string{{"pkce", "-h"}, {"pkce", "--help"}, {"help", "pkce"}} {
		code, stdout, _ := runCLI(t, "", args...)
		if code != exitOK || !strings.Contains(stdout, "verifier <V>\n  challenge <C>") {
			t.Errorf("%v = %d, %q", args, code, stdout)
		}
	}
	if _, stdout, _ := runCLI(t, "", "help"); !strings.Contains(stdout, "pkce") {
		t.Errorf("top-level help does not list pkce: %q", stdout)
	}
}

// s256 is RFC 7636's S256, written out independently of x/oauth2.
func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
