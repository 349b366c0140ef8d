#!/usr/bin/env bash
# PROTOS c07-sip against the sip7940 phone binary: every mutated INVITE, then the valid
# case must still be answered. Reads the cases from ../shared (never copied into the repo).
# Prints "N passed, N failed"; exit 0 only when all passed.
#   SHARED=DIR (default ../shared), SIP7940=binary (default target/release/sip7940)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${SHARED:-../shared}"
BIN="${SIP7940:-${CARGO_TARGET_DIR:-target}/release/sip7940}"
TARBALL="$SHARED/testdata/protos-c07-sip/c07-sip-r2-testcases.tar.gz"
[ -f "$TARBALL" ] || { echo "protos: $TARBALL not found (set SHARED)" >&2; exit 2; }
[ -x "$BIN" ] || cargo build --release --locked
exec python3 scripts/protos.py --bin "$BIN" --tarball "$TARBALL" "$@"
