package rediskey

import (
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
