package bench

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/redis/go-redis/v9"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/token"
)

// The session benchmarks run on net/http, where alexedwards/scs lives:
//
//	op=read   GET /read: the session is loaded, the handler reads the user
//	op=write  POST /write: the handler also changes a value, so the session
//	          is saved as well
//
// scs is set up with authkit's session defaults (30 min idle timeout, 12 h
// lifetime, Secure HttpOnly SameSite=Lax cookie). With an idle timeout scs
// saves the session on every request, reads included: that is how it
// slides the expiry (authkit rewrites LastSeen at most once a minute).
const (
	sessionIdle     = 30 * time.Minute
	sessionLifetime = 12 * time.Hour
)

// sessionApp is one session library behind /login, /read and /write.
type sessionApp struct {
	h          http.Handler
	cookieName string
}

func authkitSessions(k *kit) sessionApp {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if _, err := guard.SignIn(r.Context(), guard.Principal{Subject: benchSubject, Roles: []string{"user"}, AMR: []string{"pwd"}}); err != nil {
			http.Error(w, "sign-in failed", http.StatusServiceUnavailable)
		}
	})
	authed := authhttp.Require(guard.Authenticated())
	mux.Handle("GET /read", authed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := authhttp.Principal(r)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(meBody(p.Subject))
	})))
	n := 0
	mux.Handle("POST /write", authed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := authhttp.Session(r)
		n++ // a new value each time, so every request saves
		if err := s.Set("n", n); err != nil {
			http.Error(w, "session", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(meBody(s.UserID()))
	})))
	return sessionApp{h: authhttp.FromGuard(k.guard)(mux), cookieName: k.sessions.CookieName()}
}

func scsSessions(store scs.Store) sessionApp {
	sm := scs.New()
	sm.Store = store
	sm.IdleTimeout, sm.Lifetime = sessionIdle, sessionLifetime
	sm.Cookie.Secure, sm.Cookie.HttpOnly, sm.Cookie.SameSite = true, true, http.SameSiteLaxMode
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.RenewToken(r.Context()); err != nil { // a new id at sign-in, as authkit rotates
			http.Error(w, "sign-in failed", http.StatusServiceUnavailable)
			return
		}
		sm.Put(r.Context(), "user", benchSubject)
	})
	user := func(w http.ResponseWriter, r *http.Request) (string, bool) {
		u := sm.GetString(r.Context(), "user")
		if u == "" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		}
		return u, u != ""
	}
	mux.HandleFunc("GET /read", func(w http.ResponseWriter, r *http.Request) {
		if u, ok := user(w, r); ok {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(meBody(u))
		}
	})
	n := 0
	mux.HandleFunc("POST /write", func(w http.ResponseWriter, r *http.Request) {
		if u, ok := user(w, r); ok {
			n++
			sm.Put(r.Context(), "n", n)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(meBody(u))
		}
	})
	return sessionApp{h: sm.LoadAndSave(mux), cookieName: sm.Cookie.Name}
}

// signedIn logs in through app and returns the server for op's request
// carrying the session cookie, after checking that it answers 200 and that
// the same request with an unknown session id answers 401.
func signedIn(b testing.TB, app sessionApp, op string) server {
	b.Helper()
	login := httptest.NewRecorder()
	app.h.ServeHTTP(login, httptest.NewRequest(http.MethodPost, "/login", nil))
	var cookie string
	for _, c := range login.Result().Cookies() {
		if c.Name == app.cookieName {
			cookie = c.Value
		}
	}
	if login.Code != http.StatusOK || cookie == "" {
		b.Fatalf("POST /login: %d, cookie %q", login.Code, cookie)
	}
	req := httptest.NewRequest(http.MethodGet, "/read", nil)
	if op == "write" {
		req = httptest.NewRequest(http.MethodPost, "/write", nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin") // passes authkit's origin check
	}
	req.Header.Set("Cookie", app.cookieName+"="+cookie)
	srv := newHTTPServer(app.h, req)
	mustAnswer(b, op+" with the session", srv, http.StatusOK, benchSubject)
	// Another id of the same shape (43 base64url characters for both).
	srv.setHeader("Cookie", app.cookieName+"="+strconv.Itoa(1e9)+cookie[10:])
	mustAnswer(b, op+" with an unknown session", srv, http.StatusUnauthorized, "")
	srv.setHeader("Cookie", app.cookieName+"="+cookie)
	return srv
}

// BenchmarkSession compares authkit's sessions (net/http adapter, the
// examples' guard) with alexedwards/scs, on memory and on Redis stores.
// On Redis, roundtrips/op counts the commands sent per request.
func BenchmarkSession(b *testing.B) {
	for _, store := range []string{"memory", "redis"} {
		for _, op := range []string{"read", "write"} {
			for _, mw := range []string{mwPeer, mwAuthkit} {
				b.Run("store="+store+"/op="+op+"/mw="+mw, func(b *testing.B) {
					var rc *redis.Client
					var rt *redistest.RoundTrips
					if store == "redis" {
						rc, rt = redisClient(b)
					}
					var app sessionApp
					switch {
					case mw == mwAuthkit:
						app = authkitSessions(newKit(b, token.HS256, rc))
					case rc != nil:
						app = scsSessions(goredisstore.NewWithPrefix(rc, redistest.Prefix(b)+"scs:"))
					default:
						app = scsSessions(memstore.New())
					}
					srv := signedIn(b, app, op)
					if rt != nil {
						rt.Reset()
					}
					measure(b, srv)
					if rt != nil {
						b.ReportMetric(float64(rt.Count())/float64(b.N), "roundtrips/op")
					}
				})
			}
		}
	}
}
