#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, then runs
# formatting and lint checks and every test. Exit status 0 only when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
# The SIP peers (kamailio, sipp, baresip) are needed by tests/peers_harness.rs and the
# integration tests built on tests/support/peers.rs: install them unless told not to
# (SETUP_PEERS=0; those tests then fail with the install hint). On a machine that has
# them, setup.sh does not call apt at all.
SETUP_PEERS="${SETUP_PEERS:-1}" scripts/setup.sh

rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo test"
# The G.711 tests compare with the ITU vectors in ../shared; here they must be there.
export REQUIRE_G711_VECTORS=1
cargo test --locked

echo "== PROTOS c07-sip against the phone binary"
SIP7940="${CARGO_TARGET_DIR:-target}/release/sip7940" scripts/protos.sh
