#!/usr/bin/env bash
# test.sh BUILD ASAN_BUILD: every test, against the normal and the sanitized build.
#   0. a throwaway PostgreSQL (scripts/pg.sh), stopped and removed at the end
#   1. unit tests and fuzz-corpus replays (CTest), normal build; the store's on both backends
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer; any sanitizer report fails
#      the run even where the test framework would not notice it (Criterion ignores leak reports)
#   3. lint docs/openapi.yaml: the OpenAPI 3.1 schema (@seriousme/openapi-schema-validator) and
#      herald's rules (tests/e2e/lib/openapi.mjs); tests/e2e/openapi.test.mjs keeps it true
#   4. end-to-end tests (node:test) against the normal binary (on SQLite, then again with every
#      server on PostgreSQL), then the sanitized one; the harness fails a test when the server
#      exits uncleanly or prints a sanitizer report
#   5. the web pages in headless Chromium (playwright-core), against the normal binary
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-build-asan}
log=$(mktemp -d)
# A throwaway PostgreSQL for the store tests on PostgreSQL and the multi-node tests.
pgdir=$(mktemp -d /tmp/herald-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pgdir" || true; rm -rf "$log" "$pgdir"' EXIT
HERALD_TEST_PG=$(scripts/pg.sh start "$pgdir")
export HERALD_TEST_PG HERALD_TEST_PG_DIR=$pgdir
echo "== PostgreSQL for the tests: $HERALD_TEST_PG"

echo "== unit tests and fuzz corpora ($build)"
ctest --test-dir "$build" --output-on-failure -j 2

echo "== unit tests and fuzz corpora under ASan+UBSan ($asan)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if ! ctest --test-dir "$asan" --output-on-failure -j 2 -V >"$log/asan.txt" 2>&1; then
  grep -E 'FAIL|Failed|Error|Sanitizer|runtime error' "$log/asan.txt" | head -50
  echo "sanitized unit tests failed (full log above)"; exit 1
fi
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log/asan.txt"; then
  grep -B2 -A30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log/asan.txt" | head -120
  echo "a sanitizer reported an error in the unit tests"; exit 1
fi
grep -E '^(test|[0-9]+% tests)' "$log/asan.txt" | tail -1

echo "== OpenAPI document (docs/openapi.yaml)"
node --input-type=module -e "import { lintDocument } from './tests/e2e/lib/openapi.mjs'; process.exitCode = (await lintDocument()) ? 0 : 1"

echo "== end-to-end ($build/herald)"
HERALD_BIN="$build/herald" node --test --test-concurrency=2 tests/e2e/

echo "== end-to-end on PostgreSQL ($build/herald; each server on a fresh database)"
HERALD_BIN="$build/herald" HERALD_E2E_DATABASE="$HERALD_TEST_PG" node --test --test-concurrency=2 \
  $(ls tests/e2e/*.test.mjs | grep -v multinode) # multinode.test.mjs is on PostgreSQL already

echo "== end-to-end under ASan+UBSan ($asan/herald)"
HERALD_BIN="$asan/herald" HERALD_SANITIZED=1 node --test --test-concurrency=2 tests/e2e/

echo "== pages in Chromium ($build/herald; screenshots in tests/artifacts/)"
HERALD_BIN="$build/herald" node --test --test-concurrency=1 tests/browser/
