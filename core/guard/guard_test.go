package guard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func exchangeFor(r *http.Request) HTTPExchange {
	return HTTPExchange{W: httptest.NewRecorder(), R: r}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		remote  string
		xff     string
		want    string
	}{
		{"no proxies: peer, XFF ignored", nil, "198.51.100.1:5000", "203.0.113.9", "198.51.100.1"},
		{"untrusted peer: XFF ignored", []string{"10.0.0.0/8"}, "198.51.100.1:5000", "203.0.113.9", "198.51.100.1"},
		{"trusted peer: right-most untrusted hop", []string{"10.0.0.0/8"}, "10.0.0.2:5000", "203.0.113.9, 198.51.100.7, 10.0.0.5", "198.51.100.7"},
		{"trusted peer, forged left-most hop ignored", []string{"10.0.0.1"}, "10.0.0.1:5000", "1.2.3.4, 203.0.113.9", "203.0.113.9"},
		{"trusted peer, malformed hop stops the walk", []string{"10.0.0.0/8"}, "10.0.0.2:5000", "203.0.113.9, bogus", "10.0.0.2"},
		{"trusted peer, no XFF", []string{"10.0.0.0/8"}, "10.0.0.2:5000", "", "10.0.0.2"},
		{"IPv6 peer", nil, "[2001:db8::1]:443", "", "2001:db8::1"},
		{"IPv4-mapped peer is unmapped", nil, "[::ffff:192.0.2.1]:443", "", "192.0.2.1"},
		{"unparseable peer", nil, "pipe", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(WithTrustedProxies(tt.proxies...))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := g.ClientIP(exchangeFor(r)); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecure(t *testing.T) {
	g, _ := New(WithTrustedProxies("10.0.0.0/8"))
	tests := []struct {
		name   string
		url    string
		remote string
		xfp    string
		want   bool
	}{
		{"TLS connection", "https://example.com/", "198.51.100.1:1", "", true},
		{"plain, no header", "/", "198.51.100.1:1", "", false},
		{"plain, XFP from untrusted peer", "/", "198.51.100.1:1", "https", false},
		{"plain, XFP https from trusted proxy", "/", "10.1.2.3:1", "https", true},
		{"plain, XFP http from trusted proxy", "/", "10.1.2.3:1", "http", false},
		{"chained XFP: last hop counts", "/", "10.1.2.3:1", "https, http", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.url, nil)
			r.RemoteAddr = tt.remote
			if tt.xfp != "" {
				r.Header.Set("X-Forwarded-Proto", tt.xfp)
			}
			if got := g.Secure(exchangeFor(r)); got != tt.want {
				t.Errorf("Secure = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(WithTrustedProxies("10.0.0.0/33")); err == nil {
		t.Error("a bad CIDR was accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("Must did not panic on an error")
		}
	}()
	Must(New(WithTrustedProxies("nope")))
}

func TestAuthorize(t *testing.T) {
	user := Principal{Subject: "u1", Roles: []string{"user"}, Scopes: []string{"read"}, AMR: []string{"pwd"}}
	admin := Principal{Subject: "a1", Roles: []string{"admin"}, Scopes: []string{"read", "write"}, AMR: []string{"pwd", "otp"}}
	tests := []struct {
		name          string
		p             *Principal
		rules         []Rule
		wantStatus    int // 0: allowed
		wantChallenge string
	}{
		{"no rules, anonymous", nil, nil, 0, ""},
		{"authenticated, anonymous", nil, []Rule{Authenticated()}, 401, "Bearer"},
		{"authenticated, user", &user, []Rule{Authenticated()}, 0, ""},
		{"role, missing", &user, []Rule{Role("admin")}, 403, ""},
		{"role, any of", &user, []Rule{Role("admin", "user")}, 0, ""},
		{"scope, missing", &user, []Rule{Scope("read", "write")}, 403, `Bearer error="insufficient_scope", scope="read write"`},
		{"scope, present", &admin, []Rule{Scope("read", "write")}, 0, ""},
		{"mfa, missing", &user, []Rule{MFA()}, 403, ""},
		{"mfa, present", &admin, []Rule{MFA()}, 0, ""},
		{"first failing rule wins", &user, []Rule{Authenticated(), Role("admin"), MFA()}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.p != nil {
				r = r.WithContext(WithPrincipal(r.Context(), *tt.p))
			}
			rec := httptest.NewRecorder()
			d := Authorize(HTTPExchange{W: rec, R: r}, tt.rules...)
			if tt.wantStatus == 0 {
				if d != nil {
					t.Fatalf("denied with %d: %s", d.Status, d.Body)
				}
				return
			}
			if d == nil || d.Status != tt.wantStatus {
				t.Fatalf("denial = %+v, want status %d", d, tt.wantStatus)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if got := rec.Header().Get("Content-Type"); got != ProblemContentType {
				t.Errorf("Content-Type = %q", got)
			}
			var body map[string]any
			if err := json.Unmarshal(d.Body, &body); err != nil || body["status"] != float64(tt.wantStatus) {
				t.Errorf("body %s is not a problem with status %d (%v)", d.Body, tt.wantStatus, err)
			}
		})
	}
}

func TestProblemExtensionsNeverReplaceStandardMembers(t *testing.T) {
	p := NewProblem(400, "urn:x", "bad").With("status", 200).With("errors", []string{"e"})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"detail":"bad","errors":["e"],"status":400,"title":"Bad Request","type":"urn:x"}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestPrincipalContext(t *testing.T) {
	if _, ok := PrincipalFrom(context.Background()); ok {
		t.Fatal("empty context has a principal")
	}
	ctx := WithPrincipal(context.Background(), Principal{Subject: "s", Via: ViaToken})
	if p, ok := PrincipalFrom(ctx); !ok || p.Subject != "s" || p.Via != ViaToken {
		t.Errorf("PrincipalFrom = %+v, %v", p, ok)
	}
}

// FuzzClientIP feeds arbitrary peer addresses and forwarding headers to the
// client-IP and scheme logic: it must never panic, and what it returns is
// empty or a parseable address.
func FuzzClientIP(f *testing.F) {
	for _, seed := range [][3]string{
		{"10.0.0.2:5000", "203.0.113.9, 198.51.100.7", "https"},
		{"[2001:db8::1]:443", "::1", "http, https"},
		{"pipe", ",,,", ""},
		{"10.0.0.2", "1.2.3.4,bogus,5.6.7.8", "HTTPS"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	g, err := New(WithTrustedProxies("10.0.0.0/8", "::1"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, remote, xff, xfp string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header["X-Forwarded-For"] = []string{xff}
		r.Header["X-Forwarded-Proto"] = []string{xfp}
		x := exchangeFor(r)
		if ip := g.ClientIP(x); ip != "" {
			if _, err := netip.ParseAddr(ip); err != nil {
				t.Fatalf("ClientIP returned %q, not an address", ip)
			}
		}
		_ = g.Secure(x)
	})
}
