package faulttest_test

import (
	"context"
	"testing"

	"github.com/authkit-go/authkit/core/authtest/faulttest"
)

// A store's fault test: every call fails as unavailable, within the
// budget, under each fault; the store works again once Redis heals.
func ExampleRun() {
	_ = func(t *testing.T) {
		p, c := faulttest.New(t) // the proxy and a client through it
		ping := func(ctx context.Context) error { return c.Ping(ctx).Err() }
		faulttest.Run(t, p, faulttest.Cases, func(t *testing.T, ctx context.Context) {
			// A store's calls here; each must fail with authkit.ErrUnavailable:
			// faulttest.Within(t, "Load", func() error { _, err := store.Load(ctx, ...); return err })
		}, ping)
	}
}
