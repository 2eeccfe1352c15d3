#!/usr/bin/env bash
# Starts or stops a throwaway Redis Cluster on loopback, from redis-server.
#
#   redis-cluster.sh start DIR [MASTERS [REPLICAS]]   start MASTERS (3) masters with
#                                                     REPLICAS (0) replicas each;
#                                                     prints the seed addresses,
#                                                     comma-separated
#   redis-cluster.sh stop DIR                         stop exactly what start started
#
# Ports are free loopback ports from 20000 to 22767, so that they and each
# node's cluster bus (10000 above) stay below Linux's ephemeral range
# (32768 and up), where a client socket could take one at any moment. Nodes keep nothing on disk but their nodes.conf in
# DIR. `start` waits until CLUSTER INFO reports cluster_state:ok on every
# node, and stops what it started if that does not happen.
set -euo pipefail

usage() { echo "usage: $0 start DIR [MASTERS [REPLICAS]] | stop DIR" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cmd=$1 dir=$2

free() { # port: true when port and port+10000 are both free on 127.0.0.1
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$(($1 + 10000))") 2>/dev/null
}

stop() {
  [[ -f $dir/pids ]] || return 0
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$dir/pids"
  while read -r pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done <"$dir/pids"
  rm -f "$dir/pids"
}

case $cmd in
stop) stop; exit 0 ;;
start) ;;
*) usage ;;
esac

masters=${3:-3} replicas=${4:-0}
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { echo "redis-cluster: redis-server and redis-cli are needed" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd) # redis-server resolves paths after changing into --dir
[[ ! -f $dir/pids ]] || { echo "redis-cluster: $dir already holds a running cluster" >&2; exit 1; }
trap 'status=$?; [[ $status -eq 0 ]] || { echo "redis-cluster: start failed; logs in $dir" >&2; stop; }' EXIT

nodes=$((masters * (replicas + 1)))
addrs=()
port=$((20000 + RANDOM % 2700))
while [[ ${#addrs[@]} -lt $nodes ]]; do
  port=$((port + 1))
  [[ $port -le 22767 ]] || port=20000
  free "$port" || continue
  node="$dir/$port"
  mkdir -p "$node"
  redis-server --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
    --cluster-config-file "$node/nodes.conf" --cluster-node-timeout 2000 \
    --save "" --appendonly no --dir "$node" --daemonize no \
    --logfile "$node/redis.log" </dev/null >/dev/null 2>&1 &
  echo $! >>"$dir/pids"
  addrs+=("127.0.0.1:$port")
done

for a in "${addrs[@]}"; do
  for _ in $(seq 100); do redis-cli -h 127.0.0.1 -p "${a##*:}" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
redis-cli --cluster create "${addrs[@]}" --cluster-replicas "$replicas" --cluster-yes >"$dir/create.log" 2>&1

for a in "${addrs[@]}"; do
  ok=
  for _ in $(seq 200); do
    if redis-cli -h 127.0.0.1 -p "${a##*:}" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then ok=1; break; fi
    sleep 0.05
  done
  [[ -n $ok ]] || { echo "redis-cluster: $a never reported cluster_state:ok" >&2; exit 1; }
done
(IFS=,; echo "${addrs[*]}")
