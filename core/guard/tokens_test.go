package guard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPresentedTokenHostile(t *testing.T) {
	g := &Guard{tokenCookie: "at"}
	tests := []struct {
		name       string
		header     string
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
		{name: "tab separator is another scheme", header: "Bearer\ta.b.c", wantOK: false},
		{name: "Basic is not ours", header: "Basic YTpi", wantOK: false},
		{name: "Bearerx is not bearer", header: "Bearerx a", wantOK: false},
		{name: "huge token passes the shape check", header: "Bearer " + strings.Repeat("a", 100000), wantRaw: strings.Repeat("a", 100000), wantOK: true},
		{name: "cookie only", cookie: ptr("a.b.c"), wantRaw: "a.b.c", wantOK: true},
		{name: "empty cookie", cookie: ptr(""), wantOK: false},
		{name: "header and cookie", header: "Bearer a.b.c", cookie: ptr("a.b.c"), wantStatus: 400},
		{name: "Basic header leaves the cookie in charge", header: "Basic YTpi", cookie: ptr("a.b.c"), wantRaw: "a.b.c", wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.header != "" {
				r.Header["Authorization"] = []string{tt.header}
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
	for _, seed := range []string{"Bearer a.b.c", "bearer x", "Bearer", "Bearer a b", "Basic x", "Bearer ==", "Bearer a=b=", ""} {
		f.Add(seed, "")
		f.Add(seed, "a.b.c")
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
		if ok && raw == "" {
			t.Fatal("accepted an empty token")
		}
	})
}
