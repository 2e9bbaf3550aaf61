#!/usr/bin/env bash
# Makes target/client-venv with the pinned clients of tests/clients/requirements.txt, or reuses
# it when it already holds exactly those pins (a copy of the file is kept inside it).
# Needs python3 with venv (Debian: python3-venv, which scripts/setup.sh test installs) and PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/client-venv
req=tests/clients/requirements.txt

if [ -x "$venv/bin/python" ] && cmp -s "$req" "$venv/requirements.txt"; then
  exit 0
fi
printf '\033[1msetup:\033[0m %s\n' "installing the conformance suite's clients into $venv (kubernetes, kr8s, kubectl 1.37; about 30 s)"
start=$(date +%s)
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$req"
cp "$req" "$venv/requirements.txt"
echo "setup: $venv ready in $(( $(date +%s) - start )) s"
