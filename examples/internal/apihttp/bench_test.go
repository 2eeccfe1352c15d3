package apihttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/examples/internal/apihttp"
	"github.com/authkit-go/authkit/examples/internal/app"
)

// BenchmarkMe is the net/http example server's GET /me on memory stores,
// in process: the guard, the route's rules, the flow and its JSON, by
// bearer token and by session cookie (each response gets a fresh
// recorder, as net/http gives each a fresh header map). What `make load`
// measures over the network, without wrk and the kernel sharing the cores.
func BenchmarkMe(b *testing.B) {
	a, err := app.New(app.Config{DevFastHash: true, Audit: audit.Discard})
	if err != nil {
		b.Fatal(err)
	}
	h := authhttp.FromGuard(a.Guard())(apihttp.Mux(a))
	send := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return serve(h, r)
	}
	cred := `{"username":"loadtest","password":"Quiet-Harbor-Pw1-xyzzy"}`
	if w := send("POST", "/register", cred); w.Code != http.StatusCreated {
		b.Fatalf("register: %d %s", w.Code, w.Body)
	}
	w := send("POST", "/login", cred)
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.AccessToken == "" {
		b.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var cookie string
	for _, c := range w.Result().Cookies() {
		if c.Name == session.DefaultCookieName {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		b.Fatal("login set no session cookie")
	}
	for _, tc := range []struct{ name, header, value, via string }{
		{"bearer", "Authorization", "Bearer " + out.AccessToken, "token"},
		{"cookie", "Cookie", cookie, "session"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "http://127.0.0.1:8080/me", nil)
			r.Header.Set(tc.header, tc.value)
			if w := serve(h, r); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"via":"`+tc.via+`"`) {
				b.Fatalf("GET /me: %d %s", w.Code, w.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				if w := serve(h, r); w.Code != http.StatusOK {
					b.Fatalf("GET /me: %d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// serve sends r through h to a fresh recorder.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
