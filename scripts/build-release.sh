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
set -euo pipefail
cd "$(dirname "$0")/.."
# wasm-opt 132 from npm, ahead of any older one (see scripts/setup.sh).
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
cargo leptos build --release --precompress --split "$@"
for file in target/site/pkg/*.js target/site/pkg/*.wasm target/site/pkg/*.css; do
  gzip -9 --keep --force --no-name "$file"
done
