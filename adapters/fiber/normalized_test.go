package authfiber

import (
	"bytes"
	"net/http"
	"slices"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/authkit-go/authkit/core/headers"
)

var normalizedSeeds = []string{
	"", "a", "A", "-", "--", "-a", "-A", "a-", "A--b", "A--B", "X-Frame-Options", "x-frame-options",
	"X-FRAME-OPTIONS", headers.HSTS, headers.ContentSecurityPolicy, headers.PermissionsPolicy,
	headers.CrossOriginOpenerPolicy, "Vary", "Cache-Control", "X-Foo_bar", "X.Y-Z", "1-a", "Ä-b",
	http.CanonicalHeaderKey("a--b"), http.CanonicalHeaderKey("-a"),
}

// normalized agrees with fasthttp's own normalization, on the names above
// and on every name of up to four bytes from "aA-_": a name it calls
// normalized is the one fasthttp would store, so SetCanonical stores what
// Set would.
func TestNormalized(t *testing.T) {
	for _, s := range normalizedSeeds {
		checkNormalized(t, []byte(s))
	}
	names := [][]byte{nil}
	for range 4 {
		var longer [][]byte
		for _, n := range names {
			for _, c := range []byte("aA-_") {
				longer = append(longer, append(append([]byte(nil), n...), c))
			}
		}
		for _, n := range longer {
			checkNormalized(t, n)
		}
		names = longer
	}
}

func checkNormalized(t *testing.T, name []byte) {
	want := bytes.Equal(fasthttp.AppendNormalizedHeaderKeyBytes(nil, name), name)
	if got := normalized(name); got != want {
		t.Errorf("normalized(%q) = %v, fasthttp normalizes it to %q", name, got, fasthttp.AppendNormalizedHeaderKeyBytes(nil, name))
	}
}

// SetHeaderBytes leaves the response header as Set leaves it, for names
// fasthttp normalizes and names it does not, values with CR or LF, and
// with fasthttp's normalization on or off.
func TestSetHeaderBytesAsSet(t *testing.T) {
	app := fiber.New()
	fields := func(normalizing bool, set func(x exchange)) []string {
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
	for _, name := range []string{headers.HSTS, "Vary", "Cache-Control", "A--B", "x-lower", "Content-Type", "Set-Cookie"} {
		for _, value := range []string{"v", "no-store", "a\r\nInjected: 1", "b\nc"} {
			for _, normalizing := range []bool{true, false} {
				got := fields(normalizing, func(x exchange) { x.SetHeaderBytes([]byte(name), []byte(value)) })
				want := fields(normalizing, func(x exchange) { x.SetHeader(name, value) })
				if !slices.Equal(got, want) {
					t.Errorf("%q: %q (normalizing %v): SetHeaderBytes gives %q, Set %q", name, value, normalizing, got, want)
				}
			}
		}
	}
}
