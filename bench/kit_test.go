package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// The claims every benchmark token carries. auth0's validator requires an
// issuer and an audience, so the authkit issuer sets both (and checks them,
// work the example servers' issuer does not do).
const (
	benchIssuer   = "https://auth.bench.example"
	benchAudience = "bench-api"
	benchSubject  = "alice"
)

// kit is authkit set up as the example servers set it up
// (examples/internal/app: New): a memory session store and a memory token
// store behind guard.WithSessions, guard.WithTokens, guard.WithAudit and
// guard.WithRefreshCookie, default security headers and origin check; plus the key material a peer
// needs to verify the same tokens.
type kit struct {
	alg      token.Algorithm
	issuer   *token.Issuer
	sessions *session.Manager
	guard    *guard.Guard
	// headersOnly is guard.New() with no options: the security headers.
	headersOnly *guard.Guard
	// fields are the response header fields headersOnly sets, for mwFields.
	fields    fieldList
	verifyKey any // HMAC secret ([]byte) or *ecdsa.PublicKey, for the peers
	pair      token.Pair
}

// newKit sets authkit up with memory stores, or with Redis stores on rc
// (under a per-test prefix) as the examples do with REDIS_URL.
func newKit(b testing.TB, alg token.Algorithm, rc *redis.Client) *kit {
	b.Helper()
	k := &kit{alg: alg}
	var key *token.Key
	var err error
	switch alg {
	case token.HS256:
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			b.Fatal(err)
		}
		k.verifyKey = secret
		key, err = token.NewHMACKey(secret, token.HS256, "bench-hs")
	case token.ES256:
		priv, gerr := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if gerr != nil {
			b.Fatal(gerr)
		}
		k.verifyKey = &priv.PublicKey
		key, err = token.NewKey(priv, token.ES256, "bench-es")
	default:
		b.Fatalf("no peer setup for %s", alg)
	}
	if err != nil {
		b.Fatal(err)
	}
	keys, err := token.NewKeySet(key)
	if err != nil {
		b.Fatal(err)
	}
	var tokStore tokenstore.Store = tokenstore.NewMemoryStore()
	sessOpts := []session.Option{session.WithAudit(audit.Discard)}
	if rc != nil {
		prefix := redistest.Prefix(b)
		if tokStore, err = tokenredis.New(rc, tokenredis.WithPrefix(prefix+"tok:")); err != nil {
			b.Fatal(err)
		}
		sessStore, err := sessionredis.New(rc, sessionredis.WithPrefix(prefix+"session:"))
		if err != nil {
			b.Fatal(err)
		}
		sessOpts = append(sessOpts, session.WithStore(sessStore))
	}
	k.issuer, err = token.NewIssuer(keys, token.WithStore(tokStore), token.WithAudit(audit.Discard),
		token.WithIssuer(benchIssuer), token.WithAudience(benchAudience))
	if err != nil {
		b.Fatal(err)
	}
	if k.sessions, err = session.New(sessOpts...); err != nil {
		b.Fatal(err)
	}
	k.guard, err = guard.New(guard.WithSessions(k.sessions), guard.WithTokens(k.issuer), guard.WithAudit(audit.Discard),
		guard.WithRefreshCookie("/token/refresh"))
	if err != nil {
		b.Fatal(err)
	}
	if k.headersOnly, err = guard.New(); err != nil {
		b.Fatal(err)
	}
	k.fields = fieldsOf(k.headersOnly)
	if k.pair, err = k.issuer.IssuePair(context.Background(), token.Subject{ID: benchSubject, Roles: []string{"user"}}); err != nil {
		b.Fatal(err)
	}
	return k
}

// bearer is the Authorization value for the kit's token.
func (k *kit) bearer() string { return "Bearer " + k.pair.AccessToken }

// forged is the kit's token with one character of its signature changed:
// every middleware must refuse it.
func (k *kit) forged() string {
	t := k.pair.AccessToken
	i := strings.LastIndexByte(t, '.') + 10
	c := byte('A')
	if t[i] == 'A' {
		c = 'B'
	}
	return "Bearer " + t[:i] + string(c) + t[i+1:]
}

// mint returns n fresh Authorization values, each a new access token of the
// kit's sign-in (one refresh each), so that no two requests carry the same
// token.
func (k *kit) mint(b testing.TB, n int) []string {
	b.Helper()
	vs := make([]string, n)
	for i := range vs {
		p, err := k.issuer.Refresh(context.Background(), k.pair.RefreshToken)
		if err != nil {
			b.Fatal(err)
		}
		k.pair = p
		vs[i] = "Bearer " + p.AccessToken
	}
	return vs
}

// meBody is the JSON every /me handler answers, built per request in every
// variant alike (one allocation).
func meBody(sub string) []byte {
	out := make([]byte, 0, len(`{"sub":""}`)+len(sub))
	out = append(out, `{"sub":"`...)
	out = append(out, sub...)
	return append(out, `"}`...)
}

// fieldList is response header fields prepared once: for a net/http header
// map, one-element values without spare capacity that every response
// shares; for fasthttp, bytes.
type fieldList []headerField

type headerField struct {
	name                  string
	value                 []string
	nameBytes, valueBytes []byte
}

// fieldsOf records the fields g sets on a response to a plain GET.
func fieldsOf(g *guard.Guard) fieldList {
	w := httptest.NewRecorder()
	authhttp.FromGuard(g)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).
		ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	var fl fieldList
	for name, v := range w.Header() {
		fl = append(fl, headerField{name, []string{v[0]}[:1:1], []byte(name), []byte(v[0])})
	}
	return fl
}

// set puts the fields on h without an allocation of its own.
func (fl fieldList) set(h http.Header) {
	for _, f := range fl {
		h[f.name] = f.value
	}
}
