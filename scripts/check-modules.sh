#!/usr/bin/env bash
# Builds, vets and tests every module on its own (GOWORK=off), and fails when
# `go mod tidy` would change a go.mod or go.sum, or a go directive is above 1.25.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for mod in $(go list -m -f '{{.Dir}}'); do
  rel=${mod#"$PWD"/}
  echo "== $rel (GOWORK=off)"
  (
    cd "$mod"
    export GOWORK=off
    cp go.mod /tmp/authkit-gomod.$$; cp go.sum /tmp/authkit-gosum.$$ 2>/dev/null || : >/tmp/authkit-gosum.$$
    go mod tidy
    if ! cmp -s go.mod /tmp/authkit-gomod.$$ || ! cmp -s go.sum /tmp/authkit-gosum.$$; then
      echo "FAIL: go mod tidy changes $rel/go.mod or go.sum:"; git --no-pager diff -- go.mod go.sum
      cp /tmp/authkit-gomod.$$ go.mod; cp /tmp/authkit-gosum.$$ go.sum; exit 1
    fi
    grep -q '^go 1\.25\(\.[0-9]*\)\?$' go.mod || { echo "FAIL: $rel/go.mod must say go 1.25"; exit 1; }
    go build ./... && go vet ./... && go test -count=1 ./...
  ) || status=1
done
rm -f /tmp/authkit-gomod.$$ /tmp/authkit-gosum.$$
exit $status
