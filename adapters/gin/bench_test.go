package authgin_test

import (
	"testing"

	"github.com/authkit-go/authkit/core/authtest"
)

func BenchmarkMiddleware(b *testing.B) { authtest.RunBenchmarks(b, factory) }
