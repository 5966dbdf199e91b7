#!/usr/bin/env bash
# audience.sh: a trigger to an audience of 1,000,000 members (fan-out on read: one row per
# target, never per member). Builds the audience with 10 calls of 100,000 ids, then times
# ROUNDS triggers to it with curl and prints min/median/max of the acknowledged (202) latency.
# Usage: bench/audience.sh [ROUNDS]   (SHOW=1: print each round's status and seconds too)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
[ -x build/herald ] || make build
. bench/serve.sh
data=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
serve_herald "$data"
id=$(awk '/Client ID/ {print $3}' "$data/out.txt")
secret=$(awk '/Client secret/ {print $3}' "$data/out.txt")
token=$(curl -s -u "$id:$secret" -d grant_type=client_credentials "$url/oauth/token" |
  sed 's/.*"access_token":"\([^"]*\)".*/\1/')
auth="Authorization: Bearer $token"
system=$(curl -s -H "$auth" --json '{"name": "bench"}' "$url/v1/systems" |
  sed 's/.*"id":"\([^"]*\)".*/\1/')
template=$(curl -s -H "$auth" --json '{"name": "all", "title": "All hands at 10"}' \
  "$url/v1/systems/$system/templates" | sed 's/.*"id":"\([^"]*\)".*/\1/')

ids() { # JSON array of 100,000 member ids for block $1
  awk -v b="$1" 'BEGIN { printf "["; for (i = 0; i < 100000; i++)
    printf "%s\"user-%d-%d@example.com\"", (i ? "," : ""), b, i; printf "]" }'
}
start=$(date +%s%N)
audience=$(printf '{"name": "everyone", "endUsersIds": %s}' "$(ids 0)" |
  curl -s -H "$auth" -H 'Content-Type: application/json' --data-binary @- \
  "$url/v1/systems/$system/audiences" | sed 's/.*"id":"\([^"]*\)".*/\1/')
for b in $(seq 1 9); do
  printf '{"endUsersIds": %s}' "$(ids "$b")" |
    curl -s -o /dev/null -H "$auth" -H 'Content-Type: application/json' --data-binary @- \
    "$url/v1/systems/$system/audiences/$audience/members"
done
size=$(curl -s -H "$auth" "$url/v1/systems/$system/audiences/$audience" |
  sed 's/.*"size":\([0-9]*\).*/\1/')
echo "audience of $size members built in $(( ($(date +%s%N) - start) / 1000000 )) ms"

body=$(printf '{"notification": {"templateId": "%s", "audiencesIds": ["%s"]}}' "$template" "$audience")
for _ in $(seq "$rounds"); do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "$auth" --json "$body" \
    "$url/v1/notifications"
done >"$data/times.txt"
[ -n "${SHOW:-}" ] && cat "$data/times.txt"
bad=$(awk '$1 != 202' "$data/times.txt" | wc -l)
awk '{ printf "%.2f\n", $2 * 1000 }' "$data/times.txt" | sort -n | awk -v bad="$bad" '
  { t[NR] = $1 } END { printf "trigger to the audience, %d rounds: min %.1f ms, median %.1f ms, max %.1f ms, non-202: %d\n",
  NR, t[1], t[int((NR + 1) / 2)], t[NR], bad }'
