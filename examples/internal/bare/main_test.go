package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestParseField(t *testing.T) {
	for _, tc := range []struct{ in, name, value string }{
		{"X-Frame-Options: DENY", "X-Frame-Options", "DENY"},
		{"vary:  Cookie, Authorization ", "Vary", "Cookie, Authorization"},
		{"X-Empty:", "X-Empty", ""},
		{"Link: <https://a.example/>; rel=preload", "Link", "<https://a.example/>; rel=preload"},
	} {
		f, err := parseField(tc.in)
		if err != nil || f.name != tc.name || len(f.value) != 1 || f.value[0] != tc.value || cap(f.value) != 1 ||
			string(f.nameBytes) != tc.name || string(f.valueBytes) != tc.value {
			t.Errorf("parseField(%q) = %+v, %v; want %q: %q", tc.in, f, err, tc.name, tc.value)
		}
	}
	for _, in := range []string{"", "no colon", ": value", "Bad Name: x", "X: a\nb", "X: a\rb", "X: a\x00b", "Ä: x", "(x): y"} {
		if f, err := parseField(in); err == nil {
			t.Errorf("parseField(%q) = %+v, want an error", in, f)
		}
	}
}

// TestServeSendsFields serves on each framework with two fields and checks
// the body and every field arrive, beside what bare always sends.
func TestServeSendsFields(t *testing.T) {
	var fields []field
	for _, v := range []string{"X-Content-Type-Options: nosniff", "Vary: Cookie, Authorization"} {
		f, err := parseField(v)
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	const body = `{"sub":"alice"}`
	for _, fw := range []string{"nethttp", "gin", "echo", "fiber"} {
		t.Run(fw, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- serve(fw, ln, []byte(body), fields) }()
			t.Cleanup(func() { ln.Close(); <-done })
			resp, err := http.Get("http://" + ln.Addr().String() + "/me")
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || string(got) != body {
				t.Fatalf("GET /me: %d %q %v, want 200 %q", resp.StatusCode, got, err, body)
			}
			for name, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Vary":                   "Cookie, Authorization",
				"Cache-Control":          "no-store",
				"Content-Type":           "application/json",
			} {
				if v := resp.Header.Values(name); len(v) != 1 || v[0] != want {
					t.Errorf("%s: %q, want %q once", name, v, want)
				}
			}
		})
	}
	if err := serve("nope", nil, nil, nil); err == nil || !strings.Contains(err.Error(), "unknown framework") {
		t.Errorf("serve(nope) = %v, want unknown framework", err)
	}
}
