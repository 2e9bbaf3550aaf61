# syntax=docker/dockerfile:1
# The secrets-console image: the server binary and the browser bundle, on Debian slim, as a
# non-root user. Build from the repository root:
#   docker build -t secrets-console:0.1.0 .
# Not built in CI (the test machines have no Docker daemon); tests/integration/deploy.rs checks
# that the tool versions below match scripts/setup.sh and Cargo.lock.

# ---- builder: the same tools scripts/setup.sh installs, at the same versions ----
FROM rust:1.95-bookworm AS builder

# scripts/setup.sh: CARGO_LEPTOS_VERSION.
ARG CARGO_LEPTOS_VERSION=0.3.11
# Must equal the wasm-bindgen crate in Cargo.lock exactly.
ARG WASM_BINDGEN_VERSION=0.2.130
# end2end/package.json: Debian's binaryen 108 makes a bundle that fails to instantiate.
ARG BINARYEN_VERSION=132.0.0

# Node.js runs npm's binaryen (its wasm-opt is JavaScript plus WebAssembly).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm brotli \
 && rm -rf /var/lib/apt/lists/*

RUN rustup target add wasm32-unknown-unknown \
 && rustup toolchain install nightly --profile minimal

# cargo-leptos 0.3.11 needs a newer rustc than 1.95 to build: nightly, as in setup.sh.
# wasm-bindgen-cli without --locked, as in setup.sh: one of its locked dependencies is not on
# the registry.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    cargo +nightly install cargo-leptos --version "${CARGO_LEPTOS_VERSION}" --locked \
 && cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"

RUN mkdir -p /opt/binaryen \
 && npm install --prefix /opt/binaryen --no-audit --no-fund --loglevel=error \
        "binaryen@${BINARYEN_VERSION}"
# cargo-leptos takes the first wasm-opt on PATH.
ENV PATH="/opt/binaryen/node_modules/.bin:${PATH}"

WORKDIR /src
COPY . .

# target/ is a cache mount (kept between builds, absent from the image): copy what the
# runtime needs out of it in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    scripts/build-release.sh \
 && mkdir -p /out \
 && cp target/release/secrets-console /out/secrets-console \
 && cp -r target/site /out/site

# ---- runtime ----
FROM debian:bookworm-slim

# CA certificates for API servers whose kubeconfig does not carry their CA.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

COPY --from=builder /out/secrets-console /usr/local/bin/secrets-console
COPY --from=builder /out/site /app/site

# The data directory, owned by the app's user, for a run without a volume there.
RUN mkdir -p /var/lib/secrets-console && chown 65532:65532 /var/lib/secrets-console

# Demo mode is off: the image is never an open console with the published demo password. It
# needs, from the operator: DATABASE_URL (postgres://…), SECRETS_CONSOLE_MASTER_KEY (or a key
# file), SECRETS_CONSOLE_ALLOWED_HOSTS (the host name users reach it by), clusters in
# SECRETS_CONSOLE_KUBECONFIG, SECRETS_CONSOLE_SECURE_COOKIES=true behind TLS, and a first
# administrator (`secrets-console create-admin --email …`). See docs/security.md.
ENV LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    SECRETS_CONSOLE_DATA_DIR=/var/lib/secrets-console \
    SECRETS_CONSOLE_DEMO=false

WORKDIR /app
USER 65532:65532
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/secrets-console"]
