package authhttp_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// A program that only wants the security headers (authhttp.Middleware()
// with no options, testdata/headersonly) links neither go-redis nor
// golang-jwt nor the rate limiter: the Redis stores live in their own packages
// (session/redisstore, tokenstore/redisstore) and the guard verifies bearer
// tokens through port.Authenticator, never core/token's types. go list
// -deps names every package the binary can link, so a module missing from
// it is missing from the binary.
func TestHeadersOnlyLinksNoRedisNorJWT(t *testing.T) {
	out, err := exec.Command(goTool(t), "list", "-deps", "./testdata/headersonly").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, want := range []string{"github.com/authkit-go/authkit/adapters/nethttp", "github.com/authkit-go/authkit/core/guard", "github.com/authkit-go/authkit/core/session"} {
		if !slices.Contains(deps, want) {
			t.Fatalf("go list -deps lacks %s, so it did not list the program: %q", want, deps)
		}
	}
	for _, dep := range deps {
		// Nor the rate limiter and x/text's Unicode tables behind its
		// username folding: the guard asks a port.RequestLimiter.
		for _, banned := range []string{"github.com/redis/go-redis", "github.com/golang-jwt/jwt", "github.com/authkit-go/authkit/core/token",
			"github.com/authkit-go/authkit/core/ratelimit", "golang.org/x/text"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("a headers-only program links %s", dep)
			}
		}
	}
}

// goTool returns the go command: go test puts its own toolchain's bin
// first on the PATH of the tests it runs.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to list the program's packages: %v", err)
	}
	return p
}
