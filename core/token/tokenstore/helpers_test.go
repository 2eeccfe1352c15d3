package tokenstore_test

import (
	"context"

	"github.com/authkit-go/authkit/core/token/tokenstore/internal/check"
)

var (
	t0  = check.T0
	ctx = context.Background()
)
