#!/usr/bin/env bash
# run.sh: the foundation benchmarks, on this machine, loader and server side by side.
#   1. GET /healthz requests/s (wrk -t2 -c100)
#   2. POST /oauth/token requests/s (client credentials, HTTP Basic)
#   3. POST /v1/notifications: durable triggers/s, one recipient each (wrk -t2 at -c10, a load
#      the machine carries with room to spare, then -c100 and -c400, which saturate it)
#   4. server memory per idle keep-alive connection (RSS delta over N connections)
# Usage: bench/run.sh [DURATION_SECONDS] [IDLE_CONNECTIONS]; needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
idle=${2:-10000}
command -v wrk >/dev/null || { echo "bench: install wrk (apt-get install wrk)"; exit 1; }
[ -x build/herald ] || make build
cc -O2 -Wall -o build/idle_conns bench/idle_conns.c

. bench/serve.sh
data=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
serve_herald "$data" --rate-limit 100000000 --max-connections 100000
id=$(awk '/Client ID/ {print $3}' "$data/out.txt")
secret=$(awk '/Client secret/ {print $3}' "$data/out.txt")
export HERALD_BASIC=$(printf '%s:%s' "$id" "$secret" | base64 -w0)

echo "== memory per idle keep-alive connection ($idle connections)"
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
before=$(rss)
build/idle_conns 127.0.0.1 $port "$idle" 5 >"$data/idle.txt" &
loader=$!
for _ in $(seq 300); do grep -q ready "$data/idle.txt" 2>/dev/null && break; sleep 0.1; done
sleep 1
after=$(rss)
wait $loader
echo "RSS before ${before} KiB, with $idle idle connections ${after} KiB:" \
  "$(( (after - before) * 1024 / idle )) bytes per connection"

echo "== GET /healthz, wrk -t2 -c100 -d${duration}s"
wrk -t2 -c100 -d"${duration}s" -s bench/healthz.lua "$url/healthz" | grep -E 'Requests/sec|p50'
echo "== POST /oauth/token, wrk -t2 -c100 -d${duration}s"
wrk -t2 -c100 -d"${duration}s" -s bench/token.lua "$url/oauth/token" | grep -E 'Requests/sec|p50'

token=$(curl -s -u "$id:$secret" -d grant_type=client_credentials "$url/oauth/token" |
  sed 's/.*"access_token":"\([^"]*\)".*/\1/')
system=$(curl -s -H "Authorization: Bearer $token" --json '{"name": "bench"}' "$url/v1/systems" |
  sed 's/.*"id":"\([^"]*\)".*/\1/')
export HERALD_TOKEN=$token
export HERALD_TEMPLATE=$(curl -s -H "Authorization: Bearer $token" \
  --json '{"name": "bench", "title": "Disk almost full", "description": "Clean up"}' \
  "$url/v1/systems/$system/templates" | sed 's/.*"id":"\([^"]*\)".*/\1/')
for c in 10 100 400; do
  echo "== POST /v1/notifications (durable, one recipient), wrk -t2 -c$c -d${duration}s"
  wrk -t2 -c$c -d"${duration}s" -s bench/trigger.lua "$url/v1/notifications" |
    grep -E 'Requests/sec|p50'
done

