#!/usr/bin/env bash
# cluster.sh: herald on PostgreSQL with two nodes, beside one node on SQLite, on this machine
# (servers, PostgreSQL and loaders share its cores).
#   1. durable triggers/s, one recipient each: SQLite, one node (wrk -t2 -c100); PostgreSQL, two
#      nodes, each loaded by its own wrk (-t1 -c50), the rates summed
#   2. fan-out latency, PostgreSQL: N clients on node B; the trigger sent to node B itself, and
#      to node A (cross-node: the event reaches B through NOTIFY and B's relay)
# PostgreSQL is a throwaway server (scripts/pg.sh) with its durable defaults (fsync and
# synchronous_commit on), as SQLite here syncs every commit.
# Usage: bench/cluster.sh [DURATION_SECONDS] [N] [ROUNDS]   (defaults 10 2000 20)
# Needs wrk, curl, a C compiler with OpenSSL; the PostgreSQL server package.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
n=${2:-2000}
rounds=${3:-20}
command -v wrk >/dev/null || { echo "bench: install wrk (apt-get install wrk)"; exit 1; }
[ -x build/herald ] || make build
tmp=$(mktemp -d /tmp/herald-cluster.XXXXXX)
chmod 755 "$tmp"
cc -O2 -Wall -Wextra -o "$tmp/sse_fanout" bench/sse_fanout.c -lcrypto
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  scripts/pg.sh stop "$tmp/pg" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

# start NAME STORE-ARGS…: a node; sets port_NAME
start() {
  local name=$1
  shift
  build/herald serve --listen 127.0.0.1:0 "$@" --workers 1 --access-log 0 --rate-limit 100000000 \
    --max-connections 100000 >"$tmp/$name.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q 'listening on' "$tmp/$name.out" && break; sleep 0.1; done
  local port
  port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/$name.out")
  [ -n "$port" ] || { cat "$tmp/$name.out"; exit 1; }
  printf -v "port_$name" '%s' "$port"
}

# setup PORT OUT: a key's token, a system and a template through the node at PORT
setup() {
  local url=http://127.0.0.1:$1 out=$2 id secret
  id=$(awk '/Client ID/ {print $3}' "$out")
  secret=$(awk '/Client secret/ {print $3}' "$out")
  token=$(curl -sf -u "$id:$secret" -d grant_type=client_credentials "$url/oauth/token" |
    sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  local sys
  sys=$(curl -sf -H "Authorization: Bearer $token" --json '{"name": "bench"}' "$url/v1/systems")
  system=$(echo "$sys" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  signing=$(echo "$sys" | sed 's/.*"signingSecret":"\([^"]*\)".*/\1/')
  template=$(curl -sf -H "Authorization: Bearer $token" \
    --json '{"name": "bench", "title": "Disk almost full", "description": "Clean up"}' \
    "$url/v1/systems/$system/templates" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  export HERALD_TOKEN=$token HERALD_TEMPLATE=$template
}

rate() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() { awk '$1 == "99%" {print $2}' "$1"; }

echo "== SQLite, one node (1 event-loop thread), wrk -t2 -c100 -d${duration}s"
start sqlite --data "$tmp/sqlite"
setup "$port_sqlite" "$tmp/sqlite.out"
wrk -t2 -c100 -d"${duration}s" --latency -s bench/trigger.lua \
  "http://127.0.0.1:$port_sqlite/v1/notifications" >"$tmp/wrk_sqlite.txt"
echo "durable triggers/s $(rate "$tmp/wrk_sqlite.txt"), p99 $(p99 "$tmp/wrk_sqlite.txt")"
kill "${pids[0]}" && wait "${pids[0]}" || true
pids=()

echo "== PostgreSQL (durable), two nodes (1 event-loop thread each)"
url=$(PG_DURABLE=1 scripts/pg.sh start "$tmp/pg")
start a --database "$url"
start b --database "$url"
setup "$port_a" "$tmp/a.out"
loaders=()
for node in a b; do
  port_var=port_$node
  wrk -t1 -c50 -d"${duration}s" --latency -s bench/trigger.lua \
    "http://127.0.0.1:${!port_var}/v1/notifications" >"$tmp/wrk_$node.txt" &
  loaders+=($!)
done
wait "${loaders[@]}"
total=$(awk -v a="$(rate "$tmp/wrk_a.txt")" -v b="$(rate "$tmp/wrk_b.txt")" 'BEGIN {printf "%.0f", a + b}')
echo "durable triggers/s ${total} (node A $(rate "$tmp/wrk_a.txt"), p99 $(p99 "$tmp/wrk_a.txt");" \
  "node B $(rate "$tmp/wrk_b.txt"), p99 $(p99 "$tmp/wrk_b.txt"))"

echo "== PostgreSQL fan-out: $n clients on node B, $rounds rounds"
request() { # FILE PORT: a trigger to the n users, as a whole HTTP request
  local body
  body="{\"notification\":{\"systemId\":\"$system\",\"templateId\":\"$template\",\"audiencesIds\":[\"$audience\"]}}"
  printf 'POST /v1/notifications HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$2" "$token" "${#body}" "$body" >"$1"
}
ids=$(awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "%s\"u%d\"", (i ? "," : ""), i }')
audience=$(curl -sf -H "Authorization: Bearer $token" --json "{\"name\":\"fanout\",\"endUsersIds\":[$ids]}" \
  "http://127.0.0.1:$port_a/v1/systems/$system/audiences" | sed 's/.*"id":"\([^"]*\)".*/\1/')
request "$tmp/to_b.req" "$port_b"
request "$tmp/to_a.req" "$port_a"
for via in b a; do
  port_var=port_$via
  echo "-- trigger sent to node $(echo $via | tr ab AB)"
  "$tmp/sse_fanout" -r "$rounds" -T "$tmp/to_$via.req" -P "${!port_var}" -k "$signing" \
    -y "$system" -u u -U "$n" 127.0.0.1 "$port_b" '/v1/me/stream?access_token={token}' "$n" |
    grep -E '^summary'
done
