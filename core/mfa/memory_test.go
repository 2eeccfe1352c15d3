package mfa_test

import (
	"testing"

	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/mfa/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) mfa.Store { return mfa.NewMemoryStore() })
}
