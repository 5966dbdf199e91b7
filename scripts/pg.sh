#!/usr/bin/env bash
# pg.sh: a throwaway PostgreSQL cluster for the tests, in a temporary directory, on a free port,
# with fsync off (its data is worthless after the run).
#   scripts/pg.sh start DIR   initdb in DIR (as the postgres user when run as root), start it,
#                             and print its URL: postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/pg.sh stop DIR    stop it (DIR stays; remove it yourself)
#   scripts/pg.sh restart DIR stop then start again on the same port
# PG_DURABLE=1 keeps PostgreSQL's durable defaults (fsync, synchronous_commit): for benchmarks.
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop|restart DIR}
dir=${2:?usage: pg.sh start|stop|restart DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start() {
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    free_port >"$dir/port"
  fi
  local port; port=$(cat "$dir/port")
  local fast="-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
  [ -n "${PG_DURABLE:-}" ] && fast=""
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $fast -c max_connections=300 -c shared_buffers=128MB" >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "postgres://postgres@127.0.0.1:$port/postgres"
}

stop() {
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

case $cmd in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: pg.sh start|stop|restart DIR" >&2; exit 2 ;;
esac
