package tokenstore_test

import (
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/token/tokenstore"
	"github.com/authkit-go/authkit/core/token/tokenstore/storetest"
)

func newMemory(_ testing.TB, now func() time.Time) tokenstore.Store {
	return tokenstore.NewMemoryStore(tokenstore.WithClock(now))
}

// TestConformance runs the store suite on the memory store.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) tokenstore.Store { return newMemory(t, now) })
}

// BenchmarkMemoryStore measures the hot paths on the memory store.
func BenchmarkMemoryStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B, now func() time.Time) tokenstore.Store { return newMemory(b, now) })
}
