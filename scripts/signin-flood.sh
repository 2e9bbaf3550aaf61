#!/usr/bin/env bash
# Measures what a flood of sign-ins costs the server: 100 parallel sign-ins with wrong
# passwords (each for its own account, so the per-pair throttle does not stop them before
# their passwords are hashed), and the server's peak resident memory (VmHWM) before and after.
# Runs it twice in one go: with the default --password-checks (2) and, as the baseline, with
# 100 checks at once (what the server did before password checks took turns).
# Usage: scripts/signin-flood.sh [path/to/secrets-console]   (default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/secrets-console}
[ -x "$bin" ] || { echo "$bin is missing: build it first"; exit 1; }
parallel=${PARALLEL:-100}

run() {
  local checks=$1 work port pid before peak refused=0 answered
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$bin" --listen "127.0.0.1:$port" --data-dir "$work/data" --log-level warn \
    --password-checks "$checks" >"$work/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  sleep 1
  before=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
  seq 1 "$parallel" | xargs -P "$parallel" -I{} \
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 \
      -H 'Sec-Fetch-Site: same-origin' \
      --data-urlencode "email=flood-{}@example.com" --data-urlencode "password=wrong-password-{}" \
      "http://127.0.0.1:$port/api/login" >"$work/codes"
  peak=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
  answered=$(grep -c '^422$' "$work/codes" || true)
  refused=$(grep -c '^503$' "$work/codes" || true)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$work"
  printf '%-22s %10d %12d %12d %10d %10d\n' "--password-checks $checks" "$parallel" \
    $((before / 1024)) $((peak / 1024)) "$answered" "$refused"
}

printf '%-22s %10s %12s %12s %10s %10s\n' "setting" "sign-ins" "RSS idle MB" "RSS peak MB" "refused" "busy 503"
run 100
run 2
