#!/usr/bin/env bash
# End-to-end: umbra-sensor capturing live on the loopback interface. Sends 20 UDP datagrams to
# 127.0.0.1 only, then stops the sensor with SIGTERM and checks what it counted.
# Needs root or CAP_NET_RAW; exits 77 (ctest: skipped) without it.
# Usage: sensor_live_lo.sh UMBRA_SENSOR
set -uo pipefail
sensor=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/umbra-e2e-XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$((40000 + RANDOM % 20000))
"$sensor" -i lo -f "udp and dst port $port" -s 256 -B 2MiB >"$work/out" 2>"$work/err" &
pid=$!
# Wait until the capture is open (or has failed).
for _ in $(seq 1 50); do
    grep -q 'capture: opened' "$work/err" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
if ! grep -q 'capture: opened' "$work/err"; then
    wait $pid
    if grep -qiE 'permission|not permitted' "$work/err"; then
        echo "skipped: live capture needs root or CAP_NET_RAW"
        exit 77
    fi
    echo "FAIL: sensor did not open lo:" >&2
    cat "$work/err" >&2
    exit 1
fi

python3 - "$port" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"x" * 100, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.01)
PY
sleep 0.5 # longer than the poll timeout, so the last packets are read
kill -TERM $pid
wait $pid
rc=$?
pid=
fails=0
[ $rc -eq 0 ] || { echo "FAIL: exit status $rc" >&2; fails=1; }
# 20 datagrams of 100 bytes: 14 (Ethernet header on lo) + 20 (IPv4) + 8 (UDP) + 100 = 142 bytes.
grep -qE '^  packets_read +20$' "$work/out" || { echo "FAIL: expected 20 packets" >&2; fails=1; }
grep -qE '^  bytes_read +2840$' "$work/out" || { echo "FAIL: expected 2840 bytes" >&2; fails=1; }
grep -qE '^  kernel_dropped +0$' "$work/out" || { echo "FAIL: kernel drops" >&2; fails=1; }
grep -q 'linktype=EN10MB' "$work/err" || { echo "FAIL: lo link type" >&2; fails=1; }
# The 20 datagrams share one 5-tuple: one UDP flow, ended at shutdown.
grep -qE '^  flows_created +1$' "$work/out" || { echo "FAIL: expected 1 flow" >&2; fails=1; }
grep -qE '^  flows_ended_shutdown +1$' "$work/out" || { echo "FAIL: flow not ended" >&2; fails=1; }
[ $fails -eq 0 ] || { cat "$work/out" "$work/err" >&2; exit 1; }
echo "live capture on lo: 20 packets, 2840 bytes, 1 flow, 0 kernel drops"
