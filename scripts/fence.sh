#!/usr/bin/env bash
# Keeps the module boundaries: the core imports no web framework, no module
# outside core imports core's internal packages, and the peer libraries that
# bench/ compares with stay in bench/ (nothing imports bench, no other
# go.mod names a peer), and core/port and core/authkit stay leaves.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
frameworks='github.com/gin-gonic/|github.com/labstack/echo|github.com/gofiber/|github.com/valyala/fasthttp'
bad=$(cd core && go list -deps ./... | grep -E "^($frameworks)" || true)
if [[ -n "$bad" ]]; then echo "FAIL: core depends on a web framework:"; echo "$bad"; status=1; fi
for dir in adapters/* examples bench; do
  bad=$(cd "$dir" && go list -f '{{.ImportPath}}: {{join .Imports " "}} {{join .TestImports " "}}' ./... | grep -E 'authkit/core/internal' || true)
  if [[ -n "$bad" ]]; then echo "FAIL: $dir imports core/internal:"; echo "$bad"; status=1; fi
done
peers='github.com/(appleboy/gin-jwt|labstack/echo-jwt|gofiber/contrib|auth0/go-jwt-middleware|alexedwards/scs|ulule/limiter|go-redis/redis_rate|sethvargo/go-limiter|golang-jwt/jwt/v4)([/ ]|$)'
bad=$(git ls-files '*go.mod' | grep -v '^bench/' | xargs grep -lE "$peers" || true)
if [[ -n "$bad" ]]; then echo "FAIL: a bench/ peer library is required outside bench/:"; echo "$bad"; status=1; fi
for dir in core adapters/* examples oauthtest; do
  [[ -d $dir ]] || continue
  bad=$(cd "$dir" && go list -f '{{.ImportPath}}: {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | grep -E 'authkit-go/authkit/bench' || true)
  if [[ -n "$bad" ]]; then echo "FAIL: $dir imports the bench module:"; echo "$bad"; status=1; fi
done
# The port and the root errors are leaves: the standard library only, so
# that every feature package can import them and they import no feature.
for pkg in port authkit; do
  bad=$(cd core && go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "./$pkg" | grep -v "^github.com/authkit-go/authkit/core/$pkg\$" || true)
  if [[ -n "$bad" ]]; then echo "FAIL: core/$pkg must import the standard library only:"; echo "$bad"; status=1; fi
done
[[ $status -eq 0 ]] && echo "fence: ok"
exit $status
