#!/usr/bin/env bash
# Media benchmarks on loopback, against one Kamailio in one run:
#  (a) CPU per call: one call of SECS seconds (default 60) from sip7940 to a headless
#      baresip, beside one call of the same length from a second headless baresip to the
#      same baresip; CPU seconds (user + system) of the calling process during the call.
#  (b) scale: `sip7940 loopback --calls N` (both legs in one process, 2 × N RTP streams)
#      for each N in NS: loss, p99 lateness of frames against their 20 ms schedule,
#      peak RSS and RSS per call.
# Needs kamailio and baresip (scripts/setup.sh with SETUP_PEERS=1). Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${SECS:-60}"
NS="${NS:-50 100 200 400}"
SCALE_SECS="${SCALE_SECS:-20}"
BIN="${SIP7940:-${CARGO_TARGET_DIR:-target}/release/sip7940}"
[ -x "$BIN" ] || cargo build --release --locked
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-media.XXXXXX")"
P1=$((29000 + RANDOM % 2000)); P2=$((P1 + 1)); PHONE=$((P1 + 2))
# Two baresips: SIP, cons and ctrl ports and RTP ranges of their own.
bs_ports() { echo "BS_SIP_PORT=$((P1 + $1)) BS_CONS_PORT=$((P1 + $1 + 1)) BS_CTRL_PORT=$((P1 + $1 + 2)) BS_RTP_PORTS=$((P1 + $1 + 10))-$((P1 + $1 + 19))"; }
KAM_PORTS="$P1,$P2" KAM_TRACE=0 KAM_SHM_MB="${KAM_SHM_MB:-512}" \
  scripts/peers/start-registrar.sh "$WORK/kam" >/dev/null
cleanup() {
  for d in "$WORK"/bs-*; do [ -d "$d" ] && scripts/peers/stop-baresip.sh "$d" >/dev/null 2>&1 || true; done
  scripts/peers/stop-registrar.sh "$WORK/kam" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # clock ticks, user + system
TICKS=$(getconf CLK_TCK)

echo "== (a) CPU for one ${SECS} s G.711 call, headless, through Kamailio"
python3 scripts/peers/make-tone.py "$WORK" 400 "$((SECS + 20))" >/dev/null
env $(bs_ports 10) BS_USER=23456 BS_PASS=secret23456 BS_PROXY="sip:127.0.0.1:$P1" \
  BS_AUDIO="$WORK/tone-s16.wav" BS_LIFETIME=$((SECS * 3 + 60)) scripts/peers/start-baresip.sh "$WORK/bs-callee" >/dev/null

# sip7940 as the caller: the whole process (registration and un-registration included).
/usr/bin/time -f "%U %S" -o "$WORK/ours.time" "$BIN" --config-dir profiles/loopback \
  --set proxy1_port=$P1 --set voip_control_port=$PHONE --set 'line2_name=""' \
  call 23456 --bind 127.0.0.1 --duration "$SECS" --json > "$WORK/ours.json"
ours=$(awk '{printf "%.3f", $1 + $2}' "$WORK/ours.time")
sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["media"]["packets_sent"])' "$WORK/ours.json")

# baresip as the caller: its CPU between the answer and the hang-up.
env $(bs_ports 40) BS_USER=12345 BS_PASS=sipgatepassword BS_PROXY="sip:127.0.0.1:$P1" \
  BS_AUDIO="$WORK/tone-s16.wav" BS_LIFETIME=$((SECS * 3 + 60)) scripts/peers/start-baresip.sh "$WORK/bs-caller" >/dev/null
pid=$(cat "$WORK/bs-caller/baresip.pid")
scripts/peers/baresip-cmd.sh "$WORK/bs-caller" /dial 23456 >/dev/null
sleep 1
c0=$(cpu_of "$pid")
sleep "$SECS"
c1=$(cpu_of "$pid")
scripts/peers/baresip-cmd.sh "$WORK/bs-caller" /hangup >/dev/null || true
theirs=$(awk -v a="$c0" -v b="$c1" -v t="$TICKS" 'BEGIN {printf "%.3f", (b - a) / t}')
echo "  sip7940 call: ${ours} s CPU (whole process, ${sent} packets sent)"
echo "  baresip call: ${theirs} s CPU (during the call only)"
awk -v a="$ours" -v b="$theirs" 'BEGIN { if (a > 0) printf "  baresip / sip7940: %.1f×\n", b / a; else print "  sip7940 used less than a clock tick" }'
scripts/peers/stop-baresip.sh "$WORK/bs-caller" >/dev/null 2>&1 || true

echo "== (b) scale: sip7940 loopback --calls N (2 × N streams in one process), ${SCALE_SECS} s calls"
first_rss=""
for n in $NS; do
  rate=$(( n / 5 > 20 ? n / 5 : 20 ))
  "$BIN" --config-dir profiles/loopback --set proxy1_port=$P1 --set voip_control_port=$PHONE \
    --set start_media_port=32000 --set end_media_port=60000 \
    loopback --calls "$n" --rate "$rate" --duration "$SCALE_SECS" --json > "$WORK/scale.json" || true
  python3 - "$WORK/scale.json" "$n" "${first_rss:-0}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2]); s = d["summary"]
rss = (s.get("peak_rss_kb") or 0) / 1024
print(f"  N={n:5d}: passed {s['passed']}/{s['calls']}, lost {s['lost']}, "
      f"lateness p50 {s['send_lateness']['p50_us']} µs p99 {s['send_lateness']['p99_us']} µs "
      f"max {s['send_lateness']['max_us']} µs, peak RSS {rss:.1f} MB ({rss * 1024 / n:.0f} kB per call)")
PY
done
