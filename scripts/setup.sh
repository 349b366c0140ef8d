#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for sip7940 and builds it (release).
# Installs only what is missing, with apt-get; needs root (or sudo) for that part.
#   scripts/setup.sh            system packages + build
#   SETUP_PEERS=1 scripts/setup.sh   also the SIP peers the tests use (kamailio, sipp, baresip,
#                                    sipsak, python3; the scripts in scripts/peers/ drive them,
#                                    python3 runs the tests' TFTP server, scripts/tftp-server.py,
#                                    and tmux runs `phone --ui` for tests/ui_tmux.rs)
set -euo pipefail
cd "$(dirname "$0")/.."

# Build dependencies: ALSA headers for the sound card (cpal), libopus for Opus, pkg-config.
packages=(pkg-config libasound2-dev libopus-dev)
if [ "${SETUP_PEERS:-0}" = 1 ]; then
  # the same list as scripts/peers/install-peers.sh, and tmux for the screen's test
  packages+=(kamailio sip-tester baresip-core sipsak python3 tmux)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  # apt may be busy right after boot: retry while the dpkg lock is held.
  for attempt in 1 2 3 4 5 6; do
    if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
       $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
      break
    fi
    [ "$attempt" = 6 ] && { echo "setup: apt-get failed" >&2; exit 1; }
    sleep 10
  done
fi

if [ "${SETUP_PEERS:-0}" = 1 ]; then
  # The tests (tests/support/peers.rs) run these; kamailio and kamcmd live in /usr/sbin,
  # which is not on a normal user's PATH, so look there too.
  for b in kamailio kamcmd sipp baresip sipsak python3 tmux; do
    if ! command -v "$b" >/dev/null && [ ! -x "/usr/sbin/$b" ] && [ ! -x "/sbin/$b" ]; then
      echo "setup: $b is not installed after apt-get (packages: ${packages[*]})" >&2
      exit 1
    fi
  done
  echo "setup: SIP peers present (kamailio, kamcmd, sipp, baresip, sipsak), and tmux"
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 1
fi
cargo build --release --locked
echo "setup: built target/release/sip7940"
