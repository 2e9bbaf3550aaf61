#!/usr/bin/env bash
# Runs the benchmarks on the release build and prints the table (docs/benchmarks.md explains
# each figure). Installs what is missing first, builds the release site and binary if needed.
#   scripts/bench.sh            the recorded run
#   scripts/bench.sh --smoke    the short run the test command makes
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
scripts/build-release.sh
exec target/release/secrets-console --log-level warn bench --site-root target/site --json target/bench.json "$@"
