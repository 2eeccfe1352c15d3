package authfiber

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/authkit-go/authkit/core/headers"
)

// setHeaderNames are names a policy can hold: the defaults, custom names
// in every case, and names of one letter or with digits, '_' and '.'.
var setHeaderNames = []string{
	headers.HSTS, headers.ContentSecurityPolicy, headers.PermissionsPolicy, headers.CrossOriginOpenerPolicy,
	headers.FrameOptions, "Vary", "Cache-Control", "Content-Type", "Set-Cookie", "x-lower", "X-UPPER",
	"x", "X-Foo_bar", "X.Y-Z", "1-a", "A-b-C-d", "x-1a", "x-_a", "x-.a",
}

// policyFields are the fields a policy with WithHeader(name, value) hands
// to ApplyBytes (nil when New refuses the option): what the fiber exchange
// gets.
func policyFields(t testing.TB, name, value string) [][2][]byte {
	p, err := headers.New(headers.WithHeader(name, value))
	if err != nil {
		return nil
	}
	var fields [][2][]byte
	if _, err := p.ApplyBytes(context.Background(), func(n, v []byte) { fields = append(fields, [2][]byte{n, v}) }, true); err != nil {
		t.Fatal(err)
	}
	return fields
}

// responseFields sets fields on a fresh fiber response, through set, and
// returns them as "Name: value" lines.
func responseFields(app *fiber.App, normalizing bool, set func(x exchange)) []string {
	c := app.AcquireCtx(&fasthttp.RequestCtx{})
	defer app.ReleaseCtx(c)
	if !normalizing {
		c.Response().Header.DisableNormalizing()
	}
	set(exchange{c})
	var got []string
	c.Response().Header.VisitAll(func(k, v []byte) {
		if string(k) != fasthttp.HeaderDate {
			got = append(got, string(k)+": "+string(v))
		}
	})
	return got
}

// checkAsSet fails unless every field a policy with WithHeader(name,
// value) holds leaves the response as Set would, with fasthttp's
// normalization on and off: SetHeaderBytes takes them as they are, so the
// names must already be as fasthttp spells them.
func checkAsSet(t *testing.T, app *fiber.App, name, value string) {
	for _, f := range policyFields(t, name, value) {
		for _, normalizing := range []bool{true, false} {
			got := responseFields(app, normalizing, func(x exchange) { x.SetHeaderBytes(f[0], f[1]) })
			want := responseFields(app, normalizing, func(x exchange) { x.SetHeader(string(f[0]), string(f[1])) })
			if !slices.Equal(got, want) {
				t.Errorf("WithHeader(%q, %q): SetHeaderBytes gives %q, Set %q (normalizing %v)", name, value, got, want, normalizing)
			}
		}
	}
}

// TestSetHeaderBytesAsSet: every field a policy can hold, set from its
// prepared bytes, leaves the response header as Set leaves it.
func TestSetHeaderBytesAsSet(t *testing.T) {
	app := fiber.New()
	for _, name := range setHeaderNames {
		if policyFields(t, name, "v") == nil {
			t.Fatalf("headers.New refused WithHeader(%q, …)", name)
		}
		for _, value := range []string{"v", "no-store", "a b", "\t\x7f\xff"} {
			checkAsSet(t, app, name, value)
		}
	}
}

// TestSetHeaderBytesLineBreaksAsSet: a value with CR or LF handed to
// SetHeaderBytes directly (no policy prepares one) leaves the response as
// Set does (the line breaks turned into spaces), with no line break in
// any field, so no caller can split the response through a value.
func TestSetHeaderBytesLineBreaksAsSet(t *testing.T) {
	app := fiber.New()
	for _, value := range []string{"a\r\nInjected: 1", "a\nInjected: 1", "a\rb", "\r\n\r\n<html>", "a\r"} {
		for _, normalizing := range []bool{true, false} {
			got := responseFields(app, normalizing, func(x exchange) { x.SetHeaderBytes([]byte("X-A"), []byte(value)) })
			want := responseFields(app, normalizing, func(x exchange) { x.SetHeader("X-A", value) })
			if !slices.Equal(got, want) {
				t.Errorf("SetHeaderBytes(X-A, %q) gives %q, Set %q (normalizing %v)", value, got, want, normalizing)
			}
			for _, f := range got {
				if strings.ContainsAny(f, "\r\n") {
					t.Errorf("SetHeaderBytes(X-A, %q) left a line break in %q", value, f)
				}
			}
		}
	}
}

// FuzzSetHeaderBytesAsSet: for any name and value that headers.New takes,
// the prepared bytes leave the response as Set does; the names on which
// fasthttp and net/http differ ("a--b") never get that far.
func FuzzSetHeaderBytesAsSet(f *testing.F) {
	for _, name := range append(setHeaderNames, "", "-", "--", "-a", "a-", "A--b", "a--B", "Ä-b", "a b") {
		f.Add(name, "v")
	}
	f.Add("X-A", "a\r\nInjected: 1")
	app := fiber.New()
	f.Fuzz(func(t *testing.T, name, value string) {
		checkAsSet(t, app, name, value)
	})
}
