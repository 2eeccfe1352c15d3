package session_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/session"
)

const validID = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // 43 chars, 256 zero bits

func TestParseID(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		valid bool
	}{
		{"valid", validID, true},
		{"valid mixed alphabet", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_A", true},
		{"empty", "", false},
		{"42 chars", validID[:42], false},
		{"44 chars", validID + "A", false},
		{"padded", validID[:42] + "=", false},
		{"plus", "+" + validID[1:], false},
		{"slash", "/" + validID[1:], false},
		{"NUL", "\x00" + validID[1:], false},
		{"unicode", "é" + validID[2:], false},
		{"1 MB", strings.Repeat("A", 1<<20), false},
		{"dots", ".." + validID[2:], false},
		{"spaces", " " + validID[1:], false},
		{"trailing newline", validID[:42] + "\n", false},
		{"non-canonical last char", validID[:42] + "B", false}, // nonzero padding bits: a second spelling of one id
		{"percent-encoded", "%41" + validID[3:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := session.ParseID(tt.in)
			if !tt.valid {
				if !errors.Is(err, session.ErrMalformedID) {
					t.Fatalf("ParseID = %v, want ErrMalformedID", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseID: %v", err)
			}
			if id.Secret() != tt.in {
				t.Fatalf("Secret() = %q, want %q", id.Secret(), tt.in)
			}
		})
	}
}

func TestIDNeverPrintsItself(t *testing.T) {
	id, err := session.ParseID("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_A")
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "id", id)
	for _, out := range []string{fmt.Sprint(id), fmt.Sprintf("%v %+v %#v %s %x %q", id, id, id, id, id, id), id.String(), logged.String()} {
		if strings.Contains(out, id.Secret()) || strings.Contains(out, id.Secret()[:10]) {
			t.Errorf("output leaks the id: %s", out)
		}
		if !strings.Contains(out, id.Hash().Hint()) {
			t.Errorf("output %q lacks the hint", out)
		}
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{validID, "", validID[:42], validID + "=", "+/" + validID[2:], strings.Repeat("é", 22)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := session.ParseID(s)
		if err != nil {
			if !errors.Is(err, session.ErrMalformedID) {
				t.Fatalf("error %v is not ErrMalformedID", err)
			}
			return
		}
		if id.Secret() != s { // the canonical spelling is the only accepted one
			t.Fatalf("ParseID(%q) round-trips to %q", s, id.Secret())
		}
	})
}
