#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, and check the sipgate-uk example phone.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec target/release/sip7940 check --config-dir profiles/sipgate-uk "$@"
