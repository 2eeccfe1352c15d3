package rediskey

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/authkit"
)

func TestCheckPrefix(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"", true}, {"app:", true}, {"a{b", false}, {"a}b", false}, {"{x}", false},
	} {
		err := CheckPrefix(tc.prefix)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPrefix(%q) = %v, want ok=%v", tc.prefix, err, tc.ok)
		}
		if err != nil && !errors.Is(err, authkit.ErrInvalidConfig) {
			t.Errorf("CheckPrefix(%q) = %v, does not wrap ErrInvalidConfig", tc.prefix, err)
		}
	}
}

func TestTag(t *testing.T) {
	a, b := Tag("user", "alice"), Tag("family", "alice")
	if a == b {
		t.Fatal("kinds do not separate tags")
	}
	if Tag("user", "alice") != a {
		t.Fatal("Tag is not deterministic")
	}
	hostile := Tag("user", "}{\x00\r\n")
	if len(hostile) != 24 || strings.Count(hostile, "{") != 1 || strings.Count(hostile, "}") != 1 ||
		hostile[0] != '{' || hostile[23] != '}' {
		t.Fatalf("Tag of a hostile id = %q, want one braced 22-character tag", hostile)
	}
	if Tag("u", "ser\x00x") == Tag("user", "x") {
		t.Fatal("kind and id run together")
	}
}

// TestTagDefinition pins Tag to its definition for ids on both sides of
// the stack buffer, so stored keys never move.
func TestTagDefinition(t *testing.T) {
	for _, n := range []int{0, 1, 200, 250, 251, 252, 1000, 1 << 20} {
		id := strings.Repeat("x{", n)[:n]
		h := sha256.New()
		h.Write([]byte("kind\x00" + id))
		want := "{" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:22] + "}"
		if got := Tag("kind", id); got != want {
			t.Fatalf("Tag of a %d-byte id = %q, want %q", n, got, want)
		}
	}
}

func BenchmarkTag(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Tag("token", "0f8fad5b-d9cb-469f-a165-70867728950e")
	}
}

func TestUnavailable(t *testing.T) {
	errStoreDown := errors.Join(errors.New("mystore: unavailable"), authkit.ErrUnavailable)
	if Unavailable(errStoreDown, nil) != nil {
		t.Fatal("nil error wrapped")
	}
	cause := errors.New("dial tcp: refused")
	err := Unavailable(errStoreDown, cause)
	if !errors.Is(err, errStoreDown) || !errors.Is(err, authkit.ErrUnavailable) || !errors.Is(err, cause) {
		t.Fatalf("Unavailable lost part of the chain: %v", err)
	}
	if Unavailable(errStoreDown, err) != err {
		t.Fatal("an already wrapped error is wrapped twice")
	}
}
