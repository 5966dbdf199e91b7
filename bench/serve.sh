# serve.sh: sourced by the benchmarks. serve_herald DATA_DIR [FLAGS...] starts build/herald on
# any free port with the embedded store in DATA_DIR (its output in DATA_DIR/out.txt), waits
# until it listens, and sets pid, port and url; it stops the script, with the server's output,
# when the server does not start. The caller traps EXIT to stop it.
serve_herald() {
  local data=$1
  shift
  build/herald serve --listen 127.0.0.1:0 --data "$data" --access-log 0 "$@" >"$data/out.txt" 2>&1 &
  pid=$!
  for _ in $(seq 50); do grep -q 'listening on' "$data/out.txt" && break; sleep 0.1; done
  port=$(sed -n 's/.* listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$data/out.txt")
  if [ -z "$port" ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "bench: the server did not start:" >&2
    cat "$data/out.txt" >&2
    exit 1
  fi
  url=http://127.0.0.1:$port
}
