package blackbox

import (
	"testing"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// memoryEnv keeps a server on memory stores even when the environment
// names a Redis for the Redis variants.
var memoryEnv = []string{"REDIS_URL="}

// redisEnv returns the environment that puts a server on the test Redis
// under a fresh key prefix, deleted when the test ends (skipping loudly, or
// failing under REQUIRE_REDIS=1, when no Redis answers).
func redisEnv(t *testing.T) (env []string, prefix string) {
	t.Helper()
	prefix = redistest.Prefix(t)
	return []string{"REDIS_URL=" + redistest.URL(), "AUTHKIT_REDIS_PREFIX=" + prefix}, prefix
}
