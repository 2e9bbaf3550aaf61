#!/usr/bin/env bash
# The islands' bundle (see src/browser.rs): the pages the server renders in islands mode load
# target/site/pkg/secrets-console-islands.{js,wasm}, built from this crate with features
# `hydrate,islands-bundle`, in its own target directory (its flags differ from cargo-leptos's
# build, which would otherwise be rebuilt each time). Called by scripts/build-release.sh after
# cargo-leptos, which empties target/site/pkg, and before it gzips every file there.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
name=secrets-console-islands
pkg=target/site/pkg
# The server renders in erase-components mode (Cargo.toml, always-erase-components); the
# bundle must hydrate the same markers.
RUSTFLAGS="--cfg erase_components" cargo build --lib --target wasm32-unknown-unknown \
  --profile wasm-release --no-default-features --features hydrate,islands-bundle \
  --target-dir target/islands
out=$(mktemp -d)
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name "$name" \
  target/islands/wasm32-unknown-unknown/wasm-release/secrets_console.wasm
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$out/${name}_bg.wasm" -o "$pkg/$name.wasm"
cp "$out/$name.js" "$pkg/$name.js"
rm -rf "$out"
# brotli as cargo-leptos's --precompress writes it for the app's bundle (gzip: the caller's loop).
# Without the brotli tool (`scripts/setup.sh run` does not install it), browsers get gzip.
if command -v brotli >/dev/null; then
  brotli --keep --force --best "$pkg/$name.js" "$pkg/$name.wasm"
fi
