package main

import (
	"regexp"
	"strings"
	"testing"
)

var recoveryLine = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$`)

func TestRecoveryGenerate(t *testing.T) {
	for _, tt := range []struct {
		args []string
		n    int
	}{
		{nil, 10},
		{[]string{"--count", "1"}, 1},
		{[]string{"--count", "25"}, 25},
		{[]string{"--count", "1000"}, 1000},
	} {
		code, stdout, stderr := runCLI(t, "", append([]string{"recovery", "generate"}, tt.args...)...)
		if code != exitOK || stderr != "" {
			t.Fatalf("%q: exit %d, stderr %q", tt.args, code, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		seen := map[string]bool{}
		for _, l := range lines {
			if !recoveryLine.MatchString(l) || seen[l] {
				t.Fatalf("%q: line %q (repeated: %v)", tt.args, l, seen[l])
			}
			seen[l] = true
		}
		if len(lines) != tt.n {
			t.Fatalf("%q: %d codes, want %d", tt.args, len(lines), tt.n)
		}
	}
}

func TestRecoveryExitCodes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"recovery"}, exitUsage},
		{[]string{"recovery", "bogus"}, exitUsage},
		{[]string{"recovery", "help"}, exitOK},
		{[]string{"recovery", "generate", "-h"}, exitOK},
		{[]string{"recovery", "generate", "--count", "0"}, exitUsage},
		{[]string{"recovery", "generate", "--count", "-3"}, exitUsage},
		{[]string{"recovery", "generate", "--count", "1001"}, exitUsage},
		{[]string{"recovery", "generate", "--count", "ten"}, exitUsage},
		{[]string{"recovery", "generate", "--bogus"}, exitUsage},
		{[]string{"recovery", "generate", "extra"}, exitUsage},
	} {
		code, stdout, stderr := runCLI(t, "", tt.args...)
		if code != tt.want {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tt.args, code, tt.want, stderr)
		}
		if tt.want == exitUsage && (stdout != "" || stderr == "") {
			t.Errorf("%q: stdout %q, stderr %q; want only a message on stderr", tt.args, stdout, stderr)
		}
	}
}
