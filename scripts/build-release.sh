#!/usr/bin/env bash
# The release site and binary, with the bundle precompressed for the server to send as is:
# cargo-leptos writes .br and .gz beside each file (--precompress); its gzip encoder is weaker
# than gzip -9 (the WASM: 671 KB against 569 KB), so the .gz files are written again with it.
# The one recipe for the bundle: `make run`, `make test`, the benchmarks and the image all build
# with it, and nothing writes the bundle after it (`make run` serves with the binary itself, not
# `cargo leptos serve`, which would compress it again).
# --split: every lazy route's code (src/app.rs) goes into its own WASM chunks beside the main
# one (wasm-split), which the browser fetches when it first visits the page; the chunks, their
# loader (__wasm_split.*.js) and the manifest the server reads to preload them are in pkg/ too.
# Then the islands' bundle (scripts/build-islands-bundle.sh), which the Secrets page loads
# instead of the app's.
set -euo pipefail
cd "$(dirname "$0")/.."
# wasm-opt 132 from npm, ahead of any older one (see scripts/setup.sh).
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
# Nothing to do when the site and binary were built by this script after the last change to
# what goes into them (cargo-leptos would run wasm-bindgen, wasm-split and wasm-opt again, a
# few minutes for `make run` on two cores). Arguments always build.
stamp=target/site/.built-by-build-release
inputs=(src style public Cargo.toml Cargo.lock scripts/build-release.sh)
if [ $# -eq 0 ] && [ -f "$stamp" ] && [ -x target/release/secrets-console ] &&
  [ -z "$(find "${inputs[@]}" -newer "$stamp" -print -quit)" ]; then
  echo "build-release: target/site and target/release/secrets-console are up to date"
  exit 0
fi
rm -f "$stamp"
# Stamped with the time the build started: a change made during the build builds again.
started=$(mktemp target/.build-release-started.XXXXXX)
cargo leptos build --release --precompress --split "$@"
# The islands' bundle, for the pages the server renders in islands mode (src/browser.rs).
scripts/build-islands-bundle.sh
for file in target/site/pkg/*.js target/site/pkg/*.wasm target/site/pkg/*.css; do
  gzip -9 --keep --force --no-name "$file"
done
mv "$started" "$stamp"
