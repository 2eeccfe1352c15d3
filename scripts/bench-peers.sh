#!/usr/bin/env bash
# Runs the peer comparisons of bench/ (one test binary, BENCHCOUNT rounds of
# every benchmark, so that authkit and each peer see the same machine load)
# and summarises them with
# benchstat: medians with confidence intervals, then the ratios authkit/peer
# and what authkit's headers add over the bare framework and over a hand-written
# middleware setting the same fields.
#
#   BENCH=regexp       which benchmarks (default: all of bench/)
#   BENCHTIME=1s       go test -benchtime
#   BENCHCOUNT=10      rounds (benchstat wants >= 6 for its intervals)
#   BENCH_OUT=file     keep the raw output there (default: a temporary file)
#   BENCH_IN=file      summarise that saved output instead of running
#   BENCHSTAT=pkg@ver  the benchstat to `go run`
#
# Raw benchmark lines go to stderr as they come, the summary to stdout. The
# Redis benchmarks use REDIS_URL (make bench-peers finds or starts one).
set -euo pipefail
case "${1:-}" in
  -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  "") ;;
  *) echo "bench-peers: unexpected argument $1 (see --help)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
BENCH=${BENCH:-.}
BENCHTIME=${BENCHTIME:-1s}
BENCHCOUNT=${BENCHCOUNT:-10}
# golang.org/x/perf at a commit whose go.mod says go 1.25.0.
BENCHSTAT=${BENCHSTAT:-golang.org/x/perf/cmd/benchstat@v0.0.0-20260709024250-82a0b07e230d}

if [[ -n ${BENCH_IN:-} ]]; then
  out=$BENCH_IN
else
  out=${BENCH_OUT:-}
  if [[ -z $out ]]; then
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
  fi
  # One binary, run BENCHCOUNT times with -count 1: each round runs every
  # benchmark once, peer and authkit side by side, so a change in the
  # machine's load between rounds hits both alike (with -count N all N
  # runs of one benchmark would come before the next benchmark's).
  bin=$(mktemp -d)
  (cd bench && go test -c -o "$bin/bench.test" .)
  for _ in $(seq "$BENCHCOUNT"); do
    (cd bench && "$bin/bench.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem -test.benchtime "$BENCHTIME" -test.count 1)
  done | tee "$out" >&2
  rm -rf "$bin"
fi

benchstat() { GOWORK=off go run "$BENCHSTAT" "$@"; }
# section TITLE BENCHSTAT-ARGS...: prints the table when the filter matched.
section() {
  local title=$1; shift
  local table
  table=$(benchstat "$@" "run=$out" 2>/dev/null | sed '/^goos:\|^goarch:\|^pkg:\|^cpu:/d')
  if grep -q '^[A-Z]' <<<"$table"; then printf '\n## %s\n%s\n' "$title" "$table"; fi
}

grep -m1 '^cpu:' "$out" || true
echo "go: $(go env GOVERSION), GOMAXPROCS: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"

peers=(-col '/mw@(peer authkit)' -filter '.name:(Token OR Session)')
section "authkit against its peers (Token: fw=nethttp auth0/go-jwt-middleware, gin appleboy/gin-jwt, echo labstack/echo-jwt, fiber gofiber/contrib/jwt; Session: alexedwards/scs)" "${peers[@]}"
ratios=$(benchstat -format csv "${peers[@]}" "$out" 2>/dev/null | awk -v title="authkit/peer (medians)" -f bench/ratios.awk)
[[ -n $ratios ]] && printf '\n## Ratios\n%s\n' "$ratios"

section "Security headers only, against the bare framework and a hand-written middleware setting the same fields (fields)" \
  -col '/mw@(bare fields headers)' -filter '.name:Headers'
# over A B TITLE: the medians' difference B − A of the Headers rows.
over() {
  benchstat -format csv -col "/mw@($1 $2)" -filter '.name:Headers' "$out" 2>/dev/null |
    awk -v title="$3" -v mode=diff -f bench/ratios.awk
}
added=$(over bare headers "headers − bare (medians)")
floor=$(over bare fields "fields − bare (medians)")
own=$(over fields headers "headers − fields (medians)")
[[ -n $added ]] && printf '\n## What the headers add\n%s\n\n%s\n\n%s\n' "$added" "$floor" "$own"

section "Rate limiting" -filter '.name:(MemoryOneKey OR MemoryManyKeysParallel OR Redis)'
exit 0
