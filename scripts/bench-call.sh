#!/usr/bin/env bash
# Call-path benchmark on loopback, against one Kamailio and one sipp UAS in one run:
#   - sip7940: one phone in one process (benches/call_path.rs) places N calls to 9999
#   - sipp's uac_call.xml -m N, the anchor: the same caller (12345), the same target
# Kamailio routes 9999 to a sipp UAS (uas_answer.xml, no ring time) and challenges every
# INVITE from 12345, so each call is INVITE, 407, ACK, INVITE, 100/180/200, ACK, BYE, 200
# with no hold time and no media. Both clients run one call at a time, then C at a time,
# RUNS times, interleaved; the median calls/s of each and the ratio are printed, and the
# CPU time (user + system) each client process spent per call.
# sip7940's time runs from its first INVITE to its last BYE's 200 (the registration
# before is not timed); sipp's from process start to exit (a few ms of N calls). Both
# sipps run with -timer_resol 1 (its default 10 ms tick would add to every call).
# Everything shares the machine's cores, so the calls/s are those of the whole path
# (Kamailio and the UAS included); the CPU per call is the client's own cost.
# Needs kamailio and sipp (scripts/setup.sh with SETUP_PEERS=1). Not part of the tests.
#   N=1000 C=10 RUNS=3 scripts/bench-call.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-1000}"
C="${C:-10}"
RUNS="${RUNS:-3}"
SIPP="$(command -v sipp || true)"
[ -n "$SIPP" ] || { echo "sipp not installed: run scripts/setup.sh with SETUP_PEERS=1" >&2; exit 2; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-call.XXXXXX")"
UAS_PID=""
cleanup() {
  [ -n "$UAS_PID" ] && kill "$UAS_PID" 2>/dev/null || true
  [ -f "$WORK/kam/kamailio.pid" ] && scripts/peers/stop-registrar.sh "$WORK/kam" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The bench binary, built once (optimized, like every cargo bench).
BENCH="$(cargo bench --locked --bench call_path --no-run --message-format=json 2>"$WORK/build.log" |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "call_path" and m.get("executable"):
        print(m["executable"])')" || { cat "$WORK/build.log" >&2; exit 2; }
[ -x "$BENCH" ] || { echo "bench-call: no call_path executable" >&2; cat "$WORK/build.log" >&2; exit 2; }

# Ten consecutive ports free on 127.0.0.1 (UDP), below the ephemeral range.
BASE="$(python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(29000, 31900, 2)
    try:
        held = []
        for p in range(base, base + 10):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", p))
            held.append(s)
        print(base)
        break
    except OSError:
        pass
PY
)"
[ -n "$BASE" ] || { echo "bench-call: no free ports" >&2; exit 2; }
P1=$BASE; P2=$((BASE + 1)); UAS=$((BASE + 2)); PHONE=$((BASE + 3)); UAC=$((BASE + 4))
CTL1=$((BASE + 5)); CTL2=$((BASE + 6)); MP1=$((BASE + 10)); MP2=$((BASE + 14))

KAM_PORTS="$P1,$P2" KAM_TRACE=0 KAM_SHM_MB="${KAM_SHM_MB:-512}" KAM_ROUTES="9999:127.0.0.1:$UAS" \
  scripts/peers/start-registrar.sh "$WORK/kam" >/dev/null
SCEN="$PWD/scripts/peers/sipp"
# The far end: answers every call at once, for at most 15 minutes.
(cd "$WORK" && exec "$SIPP" -sf "$SCEN/uas_answer.xml" -i 127.0.0.1 -p $UAS -mi 127.0.0.1 -mp $MP1 \
   -cp $CTL1 -d 0 -timer_resol 1 -nostdin -timeout 900s > "$WORK/uas.log" 2>&1) &
UAS_PID=$!
for _ in $(seq 1 100); do
  grep -qi "$(printf ':%04X ' $UAS)" /proc/net/udp && break
  sleep 0.1
done
grep -qi "$(printf ':%04X ' $UAS)" /proc/net/udp || { echo "bench-call: sipp UAS did not start" >&2; cat "$WORK/uas.log" >&2; exit 2; }

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# CPU seconds (user + system) of a command and its children, from bash's `time`.
TIMEFORMAT='%3U %3S'
cpu_us_per_call() { awk -v n="$N" '{printf "%.1f\n", ($1 + $2) * 1e6 / n}' "$1"; }

ours() { # concurrency: appends calls/s to ours-C, CPU us/call to ours-cpu-C
  { time "$BENCH" --proxy-port $P1 --sip-port $PHONE --number 9999 --calls "$N" --concurrency "$1" \
      --config-dir profiles/loopback --max-secs 300 > "$WORK/ours.out" 2>&1; } 2> "$WORK/ours.time" ||
    { echo "bench-call: sip7940 run failed" >&2; cat "$WORK/ours.out" >&2; exit 1; }
  sed -n 's/.*: \([0-9.]*\) calls\/s.*/\1/p' "$WORK/ours.out" >> "$WORK/ours-$1"
  cpu_us_per_call "$WORK/ours.time" >> "$WORK/ours-cpu-$1"
  tail -n1 "$WORK/ours.out" > "$WORK/ours-last-$1"
}

anchor() { # concurrency: appends calls/s to sipp-C, CPU us/call to sipp-cpu-C
  local t0 t1
  t0=$(now_ns)
  { time (cd "$WORK" && "$SIPP" -sf "$SCEN/uac_call.xml" -s 9999 -key caller 12345 -au 12345 \
      -ap sipgatepassword -i 127.0.0.1 -p $UAC -mi 127.0.0.1 -mp $MP2 -cp $CTL2 -d 0 -m "$N" -l "$1" \
      -r 100000 -timer_resol 1 -nostdin -timeout 300s -timeout_error 127.0.0.1:$P1 > "$WORK/sipp.out" 2>&1); } \
      2> "$WORK/sipp.time" ||
    { echo "bench-call: sipp run failed" >&2; tail -30 "$WORK/sipp.out" >&2; exit 1; }
  t1=$(now_ns)
  python3 -c "print(f'{$N / (($t1 - $t0) / 1e9):.1f}')" >> "$WORK/sipp-$1"
  cpu_us_per_call "$WORK/sipp.time" >> "$WORK/sipp-cpu-$1"
}

for c in 1 "$C"; do
  for _ in $(seq 1 "$RUNS"); do
    ours "$c"
    anchor "$c"
  done
done

echo "call path through Kamailio (407 on every INVITE) to a sipp UAS on loopback, $N calls a run,"
echo "median of $RUNS runs, interleaved ($(nproc) cores; client CPU = user + system of its process):"
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
for c in 1 "$C"; do
  o=$(median < "$WORK/ours-$c"); s=$(median < "$WORK/sipp-$c")
  oc=$(median < "$WORK/ours-cpu-$c"); sc=$(median < "$WORK/sipp-cpu-$c")
  echo "  $c at a time: sip7940 ${o} calls/s, sipp uac_call.xml ${s} calls/s, ratio $(ratio "$o" "$s")"
  echo "    client CPU per call: sip7940 ${oc} us, sipp ${sc} us, ratio $(ratio "$oc" "$sc")"
  echo "    runs (calls/s): sip7940 $(tr '\n' ' ' < "$WORK/ours-$c")| sipp $(tr '\n' ' ' < "$WORK/sipp-$c")"
  echo "    last sip7940 run: $(cat "$WORK/ours-last-$c")"
done
