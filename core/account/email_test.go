package account

import (
	"errors"
	"net/mail"
	"strings"
	"testing"
)

func TestParseEmail(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"Alice.Smith@Example.COM", "Alice.Smith@example.com"},
		{"a+tag@mail.example.org", "a+tag@mail.example.org"},
		{"o'neil@example.ie", "o'neil@example.ie"},
		{"x@a-b.example", "x@a-b.example"},
		{"x@1example.com", "x@1example.com"},
		{strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com"},
	} {
		if got, err := ParseEmail(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// hostileEmails are addresses ParseEmail must refuse: header and
// recipient injection, the forms net/mail takes that a header or file
// name could not carry as they are, and malformed ones.
var hostileEmails = []string{
	"",
	"alice",
	"@example.com",
	"alice@",
	"alice@example",
	"alice@@example.com",
	"a@b@example.com",
	"alice@example.com\r\nBcc: eve@evil.example",
	"alice@example.com\nBcc: eve@evil.example",
	"alice@example.com, eve@evil.example",
	"Alice <alice@example.com>",
	"<alice@example.com>",
	"alice@example.com (comment)",
	`"alice smith"@example.com`,
	`"a@b"@example.com`,
	"alice smith@example.com",
	" alice@example.com",
	"alice@example.com ",
	"alice\t@example.com",
	".alice@example.com",
	"alice.@example.com",
	"al..ice@example.com",
	"alice@.example.com",
	"alice@example..com",
	"alice@example.com.",
	"alice@-example.com",
	"alice@example-.com",
	"alice@exa_mple.com",
	"alice@[192.0.2.1]",
	"alice@192.0.2.1",
	"alïce@example.com",
	"alice@exämple.com",
	"alice\x00@example.com",
	"alice@example.com\x00",
	"alice@example.c\x7fom",
	strings.Repeat("a", 65) + "@example.com",
	"a@" + strings.Repeat("b", 64) + ".com",
	"a@" + strings.Repeat("b.", 130) + "com",
}

func TestParseEmailHostile(t *testing.T) {
	for _, in := range hostileEmails {
		got, err := ParseEmail(in)
		if !errors.Is(err, ErrInvalidEmail) {
			t.Errorf("ParseEmail(%q) = %q, %v; want ErrInvalidEmail", in, got, err)
			continue
		}
		if in != "" && len(in) > 3 && strings.Contains(err.Error(), in) {
			t.Errorf("ParseEmail(%q): the error repeats the input: %v", in, err)
		}
	}
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range hostileEmails {
		f.Add(s)
	}
	f.Add("alice@example.com")
	f.Add("A.b-c+d@Sub.Example.ORG")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseEmail(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidEmail) {
				t.Fatalf("ParseEmail(%q): %v, not ErrInvalidEmail", in, err)
			}
			return
		}
		if again, err := ParseEmail(got); err != nil || again != got {
			t.Fatalf("ParseEmail(%q) = %q, which parses to %q, %v", in, got, again, err)
		}
		if !strings.EqualFold(got, in) || strings.ContainsAny(got, " \t\r\n\"<>(),;:\\[]") {
			t.Fatalf("ParseEmail(%q) = %q", in, got)
		}
		if a, err := mail.ParseAddress(got); err != nil || a.Name != "" || a.Address != got {
			t.Fatalf("net/mail reads %q as %+v, %v", got, a, err)
		}
	})
}
