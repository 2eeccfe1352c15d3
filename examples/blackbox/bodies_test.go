package blackbox

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequestBodies checks, on all four servers, that request bodies are
// read strictly: a duplicate or case-variant member is a 400 and a body
// that is not sent as application/json a 415, both problem+json with the
// security headers; a request without a body needs no Content-Type.
func TestRequestBodies(t *testing.T) {
	for _, fw := range Frameworks {
		t.Run(fw, func(t *testing.T) {
			t.Parallel()
			s := start(t, fw, memoryEnv, "-dev-fast-hash")
			r := &run{t: t, s: s}
			r.expect("register alice", r.do("register alice", req{method: "POST", path: "/register", body: creds("alice", goodPass)}), 201)
			send := func(path, body, contentType string) Answer {
				t.Helper()
				hr, err := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if contentType != "" {
					hr.Header.Set("Content-Type", contentType)
				}
				a := s.do(t, hr)
				checkSecurityHeaders(t, fw+" POST "+path, a.Header)
				return a
			}
			for _, tt := range []struct {
				name, path, body, ct string
				want                 int
			}{
				{"duplicate member", "/register", `{"username":"first","username":"last","password":"` + goodPass + `"}`, "application/json", 400},
				{"case-variant duplicate", "/login", `{"username":"nosuchuser","USERNAME":"alice","password":"` + goodPass + `"}`, "application/json", 400},
				{"case variant alone", "/login", `{"USERNAME":"alice","password":"` + goodPass + `"}`, "application/json", 400},
				{"text/plain", "/login", creds("alice", goodPass), "text/plain", 415},
				{"no Content-Type", "/login", creds("alice", goodPass), "", 415},
				{"charset parameter", "/login", creds("alice", goodPass), "application/json; charset=utf-8", 200},
				{"no body, no Content-Type", "/token/refresh", "", "", 400},
			} {
				a := send(tt.path, tt.body, tt.ct)
				if a.Status != tt.want {
					t.Errorf("%s: %s: status %d, want %d; body %.200s", fw, tt.name, a.Status, tt.want, a.Body)
				}
				if a.Status >= 400 && a.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: %s: Content-Type %q, want application/problem+json", fw, tt.name, a.Header.Get("Content-Type"))
				}
			}
			// The duplicate registration registered nobody.
			for _, name := range []string{"first", "last"} {
				if a := send("/register", creds(name, goodPass), "application/json"); a.Status != 201 {
					t.Errorf("%s: register %s after the refused duplicate: %d, want 201", fw, name, a.Status)
				}
			}
		})
	}
}
