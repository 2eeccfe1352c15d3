#!/usr/bin/env bash
# Runs a command with a reachable Redis in REDIS_URL and, when redis-server
# is installed, a throwaway Redis Cluster in REDIS_CLUSTER_ADDRS.
#
#   1. REDIS_URL already set: used as it is.
#   2. Something answers on 127.0.0.1:6379: REDIS_URL points there.
#   3. redis-server is installed: a throwaway server is started on a free port
#      (no persistence) and stopped when the command ends.
#   4. None of these: the command runs without Redis. Redis-backed tests skip
#      with a loud notice, or fail when REQUIRE_REDIS=1 (as in CI).
#
# Cluster: REDIS_CLUSTER_ADDRS already set is used as it is; else, with
# redis-server and redis-cli installed (and NO_REDIS_CLUSTER unset), a
# 3-master cluster is started by scripts/redis-cluster.sh and stopped when the
# command ends. Without one, Cluster tests skip loudly, or fail when
# REQUIRE_REDIS_CLUSTER=1 (as in CI).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cleanup=()
trap 'for c in "${cleanup[@]}"; do eval "$c"; done' EXIT

answers() { # host port
  (exec 3<>"/dev/tcp/$1/$2" && printf 'PING\r\n' >&3 && IFS= read -r -t 2 line <&3 && [[ $line == +PONG* ]]) 2>/dev/null
}

if [[ -z "${REDIS_URL:-}" ]]; then
  if answers 127.0.0.1 6379; then
    export REDIS_URL=redis://127.0.0.1:6379/0
  elif command -v redis-server >/dev/null 2>&1; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 16379)
    dir=$(mktemp -d)
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
    pid=$!
    cleanup+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf '$dir'")
    for _ in $(seq 50); do answers 127.0.0.1 "$port" && break; sleep 0.1; done
    if answers 127.0.0.1 "$port"; then
      echo "with-redis: started a throwaway redis-server on 127.0.0.1:$port" >&2
      export REDIS_URL="redis://127.0.0.1:$port/0"
    else
      echo "with-redis: redis-server did not start; its log:" >&2; cat "$dir/redis.log" >&2
    fi
  fi
fi

if [[ -z "${REDIS_URL:-}" ]]; then
  echo "################################################################" >&2
  echo "# NO REDIS: Redis-backed tests will SKIP (REQUIRE_REDIS=1 fails). #" >&2
  echo "################################################################" >&2
else
  echo "with-redis: REDIS_URL=$REDIS_URL" >&2
fi

if [[ -z "${REDIS_CLUSTER_ADDRS:-}" && -z "${NO_REDIS_CLUSTER:-}" ]] && command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  cdir=$(mktemp -d)
  cleanup+=("'$here/redis-cluster.sh' stop '$cdir'; rm -rf '$cdir'")
  if addrs=$("$here/redis-cluster.sh" start "$cdir"); then
    export REDIS_CLUSTER_ADDRS=$addrs
  else
    echo "with-redis: the Redis Cluster did not start (logs above)" >&2
  fi
fi
if [[ -z "${REDIS_CLUSTER_ADDRS:-}" ]]; then
  echo "#########################################################################" >&2
  echo "# NO REDIS CLUSTER: Cluster tests will SKIP (REQUIRE_REDIS_CLUSTER=1 fails). #" >&2
  echo "#########################################################################" >&2
else
  echo "with-redis: REDIS_CLUSTER_ADDRS=$REDIS_CLUSTER_ADDRS" >&2
fi
"$@"
