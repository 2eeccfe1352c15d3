package session_test

import (
	"testing"

	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/session/storetest"
)

// BenchmarkMemoryStore is a request's session work on the memory store.
func BenchmarkMemoryStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) session.Store { return memoryStore(b) })
}

// BenchmarkParseID is the cost of refusing or accepting a cookie value.
func BenchmarkParseID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := session.ParseID(validID); err != nil {
			b.Fatal(err)
		}
	}
}
