package guard

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// presentedCases is the hostile table of Authorization headers and token
// cookies, for TestPresentedTokenHostile and the seeds of
// FuzzPresentedToken.
var presentedCases = []struct {
	name       string
	header     string
	lines      []string // several Authorization field lines
	cookie     *string
	wantRaw    string
	wantOK     bool
	wantStatus int // 0: no denial
}{
	{name: "no header", wantOK: false},
	{name: "plain token", header: "Bearer abc.DEF-_~+/.x==", wantRaw: "abc.DEF-_~+/.x==", wantOK: true},
	{name: "lower-case scheme", header: "bearer a.b.c", wantRaw: "a.b.c", wantOK: true},
	{name: "several spaces", header: "Bearer   a.b.c", wantRaw: "a.b.c", wantOK: true},
	{name: "scheme only", header: "Bearer", wantStatus: 400},
	{name: "scheme and space", header: "Bearer ", wantStatus: 400},
	{name: "two tokens", header: "Bearer a b", wantStatus: 400},
	{name: "trailing space", header: "Bearer a ", wantStatus: 400},
	{name: "comma list", header: "Bearer a,Bearer b", wantStatus: 400},
	{name: "equals inside", header: "Bearer a=b", wantStatus: 400},
	{name: "only padding", header: "Bearer ==", wantStatus: 400},
	{name: "CR LF", header: "Bearer a\r\nX: y", wantStatus: 400},
	{name: "NUL", header: "Bearer a\x00b", wantStatus: 400},
	{name: "non-ASCII", header: "Bearer ä.b.c", wantStatus: 400},
	{name: "quoted", header: `Bearer "a.b.c"`, wantStatus: 400},
	// RFC 7235 §2.1: only SP separates the scheme from the token.
	{name: "tab separator", header: "Bearer\ta.b.c", wantStatus: 400},
	{name: "tab then space", header: "Bearer\t a.b.c", wantStatus: 400},
	{name: "comma separator", header: "Bearer,a.b.c", wantStatus: 400},
	{name: "NBSP separator", header: "Bearer\u00a0a.b.c", wantStatus: 400},
	{name: "NUL separator", header: "Bearer\x00a.b.c", wantStatus: 400},
	{name: "tab separator with a cookie", header: "Bearer\ta.b.c", cookie: ptr("a.b.c"), wantStatus: 400},
	{name: "Basic with a tab is not ours", header: "Basic\tYTpi", wantOK: false},
	{name: "Basic is not ours", header: "Basic YTpi", wantOK: false},
	{name: "Bearerx is not bearer", header: "Bearerx a", wantOK: false},
	{name: "huge token passes the shape check", header: "Bearer " + strings.Repeat("a", 100000), wantRaw: strings.Repeat("a", 100000), wantOK: true},
	{name: "cookie only", cookie: ptr("a.b.c"), wantRaw: "a.b.c", wantOK: true},
	{name: "empty cookie", cookie: ptr(""), wantOK: false},
	{name: "header and cookie", header: "Bearer a.b.c", cookie: ptr("a.b.c"), wantStatus: 400},
	{name: "Basic header leaves the cookie in charge", header: "Basic YTpi", cookie: ptr("a.b.c"), wantRaw: "a.b.c", wantOK: true},
	// RFC 9110 §11.6.2: Authorization is a singleton field.
	{name: "two lines, valid first", lines: []string{"Bearer a.b.c", "Bearer x"}, wantStatus: 400},
	{name: "two lines, valid second", lines: []string{"Bearer x", "Bearer a.b.c"}, wantStatus: 400},
	{name: "the same line twice", lines: []string{"Bearer a.b.c", "Bearer a.b.c"}, wantStatus: 400},
	{name: "Basic and Bearer lines", lines: []string{"Basic YTpi", "Bearer a.b.c"}, wantStatus: 400},
	{name: "two Basic lines", lines: []string{"Basic YTpi", "Basic YTpi"}, wantStatus: 400},
	{name: "an empty line and a token", lines: []string{"", "Bearer a.b.c"}, wantStatus: 400},
	{name: "two lines and a cookie", lines: []string{"Basic YTpi", "Basic YTpi"}, cookie: ptr("a.b.c"), wantStatus: 400},
}

func TestPresentedTokenHostile(t *testing.T) {
	g := &Guard{tokenCookie: "at"}
	for _, tt := range presentedCases {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.header != "" {
				r.Header["Authorization"] = []string{tt.header}
			}
			if tt.lines != nil {
				r.Header["Authorization"] = tt.lines
			}
			if tt.cookie != nil {
				r.Header.Set("Cookie", "at="+*tt.cookie)
			}
			raw, ok, bad := g.presentedToken(HTTPExchange{W: httptest.NewRecorder(), R: r})
			if tt.wantStatus != 0 {
				if bad == nil || bad.Status != tt.wantStatus {
					t.Fatalf("denial = %+v, want status %d", bad, tt.wantStatus)
				}
				return
			}
			if bad != nil {
				t.Fatalf("unexpected denial %+v", bad)
			}
			if ok != tt.wantOK || raw != tt.wantRaw {
				t.Errorf("got (%.20q, %v), want (%.20q, %v)", raw, ok, tt.wantRaw, tt.wantOK)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// FuzzPresentedToken feeds arbitrary Authorization headers and token
// cookies through the bearer extraction: it must never panic, and whatever
// it accepts must be one well-formed b64token.
func FuzzPresentedToken(f *testing.F) {
	for _, seed := range []string{"Bearer a.b.c", "bearer x", "Bearer", "Bearer a b", "Basic x", "Bearer ==", "Bearer a=b=", "", "Bearer\ta.b.c", "Bearer,a", "Bearer\u00a0a"} {
		f.Add(seed, "")
		f.Add(seed, "a.b.c")
	}
	for _, tt := range presentedCases {
		header, cookie := tt.header, ""
		if len(tt.lines) > 0 {
			header = tt.lines[len(tt.lines)-1]
		}
		if tt.cookie != nil {
			cookie = *tt.cookie
		}
		if len(header) < 4096 {
			f.Add(header, cookie)
		}
	}
	g := &Guard{tokenCookie: "at"}
	f.Fuzz(func(t *testing.T, header, cookie string) {
		r := httptest.NewRequest("GET", "/", nil)
		if header != "" {
			r.Header["Authorization"] = []string{header}
		}
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: "at", Value: cookie, Quoted: false})
		}
		raw, ok, bad := g.presentedToken(HTTPExchange{W: httptest.NewRecorder(), R: r})
		if bad != nil && (ok || bad.Status != http.StatusBadRequest) {
			t.Fatalf("denial %+v with ok=%v", bad, ok)
		}
		scheme, _, _ := strings.Cut(header, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && !isB64Token(raw) {
			t.Fatalf("accepted %q from a Bearer header, which is not a b64token", raw)
		}
		if bearer, _, _ := splitBearer(header); ok && cookie == "" && !bearer {
			t.Fatalf("accepted %q from a header without the Bearer scheme", raw)
		}
		if len(header) > 6 && strings.EqualFold(header[:6], "Bearer") && header[6] != ' ' && !isTChar(header[6]) && bad == nil {
			t.Fatalf("%q: a separator other than SP after the scheme was not refused", header)
		}
		if ok && raw == "" {
			t.Fatal("accepted an empty token")
		}
	})
}

// isB64Token is RFC 6750's b64token, checked against the grammar written
// as a regular expression: every byte alone, after a token character, and
// as padding.
func TestIsB64Token(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)
	for c := range 256 {
		b := string([]byte{byte(c)})
		for _, s := range []string{b, "a" + b, "a=" + b, b + "=="} {
			if got, want := isB64Token(s), re.MatchString(s); got != want {
				t.Errorf("isB64Token(%q) = %v, want %v", s, got, want)
			}
		}
	}
	for _, s := range []string{"", "=", "a==", "a.b.c", "a=b", "ab~+/-._==", "a b"} {
		if got, want := isB64Token(s), re.MatchString(s); got != want {
			t.Errorf("isB64Token(%q) = %v, want %v", s, got, want)
		}
	}
	// Every byte at every place of a 24-byte token, and the padding
	// starting at every place.
	for c := range 256 {
		for i := range 24 {
			s := []byte(strings.Repeat("aZ0-._~+/", 3)[:24])
			s[i] = byte(c)
			if got, want := isB64Token(string(s)), re.MatchString(string(s)); got != want {
				t.Errorf("isB64Token(%q) = %v, want %v", s, got, want)
			}
		}
	}
	for i := range 24 {
		s := strings.Repeat("x", i) + strings.Repeat("=", 24-i)
		if got, want := isB64Token(s), re.MatchString(s); got != want {
			t.Errorf("isB64Token(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzIsB64Token checks isB64Token against RFC 6750's grammar as a
// regular expression.
func FuzzIsB64Token(f *testing.F) {
	for _, s := range []string{"", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "abcdefgh=", "abcdefg\x80", "abcdefgh\x7f", "~~~~~~~~++++____"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isB64Token(s), re.MatchString(s); got != want {
			t.Fatalf("isB64Token(%q) = %v, want %v", s, got, want)
		}
	})
}

// BenchmarkIsB64Token checks a 430-byte token, an ES256 access token's
// length, as every bearer request does.
func BenchmarkIsB64Token(b *testing.B) {
	s := strings.Repeat("eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.", 11)[:430]
	b.ReportAllocs()
	for b.Loop() {
		if !isB64Token(s) {
			b.Fatal("refused")
		}
	}
}
