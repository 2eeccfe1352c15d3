#!/usr/bin/env bash
# Keeps the module boundaries: the core imports no web framework, and no
# module outside core imports core's internal packages.
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
[[ $status -eq 0 ]] && echo "fence: ok"
exit $status
