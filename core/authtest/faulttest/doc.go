// Package faulttest is the harness of authkit's Redis fault tests: a proxy
// in front of the test Redis (redistest.Proxy) with a client that gives up
// quickly, the faults to inject, a runner that checks what the code under
// test does under each and how soon it recovers, and a goroutine leak
// check (go.uber.org/goleak). It lives apart from redistest so that the
// adapters' modules, whose conformance tests import redistest, do not
// depend on goleak.
//
//	func TestFaults(t *testing.T) {
//		p, c := faulttest.New(t)
//		store, _ := redisstore.New(c)
//		faulttest.Run(t, p, faulttest.Cases, func(t *testing.T, ctx context.Context) {
//			faulttest.Within(t, "Load", func() error { _, err := store.Load(ctx, ...); return err })
//		}, func(ctx context.Context) error { _, err := store.Load(ctx, ...); return err })
//	}
package faulttest
