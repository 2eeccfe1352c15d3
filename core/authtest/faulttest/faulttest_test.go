package faulttest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/authtest/faulttest"
)

// Under every fault a call through New's client fails fast; Within
// accepts it once wrapped as unavailable; the client works again after.
func TestRunOnAClient(t *testing.T) {
	p, c := faulttest.New(t)
	faulttest.Run(t, p, faulttest.Cases, func(t *testing.T, ctx context.Context) {
		faulttest.Within(t, "PING", func() error {
			if err := c.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("%w: %w", authkit.ErrUnavailable, err)
			}
			return nil // a success under a fault: Within fails the test
		})
	}, func(ctx context.Context) error { return c.Ping(ctx).Err() })
}
