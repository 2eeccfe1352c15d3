#!/usr/bin/env bash
# Load test: wrk against each example server, on memory stores and on Redis,
# GET /me by bearer token and by session cookie, beside the same framework
# serving the same JSON without authkit (examples/internal/bare). Prints
# requests/s and the 99th-percentile latency of every case, and authkit's
# share of the bare framework's requests/s.
#
# A second floor, "fields", is the bare framework sending the same JSON with
# the response header fields authkit's answer carries beyond the bare one
# (the eight security headers, Vary), set as cheaply as the framework
# allows: "vs fields" is authkit's share of that, what is left once the
# framework's own cost of sending those fields is set aside.
#
# The cases run in rounds, one after the other within a round (bare, fields,
# bearer, cookie), so that a slow moment of the machine falls on all of them
# alike; each row is the median over the rounds, and each ratio the median
# of the rounds' own ratios (Redis rows: against the median bare).
#
# Everything runs on loopback (127.0.0.1), each case for a bounded time.
#
#   LOAD_SECONDS=5         seconds per measured case (after a 2 s warm-up)
#   LOAD_ROUNDS=3          rounds
#   LOAD_CONNECTIONS=32    wrk -c
#   LOAD_THREADS=2         wrk -t
#   LOAD_FRAMEWORKS="nethttp gin echo fiber"
#   REDIS_URL              the Redis for the Redis cases (make load finds or
#                          starts one); unset: memory stores only
#
# Needs wrk (Debian's package: apt-get install -y wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) echo "load: unexpected argument $1" >&2; usage >&2; exit 2 ;;
esac

for tool in wrk curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "load: $tool is not installed; install it with: apt-get install -y $tool (Debian/Ubuntu; brew install $tool on macOS)" >&2
    exit 1
  fi
done

seconds=${LOAD_SECONDS:-5}
rounds=${LOAD_ROUNDS:-3}
conns=${LOAD_CONNECTIONS:-32}
threads=${LOAD_THREADS:-2}
frameworks=${LOAD_FRAMEWORKS:-nethttp gin echo fiber}
[[ $seconds =~ ^[1-9][0-9]*$ && $seconds -le 600 ]] || { echo "load: LOAD_SECONDS must be 1..600" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ && $rounds -le 20 ]] || { echo "load: LOAD_ROUNDS must be 1..20" >&2; exit 2; }

dir=$(mktemp -d)
pids=()
run=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ -n ${REDIS_URL:-} ]] && command -v redis-cli >/dev/null 2>&1; then
    redis-cli -u "$REDIS_URL" --scan --pattern "authkit-load:$run:*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

echo "load: building the servers" >&2
for fw in $frameworks; do go build -o "$dir/$fw" "./examples/$fw"; done
go build -o "$dir/bare" ./examples/internal/bare

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((30000 + RANDOM % 2000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "load: no free port" >&2; return 1
}

# start NAME CMD...: starts a server in the background, waits for its port.
start() {
  local name=$1 port=$2; shift 2
  "$@" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then return 0; fi
    sleep 0.1
  done
  echo "load: $name did not start; its log:" >&2; cat "$dir/$name.log" >&2; return 1
}

# stop PID: stops a server start started.
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# expect STATUS URL CURL-ARGS...: fails the run unless the request answers STATUS.
expect() {
  local want=$1 url=$2; shift 2
  local got
  got=$(curl -s -o "$dir/body" -w '%{http_code}' "$@" "$url")
  if [[ $got != "$want" ]]; then
    echo "load: $url ${*:+($*) }answered $got, want $want: $(head -c 300 "$dir/body")" >&2
    exit 1
  fi
}

# measure URL [HEADER]: a warm-up, then the timed wrk run; sets rps and p99,
# and fails the run on any non-2xx answer or socket error.
measure() {
  local url=$1; shift
  local args=(-t "$threads" -c "$conns" --latency)
  [[ $# -gt 0 ]] && args+=(-H "$1")
  wrk "${args[@]}" -d 2s "$url" >/dev/null
  wrk "${args[@]}" -d "${seconds}s" "$url" >"$dir/wrk.out"
  if grep -q 'Non-2xx\|Socket errors' "$dir/wrk.out"; then
    echo "load: $url: wrk saw failures:" >&2; cat "$dir/wrk.out" >&2; exit 1
  fi
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$dir/wrk.out")
  # wrk prints the latency in us, ms or s: p99 is in ms.
  p99=$(awk '$1 == "99%" {v = $2; u = v; sub(/^[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    printf "%.2f", v * (u == "us" ? 0.001 : u == "s" ? 1000 : 1)}' "$dir/wrk.out")
  [[ -n $rps && -n $p99 ]] || { echo "load: cannot read wrk's output:" >&2; cat "$dir/wrk.out" >&2; exit 1; }
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

# median N...: the median of the numbers (the lower middle one of an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# record KEY RPS P99 [RATIO [FIELDS-RATIO]]: one round's result of case KEY.
declare -A rps_of p99_of ratio_of fratio_of
record() {
  rps_of[$1]+=" $2"; p99_of[$1]+=" $3"
  [[ -n ${4:-} ]] && ratio_of[$1]+=" $4"
  [[ -n ${5:-} ]] && fratio_of[$1]+=" $5"
  return 0
}

# authkit_case KEY HEADER: one round of authkit's /me with HEADER, recorded
# under KEY; on memory stores with its ratios to this round's floors (the
# Redis rows get theirs from the floors' medians, below).
authkit_case() {
  measure "$base/me" "$2"
  if [[ $store == memory ]]; then
    record "$1" "$rps" "$p99" "$(ratio "$rps" "$bare_rps")" "$(ratio "$rps" "$fields_rps")"
  else
    record "$1" "$rps" "$p99"
  fi
}

password="Load-Test-$run-Pw1"
user="load$run"
keys=()
stores=memory
[[ -n ${REDIS_URL:-} ]] && stores="memory redis"
[[ -z ${REDIS_URL:-} ]] && echo "load: REDIS_URL is not set: memory stores only" >&2

for fw in $frameworks; do
  bare=""
  for store in $stores; do
    port=$(free_port)
    base="http://127.0.0.1:$port"
    env=(env -u REDIS_URL)
    [[ $store == redis ]] && env=(env "REDIS_URL=$REDIS_URL" "AUTHKIT_REDIS_PREFIX=authkit-load:$run:$fw:")
    echo "load: $fw on $store stores, $rounds rounds" >&2
    start "$fw-$store" "$port" "${env[@]}" "$dir/$fw" -addr "127.0.0.1:$port" -dev-fast-hash
    server=${pids[-1]}
    expect 201 "$base/register" -X POST -H 'Content-Type: application/json' -d "{\"username\":\"$user\",\"password\":\"$password\"}"
    expect 200 "$base/login" -X POST -H 'Content-Type: application/json' -d "{\"username\":\"$user\",\"password\":\"$password\"}" -D "$dir/login.headers"
    token=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$dir/body")
    cookie=$(tr -d '\r' <"$dir/login.headers" | sed -n 's/^[Ss]et-[Cc]ookie: \(__Host-session=[^;]*\).*/\1/p' | tail -1)
    [[ -n $token && -n $cookie ]] || { echo "load: no token or session cookie from /login" >&2; exit 1; }
    expect 401 "$base/me"
    i=$((${#token} - 10)) # a character of the signature, changed
    forged=${token:0:i}$([[ ${token:i:1} == A ]] && echo B || echo A)${token:i+1}
    expect 401 "$base/me" -H "Authorization: Bearer $forged"
    expect 200 "$base/me" -H "Cookie: $cookie"
    expect 200 "$base/me" -H "Authorization: Bearer $token" -D "$dir/me.headers"
    body=$(cat "$dir/body")

    if [[ -z $bare ]]; then
      # The bare framework serves the very JSON /me answered by bearer;
      # "fields" also sends that answer's header fields that bare lacks.
      fields=()
      while IFS= read -r line; do
        case ${line%%:*} in
          [Dd]ate | [Cc]ontent-[Ll]ength | [Cc]ontent-[Tt]ype | [Cc]ache-[Cc]ontrol | "") ;;
          *) fields+=(-header "$line") ;;
        esac
      done < <(tr -d '\r' <"$dir/me.headers" | tail -n +2)
      bport=$(free_port)
      start "$fw-bare" "$bport" "$dir/bare" -fw "$fw" -addr "127.0.0.1:$bport" -body "$body"
      floors=("${pids[-1]}")
      fport=$(free_port)
      start "$fw-fields" "$fport" "$dir/bare" -fw "$fw" -addr "127.0.0.1:$fport" -body "$body" "${fields[@]}"
      floors+=("${pids[-1]}")
      bare="http://127.0.0.1:$bport/me" fieldsurl="http://127.0.0.1:$fport/me"
      expect 200 "$bare"
      [[ $(cat "$dir/body") == "$body" ]] || { echo "load: bare $fw answers another body" >&2; exit 1; }
      expect 200 "$fieldsurl" -D "$dir/fields.headers"
      [[ $(cat "$dir/body") == "$body" ]] || { echo "load: fields $fw answers another body" >&2; exit 1; }
      grep -qi '^X-Content-Type-Options: nosniff' "$dir/fields.headers" || { echo "load: fields $fw lacks the security headers" >&2; exit 1; }
      keys+=("$fw - bare" "$fw - fields")
    fi
    keys+=("$fw $store bearer" "$fw $store cookie")
    for _ in $(seq "$rounds"); do
      if [[ $store == memory ]]; then
        measure "$bare" "Authorization: Bearer $token"
        bare_rps=$rps
        record "$fw - bare" "$rps" "$p99" 1.00
        measure "$fieldsurl" "Authorization: Bearer $token"
        fields_rps=$rps
        record "$fw - fields" "$rps" "$p99" "$(ratio "$rps" "$bare_rps")"
      fi
      authkit_case "$fw $store bearer" "Authorization: Bearer $token"
      authkit_case "$fw $store cookie" "Cookie: $cookie"
    done
    stop "$server"
  done
  for p in "${floors[@]}"; do stop "$p"; done
  # Redis rows: against the median bare and fields.
  for k in "$fw redis bearer" "$fw redis cookie"; do
    [[ -n ${rps_of[$k]:-} ]] || continue
    # shellcheck disable=SC2086
    r=$(median ${rps_of[$k]})
    # shellcheck disable=SC2086
    ratio_of[$k]=$(ratio "$r" "$(median ${rps_of["$fw - bare"]})")
    # shellcheck disable=SC2086
    fratio_of[$k]=$(ratio "$r" "$(median ${rps_of["$fw - fields"]})")
  done
done

echo
echo "GET /me, wrk -t$threads -c$conns, ${seconds}s per case, median of $rounds rounds, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %-7s %-7s %10s %10s %8s %10s\n' framework stores auth 'req/s' 'p99 ms' 'vs bare' 'vs fields'
for k in "${keys[@]}"; do
  # shellcheck disable=SC2086
  f=$(median ${fratio_of[$k]:--})
  # shellcheck disable=SC2086
  printf '%-9s %-7s %-7s %10s %10s %8s %10s\n' $k "$(median ${rps_of[$k]})" "$(median ${p99_of[$k]})" "$(median ${ratio_of[$k]})" "$f"
done
