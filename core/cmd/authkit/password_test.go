package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestPasswordCLI(t *testing.T) {
	const (
		bcryptUU  = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" // "U*U", Openwall
		argonRef  = "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
		argonNoV  = "$argon2id$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
		django    = "pbkdf2_sha256$1000$5XJcnWTlJ7Jy$Vee22V5fQ8r3Wj/aL6DpclmdlZACGc6utiLCJKzS+LA="
		passlib   = "$pbkdf2-sha256$1000$X8t5D4EQwjjHOAfg3Jtzzg$gxPKDjyu3x8IrSv3JYomU3gqB5Feu22tk/Ho/8qUTwc"
		hostileM  = "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
		bcrypt31  = "$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
		argon2d   = "$argon2d$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
		truncated = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvy"
	)
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no subcommand", "", []string{"password"}, exitUsage, "", "usage: authkit password"},
		{"unknown subcommand", "", []string{"password", "frob"}, exitUsage, "", `unknown subcommand "frob"`},
		{"help goes to stdout, as for jwt and the top level", "", []string{"password", "-h"}, exitOK, "usage: authkit password", ""},
		{"verify bcrypt match", "U*U\n", []string{"password", "verify", "--hash", bcryptUU}, exitOK, "match", "this bcrypt hash should be upgraded to argon2id (m=65536 KiB, t=3, p=4)"},
		{"verify CRLF stripped", "U*U\r\n", []string{"password", "verify", "--hash", bcryptUU}, exitOK, "match", ""},
		{"verify no newline", "U*U", []string{"password", "verify", "--hash", bcryptUU}, exitOK, "match", ""},
		{"verify only first line", "U*U\nsecond\n", []string{"password", "verify", "--hash", bcryptUU}, exitOK, "match", ""},
		{"verify hash with a trailing newline", "U*U\n", []string{"password", "verify", "--hash", bcryptUU + "\n"}, exitOK, "match", ""},
		{"verify mismatch", "U*V\n", []string{"password", "verify", "--hash", bcryptUU}, exitNegative, "mismatch", ""},
		{"verify trailing space is part of the password", "U*U \n", []string{"password", "verify", "--hash", bcryptUU}, exitNegative, "mismatch", ""},
		{"verify argon2id reference", "password\n", []string{"password", "verify", "--hash", argonRef}, exitOK, "match", "this argon2id (weaker parameters) hash should be upgraded to argon2id (m=65536 KiB, t=3, p=4)"},
		{"verify argon2id without v=", "password\n", []string{"password", "verify", "--hash", argonNoV}, exitOK, "match", ""},
		{"verify django", "correct horse battery staple\n", []string{"password", "verify", "--hash", django}, exitOK, "match", "this Django PBKDF2-SHA256 hash should be upgraded to argon2id (m=65536 KiB, t=3, p=4)"},
		{"verify passlib", "correct horse battery staple\n", []string{"password", "verify", "--hash", passlib}, exitOK, "match", "this PBKDF2-SHA256 hash should be upgraded to argon2id"},
		{"verify hostile memory", "password\n", []string{"password", "verify", "--hash", hostileM}, exitUsage, "", "exceed limits"},
		{"verify bcrypt cost 31", "password\n", []string{"password", "verify", "--hash", bcrypt31}, exitUsage, "", "exceed limits"},
		{"verify argon2d unsupported", "password\n", []string{"password", "verify", "--hash", argon2d}, exitUsage, "", "unsupported"},
		{"verify truncated", "U*U\n", []string{"password", "verify", "--hash", truncated}, exitUsage, "", "malformed"},
		{"verify garbage", "x\n", []string{"password", "verify", "--hash", "hello"}, exitUsage, "", "malformed"},
		{"verify without --hash", "x\n", []string{"password", "verify"}, exitUsage, "", "--hash is required"},
		{"verify stray argument", "x\n", []string{"password", "verify", "--hash", bcryptUU, "extra"}, exitUsage, "", "unexpected argument"},
		{"verify over-long stdin", strings.Repeat("a", 5000) + "\n", []string{"password", "verify", "--hash", bcryptUU}, exitUsage, "", "too long"},
		{"verify bcrypt over 72 bytes", strings.Repeat("a", 73) + "\n", []string{"password", "verify", "--hash", bcryptUU}, exitUsage, "", "too long"},
		{"hash unknown algo", "x\n", []string{"password", "hash", "--algo", "md5"}, exitUsage, "", `unknown --algo "md5"`},
		{"hash empty password", "\n", []string{"password", "hash", "--algo", "bcrypt"}, exitUsage, "", "empty"},
		{"hash bcrypt over 72 bytes", strings.Repeat("a", 73) + "\n", []string{"password", "hash", "--algo", "bcrypt"}, exitUsage, "", "too long"},
		{"check accepts", "Vq7-lantern-Orbit\n", []string{"password", "check"}, exitOK, "ok", ""},
		{"check lists every rule", "alice\n", []string{"password", "check", "--user", "alice"},
			exitNegative, "too_short: must be at least 10 characters long\nmissing_upper: must contain an upper-case letter\nmissing_digit: must contain a digit\ncontains_user: must not contain your user name or email address\n", ""},
		{"check common", "Password123\n", []string{"password", "check"}, exitNegative, "common: ", ""},
		{"check email", "Bob.Jones-2024x\n", []string{"password", "check", "--email", "bob.jones@example.com"}, exitNegative, "contains_user: ", ""},
		{"check too long", strings.Repeat("Aa1", 400) + "\n", []string{"password", "check"}, exitNegative, "too_long: ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) || (tt.wantStdout == "" && stdout != "") {
				t.Errorf("stdout = %q, want it to contain %q", stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

// TestPasswordHashRoundTrip hashes with each algorithm's production defaults
// and verifies the output through the CLI.
func TestPasswordHashRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		algo   []string
		prefix string
		full   bool // also check CRLF and a wrong password (slow for bcrypt/pbkdf2 under -race)
	}{
		{"default is argon2id", nil, "$argon2id$v=19$m=65536,t=3,p=4$", true},
		{"bcrypt", []string{"--algo", "bcrypt"}, "$2a$12$", false},
		{"pbkdf2-sha256", []string{"--algo", "pbkdf2-sha256"}, "$pbkdf2-sha256$600000$", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, "Vq7-lantern-Orbit\r\n", append([]string{"password", "hash"}, tt.algo...)...)
			if code != exitOK || !strings.HasPrefix(stdout, tt.prefix) || !strings.HasSuffix(stdout, "\n") {
				t.Fatalf("hash: code %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			enc := strings.TrimSuffix(stdout, "\n")
			if code, out, _ := runCLI(t, "Vq7-lantern-Orbit\n", "password", "verify", "--hash", enc); code != exitOK || out != "match\n" {
				t.Fatalf("verify own hash: code %d, stdout %q", code, out)
			}
			if !tt.full {
				return
			}
			if code, _, _ := runCLI(t, "Vq7-lantern-Orbit\r\n", "password", "verify", "--hash", enc); code != exitOK {
				t.Fatalf("verify with CRLF: code %d", code)
			}
			if code, _, _ := runCLI(t, "vq7-lantern-Orbit\n", "password", "verify", "--hash", enc); code != exitNegative {
				t.Fatalf("verify wrong password: code %d", code)
			}
		})
	}
}

// TestDefaultHashDescription: the parameters the rehash note names are
// the ones password hash uses.
func TestDefaultHashDescription(t *testing.T) {
	code, stdout, stderr := runCLI(t, "Vq7-lantern-Orbit\n", "password", "hash")
	if code != exitOK {
		t.Fatalf("hash: %d %s", code, stderr)
	}
	var m, tc, p int
	if _, err := fmt.Sscanf(stdout, "$argon2id$v=19$m=%d,t=%d,p=%d$", &m, &tc, &p); err != nil {
		t.Fatalf("hash %q: %v", stdout, err)
	}
	if want := fmt.Sprintf("argon2id (m=%d KiB, t=%d, p=%d)", m, tc, p); defaultHash != want {
		t.Fatalf("defaultHash = %q, but password hash makes %q", defaultHash, want)
	}
	// A hash made with the defaults needs no upgrade.
	if code, _, stderr := runCLI(t, "Vq7-lantern-Orbit\n", "password", "verify", "--hash", strings.TrimSpace(stdout)); code != exitOK || stderr != "" {
		t.Fatalf("verify own hash: %d, stderr %q", code, stderr)
	}
}
