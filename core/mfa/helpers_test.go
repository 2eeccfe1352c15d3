package mfa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/mfa/redisstore"
)

var ctx = context.Background()

// storeKind makes one kind of store for a test; every Manager test runs on
// each. A Redis store decides locks on now (the fixture's clock), or on the
// server's TIME when now is nil.
type storeKind struct {
	name string
	new  func(t testing.TB, now func() time.Time) (mfa.Store, rawDump)
}

// rawDump returns every byte a store holds, for the plaintext checks.
type rawDump func(t testing.TB) []byte

var storeKinds = []storeKind{
	{"memory", func(testing.TB, func() time.Time) (mfa.Store, rawDump) {
		s := mfa.NewMemoryStore()
		return s, func(testing.TB) []byte { return mfa.DumpMemoryStore(s) }
	}},
	{"redis", func(t testing.TB, now func() time.Time) (mfa.Store, rawDump) {
		return newRedisStore(t, redistest.Client(t), now)
	}},
	{"cluster", func(t testing.TB, now func() time.Time) (mfa.Store, rawDump) {
		return newRedisStore(t, redistest.ClusterClient(t), now)
	}},
}

func newRedisStore(t testing.TB, c redis.UniversalClient, now func() time.Time) (mfa.Store, rawDump) {
	t.Helper()
	prefix := redistest.PrefixFor(t, c)
	s, err := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	return s, func(t testing.TB) []byte { return dumpRedis(t, c, prefix) }
}

// dumpRedis returns the names and values of every key under prefix, on
// every master of a Cluster.
func dumpRedis(t testing.TB, c redis.UniversalClient, prefix string) []byte {
	t.Helper()
	var out bytes.Buffer
	n := 0
	dump := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			n++
			out.WriteString(key)
			switch typ := c.Type(ctx, key).Val(); typ {
			case "hash":
				for f, v := range c.HGetAll(ctx, key).Val() {
					out.WriteString(f + "=" + v + "\n")
				}
			case "set":
				for _, v := range c.SMembers(ctx, key).Val() {
					out.WriteString(v + "\n")
				}
			case "string":
				out.WriteString(c.Get(ctx, key).Val())
			default:
				t.Errorf("key %q has unexpected type %q", key, typ)
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			return dump(ctx, c)
		})
	} else {
		err = dump(ctx, c.(*redis.Client))
	}
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no keys under the test prefix: the dump would prove nothing")
	}
	return out.Bytes()
}

// events collects audit events.
type events = audittest.Recorder

// kinds lists the kinds of the events e recorded, each with its reason
// after a slash when it has one.
func kinds(e *events) []string {
	var k []string
	for _, ev := range e.Events() {
		s := string(ev.Kind)
		if ev.Reason != "" {
			s += "/" + ev.Reason
		}
		k = append(k, s)
	}
	return k
}

var testKey = mfa.Key{ID: "k1", Secret: bytes.Repeat([]byte{0x42}, mfa.KeySize)}

func newKeyring(t testing.TB, keys ...mfa.Key) *mfa.Keyring {
	t.Helper()
	if len(keys) == 0 {
		keys = []mfa.Key{testKey}
	}
	k, err := mfa.NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixture is a Manager on one store with a fake clock and an event log.
type fixture struct {
	m      *mfa.Manager
	store  mfa.Store
	dump   rawDump
	clock  *testclock.Clock
	events *events
}

func newFixture(t testing.TB, kind storeKind, opts ...mfa.Option) *fixture {
	t.Helper()
	clock := testclock.New()
	store, dump := kind.new(t, clock.Now)
	return newFixtureOn(t, store, dump, newKeyring(t), clock, opts...)
}

// newFixtureOn is a fixture on store with clock as its Manager's clock.
func newFixtureOn(t testing.TB, store mfa.Store, dump rawDump, keys *mfa.Keyring, clock *testclock.Clock, opts ...mfa.Option) *fixture {
	t.Helper()
	f := &fixture{store: store, dump: dump, clock: clock, events: &events{}}
	opts = append([]mfa.Option{mfa.WithClock(f.clock.Now), mfa.WithAudit(f.events)}, opts...)
	m, err := mfa.New("Example Co", store, keys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	f.m = m
	return f
}

// code returns the code of secret at the fixture's time plus offset periods.
func (f *fixture) code(t testing.TB, secret string, offset int) string {
	t.Helper()
	b, err := mfa.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	p := f.m.Params()
	c, err := p.Code(b, f.clock.Now().Add(time.Duration(offset)*p.Period))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol enrols user and returns the secret and the recovery codes; the
// clock then stands one period after the confirming code's step.
func (f *fixture) enrol(t testing.TB, user string) (string, []string) {
	t.Helper()
	e, err := f.m.Enroll(ctx, user, user+"@example.com")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := f.m.Confirm(ctx, user, f.code(t, e.Secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(f.m.Params().Period)
	return e.Secret, codes
}

// newEnrolled is newFixture with alice enrolled and the event log empty.
func newEnrolled(t testing.TB, kind storeKind, opts ...mfa.Option) (f *fixture, secret string, codes []string) {
	t.Helper()
	f = newFixture(t, kind, opts...)
	secret, codes = f.enrol(t, "alice")
	f.events.Reset()
	return f, secret, codes
}

type rfc6238 struct {
	Secrets map[string]string
	Vectors []struct {
		Time      int64
		Algorithm string
		Code      string
	}
}

type rfc4226 struct {
	Secret string
	Codes  []string
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
