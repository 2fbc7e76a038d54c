#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the sensor on a bundled capture,
# printing what it saw. Usage: deploy/demo/run-demo.sh [CAPTURE]
# (default: tests/data/tls12-zeek-sample.pcap, one TLS 1.2 session from Zeek's test suite).
# As Umbra grows this becomes aggregator + sensors on a bundled scenario, printing alerts.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
capture=${1:-$root/tests/data/tls12-zeek-sample.pcap}

dir=$(bash "$root/tools/build.sh" | tail -n 1)
echo "== umbra-sensor -r $capture --json -"
"$dir/sensor/umbra-sensor" -r "$capture" --json -
