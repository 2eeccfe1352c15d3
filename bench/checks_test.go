package bench

import (
	"testing"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/token"
)

// TestBenchmarkSetups makes, without timing anything, the checks every
// benchmark makes before it measures: each middleware lets the right
// request in (200) and refuses a bad one (401). `go test` runs it, so a
// peer upgrade that changes behaviour fails CI instead of turning a
// benchmark into a measurement of error pages.
func TestBenchmarkSetups(t *testing.T) {
	for _, fw := range frameworks {
		for _, alg := range []token.Algorithm{token.HS256, token.ES256} {
			for _, mw := range []string{mwPeer, mwAuthkit} {
				t.Run("token/fw="+fw.name+"/alg="+string(alg)+"/mw="+mw, func(t *testing.T) {
					k := newKit(t, alg, nil)
					srv := fw.build(t, mw, k, tokenRequest(k))
					checkToken(t, srv, k)
					// A fresh token of the same sign-in is accepted too.
					srv.setHeader("Authorization", k.mint(t, 1)[0])
					mustAnswer(t, "fresh token", srv, 200, benchSubject)
				})
			}
		}
		for _, mw := range []string{mwBare, mwFields, mwHeaders} {
			t.Run("headers/fw="+fw.name+"/mw="+mw, func(t *testing.T) {
				k := newKit(t, token.HS256, nil)
				checkHeaders(t, fw.build(t, mw, k, tokenRequest(k)), mw)
			})
		}
	}
	for _, store := range []string{"memory", "redis"} {
		for _, op := range []string{"read", "write"} {
			t.Run("session/store="+store+"/op="+op, func(t *testing.T) {
				var rc *redis.Client
				if store == "redis" {
					rc, _ = redisClient(t)
				}
				signedIn(t, authkitSessions(newKit(t, token.HS256, rc)), op)
				if rc != nil {
					signedIn(t, scsSessions(goredisstore.NewWithPrefix(rc, redistest.Prefix(t)+"scs:")), op)
				} else {
					signedIn(t, scsSessions(memstore.New()), op)
				}
			})
		}
	}
}
