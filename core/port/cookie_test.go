package port

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// netHTTPCookie is what Request.Cookie answers for name on a request whose
// Cookie header fields are lines: the reference cookieValue must match.
func netHTTPCookie(lines []string, name string) (string, bool) {
	r := &http.Request{Header: http.Header{"Cookie": lines}}
	c, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

// hostileCookies are Cookie header fields a client controls: odd spacing,
// quotes, bytes a value may not hold, names that only look alike, empty
// pairs, many pairs.
var hostileCookies = [][]string{
	nil,
	{""},
	{"sid=abc"},
	{"sid=abc; sid=def"},
	{"sid=\"abc\""},
	{"sid=\""},
	{"sid=\"\""},
	{"sid=\"a\"b\""},
	{"sid=a\"b"},
	{"sid=a\\b; sid=ok"},
	{"sid=a;b"},
	{"sid=a b"},
	{"sid=a,b"},
	{"sid = abc"},
	{"\tsid\t=\tabc\t"},
	{" sid=abc ;  ; other=1"},
	{";;;sid=abc;;;"},
	{"SID=abc"},
	{"sid2=abc; sid=def"},
	{"xsid=abc"},
	{"sid"},
	{"sid="},
	{"sid==abc"},
	{"sid=abc=def"},
	{"sid=\x7f; sid=ok"},
	{"sid=\x00abc"},
	{"sid=é"},
	{"sid=\r\nabc"},
	{"sid=abc\r"},
	{"other=1", "sid=second-line"},
	{"sid=bad\\", "sid=good"},
	{"other=1; sid=abc", "sid=def"},
	{strings.Repeat("a=1;", 99) + "sid=abc"},
	{strings.Repeat("a=1;", 100) + "sid=abc"},
	{strings.Repeat("a=1;", 3000) + "sid=abc"},
	{strings.Repeat("a=1;", 60), strings.Repeat("b=2;", 60) + "sid=abc"},
	{"sid=" + strings.Repeat("x", 8192)},
}

// TestCookieValueAsNetHTTP: for every hostile header and every name asked
// (the guard's cookie names among them), HTTPExchange.Cookie answers what
// Request.Cookie does.
func TestCookieValueAsNetHTTP(t *testing.T) {
	names := []string{"sid", "SID", "other", "__Host-session", "__Secure-refresh", "a", "b", "", "s d", "sid;", "é"}
	for _, lines := range hostileCookies {
		for _, name := range names {
			want, wantOK := netHTTPCookie(lines, name)
			r := httptest.NewRequest("GET", "/", nil)
			r.Header["Cookie"] = lines
			got, ok := HTTPExchange{R: r}.Cookie(name)
			if got != want || ok != wantOK {
				t.Errorf("Cookie(%q) on %q = %q, %v; net/http says %q, %v", name, clip(lines), got, ok, want, wantOK)
			}
		}
	}
}

func clip(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if len(l) > 60 {
			l = l[:60] + "…"
		}
		out[i] = l
	}
	return out
}

// FuzzCookieValue: cookieValue never disagrees with Request.Cookie, for
// any header and any cookie name.
func FuzzCookieValue(f *testing.F) {
	for _, lines := range hostileCookies {
		f.Add(strings.Join(lines, "\n"), "sid")
	}
	f.Add("__Host-session=abc", "__Host-session")
	f.Fuzz(func(t *testing.T, header, name string) {
		lines := strings.Split(header, "\n")
		want, wantOK := netHTTPCookie(lines, name)
		r := &http.Request{Header: http.Header{"Cookie": lines}}
		got, ok := requestCookie(r, name)
		if got != want || ok != wantOK {
			t.Fatalf("Cookie(%q) on %q = %q, %v; net/http says %q, %v", name, lines, got, ok, want, wantOK)
		}
	})
}

// TestCookieLookupAllocatesNothing: finding the session cookie among a
// browser's few cookies builds nothing (Request.Cookie builds every pair
// it passes: 2 allocations here).
func TestCookieLookupAllocatesNothing(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "theme=dark; __Host-session=abcdefghijklmnop; lang=en")
	x := HTTPExchange{R: r}
	if v, ok := x.Cookie("__Host-session"); !ok || v != "abcdefghijklmnop" {
		t.Fatalf("Cookie = %q, %v", v, ok)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = x.Cookie("__Host-session") }); n != 0 {
		t.Fatalf("Cookie allocates %.0f times per call, want 0", n)
	}
}
