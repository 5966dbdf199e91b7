#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds every tests/fuzz/fuzz_*.c with libFuzzer (clang, ASan+UBSan) and runs
# each for SECONDS (default 60) on a copy of its corpus; new inputs land in build-fuzz/, to be
# reviewed and copied into tests/fuzz/corpus/<name>/ when they are worth keeping.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v clang >/dev/null || { echo "fuzz: needs clang (apt-get install clang)"; exit 1; }
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -g -O1" >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target herald_lib >/dev/null
flags="-g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc -I/usr/share/include/llhttp"
libs="build-fuzz/libherald_lib.a build-fuzz/libllhttp.a -ljansson -lsqlite3 -lcrypto -lpthread -lm"
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  corpus=tests/fuzz/corpus/${name#fuzz_}
  work=build-fuzz/corpus-${name#fuzz_}
  mkdir -p "$work"
  cp -n "$corpus"/* "$work"/ 2>/dev/null || true
  # shellcheck disable=SC2086
  clang $flags "$src" $libs -o "build-fuzz/$name"
  echo "== $name for ${seconds}s"
  "build-fuzz/$name" -max_total_time="$seconds" -max_len=20000 "$work" 2>&1 | tail -3
done
