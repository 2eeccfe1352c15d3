package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/strictjson"
	"github.com/authkit-go/authkit/core/token"
)

func TestLoadKeyPEM(t *testing.T) {
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, _ := x509.MarshalECPrivateKey(ec256)
	pub, _ := x509.MarshalPKIXPublicKey(&ec256.PublicKey)
	tests := []struct {
		name string
		pem  []byte
		want token.Algorithm
	}{
		{"P-256 PKCS#8", pkcs8(ec256), token.ES256},
		{"P-256 SEC 1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), token.ES256},
		{"Ed25519", pkcs8(ed), token.EdDSA},
		{"RSA PKCS#8", pkcs8(rsaKey), token.RS256},
		{"RSA PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), token.RS256},
		{"P-384", pkcs8(ec384), token.ES384},
		{"public key refused", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), ""},
		{"encrypted refused", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), ""},
		{"garbage refused", []byte("not a key"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := LoadKeyPEM(tt.pem)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("accepted, alg %s", k.Algorithm())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Algorithm() != tt.want || !k.CanSign() || k.KID() == "" {
				t.Fatalf("alg %s, can sign %v, kid %q; want %s, true, a thumbprint", k.Algorithm(), k.CanSign(), k.KID(), tt.want)
			}
		})
	}
}

func TestCanonicalUsername(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice", "alice", true},
		{"Alice.B_c-9", "alice.b_c-9", true},
		{"ab", "", false},
		{string(make([]byte, 65)), "", false},
		{"a b", "", false},
		{"ålice", "", false},
		{"a{b}", "", false},
		{"Alice+Test@Example.COM", "alice+test@example.com", true},
		{strings.Repeat("a", 128), strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), "", false},
		{"a:b", "", false},
		{"a/b", "", false},
	}
	for _, tt := range tests {
		got, ok := CanonicalUsername(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CanonicalUsername(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDecode(t *testing.T) {
	type in struct {
		A string `json:"a"`
	}
	tests := []struct {
		name     string
		body     string
		optional bool
		status   int // 0: accepted
	}{
		{"object", `{"a":"x"}`, false, 0},
		{"empty optional", ``, true, 0},
		{"empty required", ``, false, 400},
		{"array", `[1]`, false, 400},
		{"unknown field", `{"b":1}`, false, 400},
		{"wrong type", `{"a":1}`, false, 400},
		{"trailing", `{"a":"x"}{}`, false, 400},
		{"broken", `{"a":`, false, 400},
		{"too large", `{"a":"` + string(make([]byte, MaxBodyBytes)) + `"}`, false, 413},
		{"duplicate", `{"a":"x","a":"y"}`, false, 400},
		{"case-variant duplicate", `{"a":"x","A":"y"}`, false, 400},
		{"case variant alone", `{"A":"x"}`, false, 400},
		{"escaped name", `{"\u0061":"x"}`, false, 0},
		{"escaped case variant", `{"\u0041":"x"}`, false, 400},
		{"duplicate in a nested value", `{"a":"x","b":{"c":1,"C":2}}`, false, 400},
		{"BOM", "\ufeff{}", false, 400},
		{"deep", `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, false, 400},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", false, 400},
		{"whitespace only, optional", " \n", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v in
			bad := decode(Request{Body: []byte(tt.body), Header: jsonHeader}, &v, tt.optional)
			switch {
			case tt.status == 0 && bad != nil:
				t.Fatalf("refused: %+v", bad.Body)
			case tt.status != 0 && (bad == nil || bad.Status != tt.status):
				t.Fatalf("got %+v, want status %d", bad, tt.status)
			}
		})
	}
}

func jsonHeader(name string) string {
	if name == "Content-Type" {
		return "application/json"
	}
	return ""
}

func TestParseFlags(t *testing.T) {
	env := map[string]string{"REDIS_URL": "redis://x:6379/0", AppKeyEnv: "a2V5"}
	cfg, err := ParseFlags("t", []string{"-admin", "root", "-admin", "ops", "-insecure-cookies", "-dev-fast-hash", "-key", "k.pem", "-app-key", "app.key"}, io.Discard, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" || len(cfg.Admins) != 2 || !cfg.InsecureCookies || !cfg.DevFastHash || cfg.KeyFile != "k.pem" ||
		cfg.RedisURL != "redis://x:6379/0" || cfg.RedisPrefix != "authkit-example:t:" || cfg.AppKeyFile != "app.key" || cfg.AppKeyEnv != "a2V5" {
		t.Fatalf("cfg = %+v", cfg)
	}
	if _, err := ParseFlags("t", []string{"stray"}, io.Discard, func(string) string { return "" }); err == nil {
		t.Fatal("a stray argument was accepted")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Admins: []string{"no spaces"}},
		{KeyFile: "/does/not/exist.pem"},
		{RedisURL: "redis://127.0.0.1:1/0", RedisPrefix: "bad{prefix}"},
		{RedisURL: "not-a-url"},
	} {
		if a, err := New(cfg); err == nil {
			a.Close()
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

// testRedis returns the test Redis and a key prefix of the test's own,
// deleted afterwards (redistest skips, or fails under REQUIRE_REDIS=1, when
// no Redis answers).
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	return redistest.Client(t), redistest.Prefix(t)
}

// userStores makes each UserStore for a test: memory, Redis and a Redis
// Cluster.
var userStores = map[string]func(t *testing.T) UserStore{
	"memory": func(*testing.T) UserStore { return NewMemoryUserStore() },
	"redis": func(t *testing.T) UserStore {
		c, prefix := testRedis(t)
		return NewRedisUserStore(c, prefix+"user:")
	},
	"cluster": func(t *testing.T) UserStore {
		c := redistest.ClusterClient(t) // skips, or fails under REQUIRE_REDIS_CLUSTER=1, without a Cluster
		return NewRedisUserStore(c, redistest.PrefixFor(t, c)+"user:")
	},
}

func TestUserStores(t *testing.T) {
	for name, mk := range userStores {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			ctx := context.Background()
			if _, err := s.Get(ctx, "nobody"); !errors.Is(err, ErrNoUser) {
				t.Fatalf("Get(unknown) = %v, want ErrNoUser", err)
			}
			// Concurrent creates of one name: exactly one wins.
			var wins, taken atomic.Int32
			var wg sync.WaitGroup
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					switch err := s.Create(ctx, User{Name: "alice", Hash: "h1", Roles: []string{"admin"}}); {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, ErrUserExists):
						taken.Add(1)
					default:
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 || taken.Load() != 19 {
				t.Fatalf("%d creates won, %d were refused; want 1 and 19", wins.Load(), taken.Load())
			}
			u, err := s.Get(ctx, "alice")
			if err != nil || u.Hash != "h1" || len(u.Roles) != 1 || u.Roles[0] != "admin" {
				t.Fatalf("Get = %+v, %v", u, err)
			}
			// SetHash only replaces the hash that was verified.
			if err := s.SetHash(ctx, "alice", "stale", "h2"); err != nil {
				t.Fatal(err)
			}
			if err := s.SetHash(ctx, "alice", "h1", "h3"); err != nil {
				t.Fatal(err)
			}
			if u, _ := s.Get(ctx, "alice"); u.Hash != "h3" {
				t.Fatalf("hash = %q, want h3", u.Hash)
			}
		})
	}
}

func TestSharedKeySurvivesRestart(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		k1, err := sharedKey(ctx, b.Client, b.Prefix+"signing-key")
		if err != nil {
			t.Fatal(err)
		}
		k2, err := sharedKey(ctx, b.Client, b.Prefix+"signing-key")
		if err != nil {
			t.Fatal(err)
		}
		if k1.KID() != k2.KID() || k1.Algorithm() != token.ES256 {
			t.Fatalf("kids %q and %q, alg %s: want one ES256 key", k1.KID(), k2.KID(), k1.Algorithm())
		}
	})
}

func TestFallback(t *testing.T) {
	a, err := New(Config{DevFastHash: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if r := a.Fallback("/login"); r.Status != 405 || r.Header["Allow"] != "POST" {
		t.Fatalf("Fallback(/login) = %+v", r)
	}
	if r := a.Fallback("/nope"); r.Status != 404 {
		t.Fatalf("Fallback(/nope) = %+v", r)
	}
}

// TestStartupHidesRedisPassword runs the servers' start-up path with
// REDIS_URLs that go-redis cannot parse: the error names REDIS_URL and what
// is wrong, but never a byte of the password.
func TestStartupHidesRedisPassword(t *testing.T) {
	const secret = "S3cr3t-pw"
	for _, u := range []string{
		"redis://default:" + secret + "@127.0.0.1:notaport/0",  // url.Parse: invalid port
		"redis://default:" + secret + "/x@127.0.0.1:6379/0",    // '/' in the password: the host becomes "default:S3cr3t-pw"
		"redis://default:12/" + secret + "@127.0.0.1:6379",     // the password lands in the path
		"redis://default:" + secret + "@127.0.0.1:6379/notadb", // go-redis: invalid database number
		"rediz://default:" + secret + "@127.0.0.1:6379",        // go-redis: invalid scheme
		"redis://default:" + secret + "@[::1:6379",             // url.Parse: missing ']'
		"redis://default:p@" + secret + "@127.0.0.1:x",         // '@' in the password
		"%zz://default:" + secret + "@127.0.0.1",               // url.Parse: bad escape
		"redis://default:" + secret + "%zz@127.0.0.1",          // url.Parse: bad escape in the password
	} {
		t.Run(u, func(t *testing.T) {
			t.Setenv("REDIS_URL", u)
			var stderr strings.Builder
			code := Main("t", []string{"-addr", "127.0.0.1:0", "-dev-fast-hash"}, &stderr, func(*App, net.Listener) error {
				t.Fatal("the server started")
				return nil
			})
			out := stderr.String()
			if code != 1 || !strings.Contains(out, "REDIS_URL") {
				t.Fatalf("exit %d, stderr %q; want 1 and an error about REDIS_URL", code, out)
			}
			for _, part := range []string{secret, "S3cr3t", "3-pw"} {
				if strings.Contains(out, part) {
					t.Fatalf("stderr holds the password: %q", out)
				}
			}
		})
	}
}

// FuzzDecode: no body or Content-Type makes decode panic or answer
// anything but 400, 413 or 415; what it accepts, strictjson accepts, and
// only as application/json.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"username":"a","password":"b"}`), "application/json")
	f.Add([]byte(`{"username":"first","username":"last"}`), "application/json")
	f.Add([]byte(`{"USERNAME":"alice"}`), "application/json; charset=utf-8")
	f.Add([]byte(`{"username":"a"}`), "text/plain")
	f.Add([]byte(`{"username":"a"}`), "")
	f.Add([]byte(`{"username":"a"}`), "application/json;;")
	f.Add([]byte(" "), "")
	f.Add([]byte("\ufeff{}"), "application/json")
	f.Add([]byte(`{"username":`+strings.Repeat("[", 100)), "application/json")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		var in Credentials
		bad := decode(Request{Body: body, Header: func(string) string { return ct }}, &in, len(body)%2 == 0)
		if bad == nil {
			if len(bytes.TrimSpace(body)) > 0 && (!isJSON(ct) || strictjson.Unmarshal(body, &Credentials{}) != nil) {
				t.Fatalf("accepted %q as %q", body, ct)
			}
			return
		}
		switch bad.Status {
		case 400, 413, 415:
		default:
			t.Fatalf("decode(%q, %q) = %d", body, ct, bad.Status)
		}
	})
}

// An OAuth subject may hold any printable character, ":devices" included:
// an account so named must never share a key with another account's device
// set.
func TestRedisUserStoreDeviceKeysNeverMeetAccounts(t *testing.T) {
	ctx := context.Background()
	store := NewRedisUserStore(redistest.Client(t), redistest.Prefix(t))
	victim := User{Name: "oidc:abc:devices", Hash: "h"}
	if err := store.Create(ctx, victim); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.SeenDevice(ctx, "oidc:abc", "device-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, victim.Name)
	if err != nil || got.Hash != "h" {
		t.Fatalf("the account %q after another account's device was recorded: %+v, %v", victim.Name, got, err)
	}
}
