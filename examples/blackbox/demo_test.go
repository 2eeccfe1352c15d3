package blackbox

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// TestDemoServer runs the browser demo's binary as `make run` does: it
// prints the address to open in a browser and serves the pages and the
// JSON API on one server, on memory stores, or on Redis with REDIS_URL,
// where an account made through a page survives a restart and the pages
// say where the accounts are kept.
func TestDemoServer(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		s := start(t, "demo", memoryEnv)
		demoBanner(t, s, "memory")
		if a := s.get(t, "/signin"); a.Status != 200 || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/html") || !strings.Contains(a.Body, "kept in memory") {
			t.Fatalf("GET /signin: %d %s %.300s", a.Status, a.Header.Get("Content-Type"), a.Body)
		}
		reg, err := http.NewRequest("POST", s.URL+"/register", strings.NewReader(creds("erin", goodPass)))
		if err != nil {
			t.Fatal(err)
		}
		reg.Header.Set("Content-Type", "application/json")
		if a := demoDo(t, reg); a.Status != http.StatusCreated || a.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("POST /register on the demo's server: %d %s %s", a.Status, a.Header.Get("Content-Type"), a.Body)
		}
		if cookie := demoSignIn(t, s, "erin"); cookie == "" {
			t.Fatal("the sign-in form did not sign in an account made through the JSON API")
		}
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		env, prefix := redisEnv(t)
		s1 := start(t, "demo", env)
		demoBanner(t, s1, "redis")
		form := url.Values{"username": {"erin"}, "email": {""}, "password": {goodPass}}
		if a := demoForm(t, s1, "/signup", form, ""); a.Status != http.StatusSeeOther || !strings.HasPrefix(a.Header.Get("Location"), "/signin?done=registered") {
			t.Fatalf("the sign-up form: %d %s %.300s", a.Status, a.Header.Get("Location"), a.Body)
		}
		if n, err := redistest.Client(t).Exists(context.Background(), prefix+"user:erin").Result(); err != nil || n != 1 {
			t.Fatalf("the account is not in Redis under %s: %d %v", prefix, n, err)
		}
		s1.Stop()
		s2 := start(t, "demo", env)
		cookie := demoSignIn(t, s2, "erin")
		if cookie == "" {
			t.Fatal("the account made before the restart does not sign in")
		}
		home := demoGet(t, s2, "/", cookie)
		if home.Status != 200 || !strings.Contains(home.Body, "Signed in as erin") || !strings.Contains(home.Body, "kept in Redis") {
			t.Fatalf("home after the restart: %d %.600s", home.Status, home.Body)
		}
	})
}

// demoBanner waits for the start-up message to name the address to open
// and the stores.
func demoBanner(t *testing.T, s *Server, stores string) {
	t.Helper()
	want := "open " + s.URL + "/ in a browser"
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.Logs(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not print %q; its log:\n%s", want, s.Logs())
		}
	}
	if !strings.Contains(s.Logs(), "stores="+stores) {
		t.Fatalf("the demo is not on %s stores; its log:\n%s", stores, s.Logs())
	}
}

// demoForm posts form to a page of the demo as a browser on the demo's
// own origin does, without following the redirect.
func demoForm(t *testing.T, s *Server, path string, form url.Values, cookie string) Answer {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	return demoDo(t, req)
}

func demoGet(t *testing.T, s *Server, path, cookie string) Answer {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Cookie", cookie)
	return demoDo(t, req)
}

// demoDo sends req and returns the answer itself, never a redirect's
// target.
func demoDo(t *testing.T, req *http.Request) Answer {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: b.String()}
}

// demoSignIn signs username in through the sign-in form and returns the
// session cookie ("name=value"), "" when the form did not sign in.
func demoSignIn(t *testing.T, s *Server, username string) string {
	t.Helper()
	a := demoForm(t, s, "/signin", url.Values{"username": {username}, "password": {goodPass}}, "")
	if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/" {
		t.Logf("the sign-in form: %d %s %.300s", a.Status, a.Header.Get("Location"), a.Body)
		return ""
	}
	for _, c := range (&http.Response{Header: a.Header}).Cookies() {
		if strings.HasSuffix(c.Name, "session") && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}
