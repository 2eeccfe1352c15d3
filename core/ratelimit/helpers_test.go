package ratelimit_test

import (
	"context"
	"errors"

	"github.com/authkit-go/authkit/core/ratelimit"
)

// downStore is a store whose backend is unreachable.
type downStore struct{}

func (downStore) Take(context.Context, []ratelimit.Request, []ratelimit.Result) error {
	return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}
