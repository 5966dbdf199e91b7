#!/usr/bin/env bash
# deps.sh: makes sure the Debian packages (and, for tests, the npm packages) herald needs are
# here. As root it installs what is missing; otherwise it names the missing packages and fails.
# Usage: scripts/deps.sh build|test
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential cmake pkg-config libjansson-dev libsqlite3-dev libpq-dev libssl-dev node-llhttp)
test_pkgs=(libcriterion-dev nodejs npm curl chromium postgresql)

want=("${build_pkgs[@]}")
[ "${1:-build}" = test ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  # nodejs/npm may come from elsewhere than Debian; a working command is enough
  case $p in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "herald: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "herald: missing Debian packages: ${missing[*]}" >&2
    echo "        install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ "${1:-build}" = test ]; then
  # npm packages for the end-to-end tests, pinned by package-lock.json
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
