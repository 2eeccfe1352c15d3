package random

import (
	"encoding/base64"
	"testing"
)

func TestBase64URL(t *testing.T) {
	for _, n := range []int{0, 1, 16, 32, 33} {
		s := Base64URL(n)
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) != n {
			t.Fatalf("Base64URL(%d) = %q: decodes to %d bytes, %v", n, s, len(b), err)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		s := Base64URL(16)
		if seen[s] {
			t.Fatalf("Base64URL(16) repeated %q", s)
		}
		seen[s] = true
	}
}
