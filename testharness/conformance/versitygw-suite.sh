#!/bin/bash
# Runs every test of versitygw's conformance suite named in TESTS (one name
# per line) alone against an S3 endpoint, wiping all buckets between tests
# (and running RESTART, if set, when a bucket cannot be wiped), and writes
# one "PASS name" or "FAIL name | first failure line" per test to OUT.
# Each test alone, so that one test's leftovers cannot fail the next and a
# panic in one (the suite's full-flow stops at the first) costs only it.
# docs/CONFORMANCE.md says how the figures there were made with it.
#
#   SUITE=/path/to/versitygw TESTS=names.txt RESTART=./restart.sh \
#     versitygw-suite.sh HOST:PORT ACCESS_KEY SECRET_KEY OUT
set -u
endpoint=$1 ak=$2 sk=$3 out=$4
here=$(cd "$(dirname "$0")/../.." && pwd)
wipe=$(mktemp -d)/suitewipe
(cd "$here" && go build -o "$wipe" ./testharness/cmd/suitewipe) || exit 1
: > "$out"
# The suite needs a clean environment: the machine's AWS_* settings
# (AWS_CA_BUNDLE above all) change how its SDK clients behave.
while read -r name; do
  [ -n "$name" ] || continue
  if ! "$wipe" "$endpoint" "$ak" "$sk" > /dev/null 2>&1 && [ -n "${RESTART:-}" ]; then
    "$RESTART"
  fi
  r=$(cd "$(dirname "$SUITE")" && env -i PATH="$PATH" HOME="$HOME" timeout 60 ./"$(basename "$SUITE")" test \
    -a "$ak" -s "$sk" -e "http://$endpoint" "$name" 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
  if grep -q "^PASS $name\$" <<< "$r"; then
    echo "PASS $name" >> "$out"
  else
    echo "FAIL $name | $(grep -m1 -E '^FAIL|panic' <<< "$r" | cut -c1-200)" >> "$out"
  fi
done < "$TESTS"
