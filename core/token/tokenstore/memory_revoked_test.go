package tokenstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	"github.com/authkit-go/authkit/core/token/tokenstore/internal/check"
)

// populated returns a store holding n subjects "user-<i>", each with a
// live sign-in "fam-<i>" (gen 0), a revoked jti "old-<i>" and, for every
// other subject, a raised generation: the shape of a busy server.
func populated(tb testing.TB, n int) *tokenstore.MemoryStore {
	tb.Helper()
	clk := testclock.At(t0)
	m := tokenstore.NewMemoryStore(tokenstore.WithClock(clk.Now), tokenstore.WithMaxEntries(4*n))
	exp := t0.Add(time.Hour)
	for i := range n {
		sub := fmt.Sprint("user-", i)
		check.Err(tb, "revoke", m.RevokeToken(ctx, sub, fmt.Sprint("old-", i), exp), nil)
		if i%2 == 1 {
			check.Err(tb, "revoke subject", m.RevokeSubject(ctx, sub, time.Hour), nil)
		}
		if _, err := m.StartFamily(ctx, tokenstore.Family{ID: fmt.Sprint("fam-", i), Subject: sub, JTI: "r", Exp: exp}); err != nil {
			tb.Fatal(err)
		}
	}
	return m
}

// BenchmarkMemoryRevoked is the per-request check of a live access token
// (it carries a family; its subject has a revoked jti and a raised
// generation) on a store of 10,000 subjects.
func BenchmarkMemoryRevoked(b *testing.B) {
	m := populated(b, 10_000)
	const sub, jti, fam = "user-4243", "0f8fad5b-d9cb-469f-a165-70867728950e", "fam-4243"
	b.ReportAllocs()
	for b.Loop() {
		if revoked, err := m.Revoked(ctx, sub, jti, fam, 1); err != nil || revoked {
			b.Fatal(revoked, err)
		}
	}
}

// Revoked runs on every authenticated request: it must not allocate, for
// ids of any usual length.
func TestMemoryRevokedAllocs(t *testing.T) {
	m := populated(t, 1000)
	email := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 180) + ".example" // a long but valid address as subject
	check.Err(t, "revoke", m.RevokeToken(ctx, email, "j", t0.Add(time.Hour)), nil)
	tests := []struct {
		name          string
		sub, jti, fam string
		gen           uint64
	}{
		{"live token with a family", "user-401", "0f8fad5b-d9cb-469f-a165-70867728950e", "fam-401", 1},
		{"revoked jti", "user-401", "old-401", "fam-401", 1},
		{"earlier generation", "user-401", "j", "", 0},
		{"unknown family", "user-401", "j", "fam-402", 1},
		{"unknown subject", "nobody", "j", "", 0},
		{"long subject", email, "j", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, func() {
				_, _ = m.Revoked(ctx, tc.sub, tc.jti, tc.fam, tc.gen)
			}); n != 0 {
				t.Fatalf("Revoked allocates %v times per call, want 0", n)
			}
		})
	}
}

// Keys of different kinds, or ids a byte apart, never stand for one
// another: each revocation below revokes exactly what it names.
func TestMemoryKeysDoNotCollide(t *testing.T) {
	exp := t0.Add(time.Hour)
	long := strings.Repeat("s", 4096)
	tests := []collisionCase{
		{"jtis a byte apart", func(t *testing.T, m *tokenstore.MemoryStore) {
			check.Err(t, "revoke", m.RevokeToken(ctx, "alice", "jti-a", exp), nil)
		}, []query{{"alice", "jti-a", ""}}, []query{{"alice", "jti-b", ""}, {"alice", "jti-A", ""}, {"alicf", "jti-a", ""}}},
		{"jtis that are prefixes of one another", func(t *testing.T, m *tokenstore.MemoryStore) {
			check.Err(t, "revoke", m.RevokeToken(ctx, "alice", "jti", exp), nil)
		}, []query{{"alice", "jti", ""}}, []query{{"alice", "jt", ""}, {"alice", "jti0", ""}, {"alic", "ejti", ""}, {"alicej", "ti", ""}}},
		{"subject and jti moved across the boundary", func(t *testing.T, m *tokenstore.MemoryStore) {
			check.Err(t, "revoke", m.RevokeToken(ctx, "ab", "c", exp), nil)
		}, []query{{"ab", "c", ""}}, []query{{"a", "bc", ""}, {"abc", "c", ""}}},
		{"a jti named like its subject is not the subject", func(t *testing.T, m *tokenstore.MemoryStore) {
			check.Err(t, "revoke", m.RevokeToken(ctx, "alice", "alice", exp), nil)
		}, []query{{"alice", "alice", ""}}, []query{{"alice", "j", ""}, {"alice", "bob", ""}}},
		{"a subject's generation is not a jti named like the subject", func(t *testing.T, m *tokenstore.MemoryStore) {
			check.Err(t, "revoke subject", m.RevokeSubject(ctx, "alice", time.Hour), nil)
		}, []query{{"alice", "j", ""}}, []query{{"j", "alice", ""}, {"alic", "e", ""}}},
		{"a jti named like a family is not the family", func(t *testing.T, m *tokenstore.MemoryStore) {
			check.Err(t, "start", check.Start(m, "f", "alice", "r", exp), nil)
			check.Err(t, "revoke", m.RevokeToken(ctx, "alice", "f", exp), nil)
		}, []query{{"alice", "f", ""}, {"alice", "f", "f"}}, []query{{"alice", "j", "f"}}},
		{"families a byte apart and prefixes", func(t *testing.T, m *tokenstore.MemoryStore) {
			for _, f := range []string{"fam", "fa", "fam0", "fan"} {
				check.Err(t, "start", check.Start(m, f, "alice", "r"+f, exp), nil)
			}
			check.Err(t, "revoke family", m.RevokeFamily(ctx, "alice", "fam"), nil)
		}, []query{{"alice", "j", "fam"}, {"alic", "j", "efam"}}, []query{{"alice", "j", "fa"}, {"alice", "j", "fam0"}, {"alice", "j", "fan"}}},
		{"a family is its subject's only", func(t *testing.T, m *tokenstore.MemoryStore) {
			check.Err(t, "start", check.Start(m, "f", "alice", "r", exp), nil)
		}, []query{{"alicf", "j", "f"}, {"alic", "j", "ef"}, {"alice", "j", "alice"}}, []query{{"alice", "j", "f"}, {"alicef", "j", ""}}},
		{"long ids a byte apart", func(t *testing.T, m *tokenstore.MemoryStore) {
			check.Err(t, "revoke", m.RevokeToken(ctx, long, long+"a", exp), nil)
			check.Err(t, "start", check.Start(m, long, long, "r", exp), nil)
		}, []query{{long, long + "a", ""}}, []query{{long, long + "b", long}, {long, long, long}, {long + "a", long, ""}, {long[1:], "s" + long + "a", ""}}},
	}
	// Every length up to 1 KiB, so ids on either side of any length limit
	// the store has are covered: (s^n, "j") is revoked; (s^(n-1), "sj"),
	// the same bytes split elsewhere, and (s^n j, "j") are not.
	var around, shifted []query
	for n := 1; n <= 1024; n++ {
		sub := strings.Repeat("s", n)
		around = append(around, query{sub, "j", ""})
		shifted = append(shifted, query{sub + "j", "j", ""})
		if n > 1 {
			shifted = append(shifted, query{sub[1:], "sj", ""})
		}
	}
	tests = append(tests, collisionCase{"ids of every length to 1 KiB", func(t *testing.T, m *tokenstore.MemoryStore) {
		for _, q := range around {
			check.Err(t, "revoke", m.RevokeToken(ctx, q.sub, q.jti, exp), nil)
		}
	}, around, shifted})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tokenstore.NewMemoryStore(tokenstore.WithClock(testclock.At(t0).Now))
			tc.setup(t, m)
			for _, q := range tc.revoked {
				if !q.revoked(t, m) {
					t.Errorf("Revoked(%.12q, %.12q, %.12q) = false, want true", q.sub, q.jti, q.fam)
				}
			}
			for _, q := range tc.live {
				if q.revoked(t, m) {
					t.Errorf("Revoked(%.12q, %.12q, %.12q) = true, want false", q.sub, q.jti, q.fam)
				}
			}
		})
	}
}

// collisionCase is a setup and the Revoked calls that must answer true
// (revoked) and false (live) after it.
type collisionCase struct {
	name          string
	setup         func(t *testing.T, m *tokenstore.MemoryStore)
	revoked, live []query
}

// An entry keeps its own copy of the ids: a caller reusing the buffer its
// ids were read from (fiber's request buffers, say) changes nothing stored.
func TestMemoryKeysOwnTheirIDs(t *testing.T) {
	m := tokenstore.NewMemoryStore(tokenstore.WithClock(testclock.At(t0).Now))
	buf := []byte("alice jti fam")
	sub, jti, fam := unsafe.String(&buf[0], 5), unsafe.String(&buf[6], 3), unsafe.String(&buf[10], 3)
	check.Err(t, "revoke", m.RevokeToken(ctx, sub, jti, t0.Add(time.Hour)), nil)
	check.Err(t, "start", check.Start(m, fam, sub, jti, t0.Add(time.Hour)), nil)
	copy(buf, "mallo xyz mal")
	check.Revoked(t, m, "alice", "jti", 0, true)
	check.Revoked(t, m, "mallo", "xyz", 0, false)
	if check.FamilyRevoked(t, m, "alice", "fam") {
		t.Error("the family's entry changed with the caller's buffer")
	}
	if !check.FamilyRevoked(t, m, "mallo", "mal") {
		t.Error("the caller's new bytes found a family")
	}
}

// query is one Revoked call, in generation 0.
type query struct{ sub, jti, fam string }

func (q query) revoked(t *testing.T, m *tokenstore.MemoryStore) bool {
	t.Helper()
	got, err := m.Revoked(ctx, q.sub, q.jti, q.fam, 0)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
