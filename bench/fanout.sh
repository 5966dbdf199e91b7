#!/usr/bin/env bash
# fanout.sh: one event to N Server-Sent Events clients, herald beside nginx + nchan, in one run
# on this machine (SPEC §10). Both servers get the same clients (bench/sse_fanout.c), the same
# number of subscribers, the same rounds and the same event data.
#   1. server memory per idle SSE client: RSS (and PSS) before and after IDLE_N clients connect,
#      on freshly started servers; herald with IDLE_N end users of one audience, herald with one
#      end user on IDLE_N devices, nchan with IDLE_N subscribers of one channel
#   2. fan-out latency, N clients, ROUNDS rounds: time from the trigger to the first, median,
#      p99 and last client having the event; herald triggered to an audience of N connected end
#      users and to one end user on N devices, nchan published to one channel
# Usage: bench/fanout.sh [N] [ROUNDS] [IDLE_N]   (defaults 10000 20 20000)
# Environment: HERALD=path/to/herald (default build/herald, built when missing);
#              BLOCKS=B the latency rounds run in B turns per server, interleaved (default 4);
#              WORKERS=W event-loop threads for herald and worker processes for nginx
#              (default 2, the cores of the development machine);
#              PERF=1 records herald with perf during its audience rounds and prints the top
#              symbols; PERF=all records the whole machine (client, kernel, server) instead.
# Needs root to install nginx and libnginx-mod-nchan when they are missing, curl, and a C
# compiler with OpenSSL (libssl-dev). Every step is bounded; servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
rounds=${2:-20}
idle=${3:-20000}
herald=${HERALD:-build/herald}
workers=${WORKERS:-2}
blocks=${BLOCKS:-4}
limit=900 # seconds, for any one client run

nchan_so=/usr/lib/nginx/modules/ngx_nchan_module.so
if ! command -v nginx >/dev/null || [ ! -e $nchan_so ]; then
  [ "$(id -u)" = 0 ] || { echo "fanout: install nginx and libnginx-mod-nchan (as root)"; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q nginx libnginx-mod-nchan >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q nginx libnginx-mod-nchan >/dev/null; }
fi
[ -x "$herald" ] || make build
tmp=$(mktemp -d)
chmod 755 "$tmp"
cc -O2 -Wall -Wextra -o "$tmp/sse_fanout" bench/sse_fanout.c -lcrypto
cc -O2 -Wall -Wextra -o "$tmp/loopback_send" bench/loopback_send.c

# Open files: the hard limit is what it is without CAP_SYS_RESOURCE; a server and a client each
# need one descriptor per connection plus a few of their own.
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
fdmax=$(ulimit -n)
for var in n idle; do
  if [ "${!var}" -gt $((fdmax - 100)) ]; then
    echo "fanout: the open-files hard limit is $fdmax: $var lowered from ${!var} to $((fdmax - 100))"
    printf -v "$var" '%s' $((fdmax - 100))
  fi
done

hpid= npid= perfpid= cpid=
cleanup() {
  set +e
  [ -n "$cpid" ] && kill "$cpid" 2>/dev/null
  [ -n "$perfpid" ] && kill -INT "$perfpid" 2>/dev/null
  [ -n "$hpid" ] && kill "$hpid" 2>/dev/null && wait "$hpid" 2>/dev/null
  [ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- servers ----
start_herald() {
  "$herald" serve --listen 127.0.0.1:0 --data "$tmp/data" --access-log 0 \
    --workers "$workers" --max-connections 100000 >"$tmp/herald.out" 2>&1 &
  hpid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$tmp/herald.out" && break; sleep 0.1; done
  hport=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/herald.out")
  [ -n "$hport" ] || { cat "$tmp/herald.out"; exit 1; }
  hurl=http://127.0.0.1:$hport
}
stop_herald() {
  kill "$hpid"
  wait "$hpid" || true
  hpid=
}
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    ss -Htln "sport = :$p" | grep -q . || { echo $p; return; }
  done
}
nport=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
load_module $nchan_so;
worker_processes $workers;
worker_rlimit_nofile $fdmax;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections $((fdmax - 50)); multi_accept on; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  nchan_shared_memory_size 256m;
  server {
    listen 127.0.0.1:$nport reuseport backlog=4096;
    location ~ ^/sub/(\w+)$ {
      nchan_subscriber eventsource;
      nchan_channel_id \$1;
      nchan_subscriber_first_message newest; # no replay of earlier rounds to a new subscriber
    }
    location ~ ^/pub/(\w+)$ { nchan_publisher; nchan_channel_id \$1; }
  }
}
EOF
start_nginx() {
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" \
    -g 'daemon off;' &
  npid=$!
  for _ in $(seq 100); do
    [ "$(pgrep -c -P "$npid" || true)" -ge "$workers" ] &&
      curl -s -o /dev/null -X POST -d x "http://127.0.0.1:$nport/pub/warmup" && return
    kill -0 "$npid" 2>/dev/null || break
    sleep 0.1
  done
  echo "fanout: nginx did not start"
  exit 1
}
stop_nginx() {
  kill "$npid"
  wait "$npid" || true
  npid=
}

# RSS and PSS in KiB, summed over the given processes.
mem() {
  local rss=0 pss=0 p
  for p in "$@"; do
    rss=$((rss + $(awk '/^Rss:/ {print $2}' /proc/$p/smaps_rollup)))
    pss=$((pss + $(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup)))
  done
  echo "$rss $pss"
}
nginx_pids() { echo "$npid" $(pgrep -P "$npid"); }

# ---- herald's data: a system, a template, end users and audiences ----
start_herald
cp "$tmp/herald.out" "$tmp/first.out"
id=$(awk '/Client ID/ {print $3}' "$tmp/first.out")
secret=$(awk '/Client secret/ {print $3}' "$tmp/first.out")
token=$(curl -sf -u "$id:$secret" -d grant_type=client_credentials "$hurl/oauth/token" |
  sed 's/.*"access_token":"\([^"]*\)".*/\1/')
api() { # METHOD PATH [JSON on stdin]
  curl -sf -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @- "$hurl$2"
}
field() { sed "s/.*\"$1\":\"\([^\"]*\)\".*/\1/"; }
sys_json=$(echo '{"name": "fanout"}' | api POST /v1/systems)
system=$(echo "$sys_json" | field id)
signing=$(echo "$sys_json" | field signingSecret)
template=$(echo '{"name": "fanout", "title": "Disk almost full on db-7",
  "description": "Less than 5% left on /var/lib/postgresql; clean up or grow the volume."}' |
  api POST "/v1/systems/$system/templates" | field id)
ids() { awk -v p="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s\"%s%d\"", (i ? "," : ""), p, i }'; }
users() { # PREFIX COUNT: bulk upserts of 10,000
  local from
  for ((from = 0; from < $2; from += 10000)); do
    awk -v p="$1" -v a=$from -v b=$(($2 < from + 10000 ? $2 : from + 10000)) 'BEGIN {
      printf "{\"endUsers\":["; for (i = a; i < b; i++) printf "%s{\"id\":\"%s%d\"}", (i > a ? "," : ""), p, i
      print "]}" }' | api POST "/v1/systems/$system/end-users" >/dev/null
  done
}
users l "$n"
users i "$idle"
lat_aud=$({ printf '{"name":"latency","endUsersIds":['; ids l "$n"; echo ']}'; } |
  api POST "/v1/systems/$system/audiences" | field id)
{ printf '{"name":"idle","endUsersIds":['; ids i "$idle"; echo ']}'; } |
  api POST "/v1/systems/$system/audiences" >/dev/null

request() { # FILE PORT PATH AUTH BODY: a whole HTTP request for sse_fanout -T
  printf 'POST %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$3" "$2" "$4" "${#5}" "$5" >"$1"
}
trigger_body() { echo "{\"notification\":{\"systemId\":\"$system\",\"templateId\":\"$template\",$1}}"; }
request "$tmp/herald_audience.req" 0 /v1/notifications "Authorization: Bearer $token"$'\r\n' \
  "$(trigger_body "\"audiencesIds\":[\"$lat_aud\"]")"
request "$tmp/herald_user.req" 0 /v1/notifications "Authorization: Bearer $token"$'\r\n' \
  "$(trigger_body '"endUsersIds":["device0"]')"

# nchan publishes the very data herald sends: one real event, caught on a stream
probe=$(echo '{}' | api POST "/v1/systems/$system/end-users/probe/tokens" | field token)
curl -sN --max-time 3 "$hurl/v1/me/stream?access_token=$probe" >"$tmp/probe.txt" || true &
sleep 0.5
trigger_body '"endUsersIds":["probe"]' | api POST /v1/notifications >/dev/null
wait $!
payload=$(sed -n 's/^data: //p' "$tmp/probe.txt" | head -1)
[ -n "$payload" ] || { echo "fanout: no event on the probe stream"; cat "$tmp/probe.txt"; exit 1; }
request "$tmp/nchan.req" "$nport" /pub/fanout "" "$payload"
stop_herald

stream_path='/v1/me/stream?access_token={token}'
client() { timeout $limit "$tmp/sse_fanout" -S 4 "$@"; }

# ---- 1. memory per idle client ----
idle_run() { # NAME PIDS_FUNCTION CLIENT_ARGS…
  local name=$1 pids=$2 before after out=$tmp/idle.txt
  shift 2
  sleep 1
  before=$(mem $($pids))
  timeout $limit "$tmp/sse_fanout" -S 4 -H $limit "$@" >"$out" & # $! is timeout: it relays TERM
  cpid=$!
  for _ in $(seq $((limit * 10))); do
    grep -q ready "$out" 2>/dev/null && break
    kill -0 $cpid 2>/dev/null || { cat "$out"; exit 1; }
    sleep 0.1
  done
  sleep 2
  after=$(mem $($pids))
  kill -TERM $cpid
  wait $cpid || true
  cpid=
  read -r rb pb <<<"$before"
  read -r ra pa <<<"$after"
  printf '%-34s %8d KiB %8d KiB %10d B %10d B\n' "$name" "$rb" "$ra" \
    $(((ra - rb) * 1024 / idle)) $(((pa - pb) * 1024 / idle)) | tee -a "$tmp/idle.table"
}
herald_pids() { echo "$hpid"; }
echo "== memory per idle SSE client: $idle clients, freshly started servers"
printf '%-34s %12s %12s %12s %12s\n' server "RSS before" "RSS after" "RSS/client" "PSS/client" |
  tee "$tmp/idle.table"
start_herald
idle_run "herald, audience of $idle users" herald_pids \
  -k "$signing" -y "$system" -u i 127.0.0.1 "$hport" "$stream_path" "$idle"
stop_herald
start_herald
idle_run "herald, one user on $idle devices" herald_pids \
  -k "$signing" -y "$system" -u device -U 1 127.0.0.1 "$hport" "$stream_path" "$idle"
stop_herald
start_nginx
idle_run "nginx + nchan" nginx_pids 127.0.0.1 "$nport" /sub/fanout "$idle"
stop_nginx

# ---- 2. fan-out latency ----
# The rounds are run in BLOCKS blocks that take turns (nchan, herald audience, herald one user,
# nchan, …), so that whatever else the machine does at some moment weighs on all three alike.
per=$(((rounds + blocks - 1) / blocks))
rounds=$((per * blocks))
echo
echo "== one event to $n SSE clients: $rounds rounds in $blocks blocks (ms from the trigger's connect)"
start_nginx
start_herald
sed -i "s/Host: 127.0.0.1:0/Host: 127.0.0.1:$hport/" "$tmp"/herald_*.req
declare -A label=([nchan]="nginx + nchan, one channel" [audience]="herald, audience of $n users"
  [user]="herald, one user on $n devices")
latency_run() { # KEY BLOCK
  local args
  case $1 in
  nchan) args=(-T "$tmp/nchan.req" -p "$(nginx_pids | tr ' ' ,)" 127.0.0.1 "$nport" /sub/fanout) ;;
  audience) args=(-T "$tmp/herald_audience.req" -p "$hpid" -k "$signing" -y "$system" -u l \
    -U "$n" 127.0.0.1 "$hport" "$stream_path") ;;
  user) args=(-T "$tmp/herald_user.req" -p "$hpid" -k "$signing" -y "$system" -u device -U 1 \
    127.0.0.1 "$hport" "$stream_path") ;;
  esac
  echo "-- ${label[$1]}, block $2 of $blocks"
  client -r "$per" "${args[@]}" "$n" | tee "$tmp/run.txt"
  grep '^round' "$tmp/run.txt" >>"$tmp/rounds.$1"
  tail -1 "$tmp/run.txt" >>"$tmp/summary.$1"
}
profiled_run() { # KEY BLOCK: latency_run under perf, from the moment every stream is open
  local out=$tmp/profiled.txt
  latency_run "$@" >"$out" &
  local run=$!
  while ! grep -q '^connected' "$out" && kill -0 $run 2>/dev/null; do sleep 0.05; done
  if [ "$PERF" = all ]; then target=(-a); sort=comm,dso,symbol; else target=(-p "$hpid"); sort=dso,symbol; fi
  perf record -F 999 -g "${target[@]}" -o "$tmp/perf.data" >/dev/null 2>&1 &
  perfpid=$!
  wait $run
  kill -INT "$perfpid"
  wait "$perfpid" || true
  perfpid=
  cat "$out"
  echo "-- perf ($PERF) during herald's audience rounds of block $2: self time"
  for by in comm pid dso; do
    [ $by = comm ] && [ "$PERF" != all ] && continue
    perf report -i "$tmp/perf.data" --stdio --no-children -g none --sort $by 2>/dev/null |
      awk '/^ +[0-9]/ && n++ < 8'
  done
  perf report -i "$tmp/perf.data" --stdio --no-children -g none --sort "$sort" 2>/dev/null |
    awk '/^ +[0-9]/ && n++ < 30'
}
for ((b = 1; b <= blocks; b++)); do
  for key in nchan audience user; do
    if [ "$key" = audience ] && [ "$b" = 1 ] && [ "${PERF:-0}" != 0 ]; then
      profiled_run "$key" "$b"
    else
      latency_run "$key" "$b"
    fi
  done
done

# the machine's own price of a delivery: one loopback send of an event this size, one read
floor_n=$((n < (fdmax - 32) / 2 ? n : (fdmax - 32) / 2))
floor=$("$tmp/loopback_send" "$floor_n" $((${#payload} + 40)) 9)
us() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$floor"; }

echo
echo "== summary: $n clients, $rounds rounds, median over rounds (ms); idle: $idle clients"
printf '%-34s %7s %7s %7s %7s %15s %8s %11s\n' server first median p99 last "last min..max" trigger \
  "CPU srv/cli"
col() { # FIELD FILE: the value after FIELD on each round line (a stream that missed: the wait)
  awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { v = $(i + 1); print (v < 0 ? 10000 : v) } }' "$2"
}
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mean_of() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2" | awk '{ t += $1 } END { printf "%.0f", t / NR }'; }
for key in nchan audience user; do
  f=$tmp/rounds.$key
  printf '%-34s %7s %7s %7s %7s %7s..%-7s %8s %5s/%-5s\n' "${label[$key]}" "$(col first "$f" | median)" \
    "$(col median "$f" | median)" "$(col p99 "$f" | median)" "$(col last "$f" | median)" \
    "$(col last "$f" | sort -n | awk 'NR == 1')" "$(col last "$f" | sort -n | tail -1)" \
    "$(col in "$f" | median)" "$(mean_of server_cpu_ms "$tmp/summary.$key")" \
    "$(mean_of client_cpu_ms "$tmp/summary.$key")"
  missed=$(grep -vc "($n/$n had it" "$f" || true)
  [ "$missed" = 0 ] || echo "   ($missed rounds where some client missed the event: counted as 10000 ms)"
done
echo "floor: one loopback send of $((${#payload} + 40)) bytes costs $(us send_us) us, one read" \
  "$(us read_us) us; $n of each on $(nproc) cores: $(awk -v n="$n" -v s="$(us send_us)" \
  -v r="$(us read_us)" -v c="$(nproc)" 'BEGIN { printf "%.0f", n * (s + r) / c / 1000 }') ms"
echo
cat "$tmp/idle.table"
