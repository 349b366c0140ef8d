#!/usr/bin/env bash
# Registration benchmark on loopback, against one Kamailio in one run:
#   - sip7940 register (process start -> REGISTERED -> exit), N runs
#   - sipp's uac_register.xml (process start -> 401 -> 200 -> exit), N runs, the anchor
#   - sip7940's in-process setup time (first REGISTER to 200, challenge included) beside
#     the physical floor: two round trips (challenge and answer)
# Prints medians in milliseconds. Needs kamailio and sipp (scripts/setup.sh SETUP_PEERS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-30}"
BIN="${SIP7940:-${CARGO_TARGET_DIR:-target}/release/sip7940}"
[ -x "$BIN" ] || cargo build --release --locked
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-register.XXXXXX")"
P1=$((27000 + RANDOM % 2000)); P2=$((P1 + 1)); PHONE=$((P1 + 2)); SIPP=$((P1 + 3)); MP=$((P1 + 10))
KAM_PORTS="$P1,$P2" KAM_TRACE=0 scripts/peers/start-registrar.sh "$WORK/kam" >/dev/null
trap 'scripts/peers/stop-registrar.sh "$WORK/kam" >/dev/null 2>&1; rm -rf "$WORK"' EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

: > "$WORK/ours.ms"; : > "$WORK/setup.ms"; : > "$WORK/rtt.ms"; : > "$WORK/sipp.ms"
for i in $(seq 1 "$N"); do
  t0=$(now_ms)
  "$BIN" --config-dir profiles/loopback --set proxy1_port=$P1 --set voip_control_port=$PHONE \
    --set 'line2_name=""' register --bind 127.0.0.1 --keep --json > "$WORK/out.json"
  t1=$(now_ms)
  echo $((t1 - t0)) >> "$WORK/ours.ms"
  python3 - "$WORK/out.json" "$WORK/setup.ms" "$WORK/rtt.ms" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["lines"][0]
assert d["state"] == "REGISTERED", d
open(sys.argv[2], "a").write(f"{d['setup_ms']:.3f}\n")
open(sys.argv[3], "a").write(f"{d['rtt_ms']:.3f}\n")
PY
  t0=$(now_ms)
  (cd "$WORK" && sipp -sf "$OLDPWD/scripts/peers/sipp/uac_register.xml" -s 12345 -ap sipgatepassword \
     -key contact_port 5999 -key expires 300 -i 127.0.0.1 -p $SIPP -mp $MP -cp $((MP + 5)) -m 1 -nostdin \
     -timeout 10s -timeout_error 127.0.0.1:$P1 > /dev/null 2>&1)
  t1=$(now_ms)
  echo $((t1 - t0)) >> "$WORK/sipp.ms"
done
ours=$(median < "$WORK/ours.ms"); sipp=$(median < "$WORK/sipp.ms")
setup=$(median < "$WORK/setup.ms"); rtt=$(median < "$WORK/rtt.ms")
floor=$(python3 -c "print(f'{2*$rtt:.3f}')")
echo "registration against Kamailio on loopback, median of $N runs:"
echo "  sip7940 register, process start to exit:  ${ours} ms"
echo "  sipp uac_register.xml, start to exit:      ${sipp} ms   (anchor, same Kamailio, same run)"
echo "  sip7940 in-process, first REGISTER to 200: ${setup} ms"
echo "  floor, two round trips (2 x ${rtt} ms):     ${floor} ms"
python3 -c "print(f'  in-process setup is {($setup)/($floor):.2f}x the two-round-trip floor')"
