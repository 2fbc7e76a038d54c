#!/usr/bin/env bash
# Generator benchmark (issue 5): umbra-gen writes tests/scenarios/bench.yaml at what rate, in
# how much memory. Two runs of the same scenario, one cut at 10 minutes and one whole (two
# hours of traffic): the packet rate of each, and the peak RSS of each, whose ratio shows
# whether memory stays flat as the capture grows. The capture goes to /dev/null (the whole
# one is over 40 GB); --disk also writes the 10-minute one to a file in $TMPDIR to show
# what a disk does to the rate.
# Usage: bench/run_gen_bench.sh [--disk]   (makes the release build with tools/build.sh first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(bash "$root/tools/build.sh" --release | tail -n 1)
gen="$dir/tools/gen/umbra-gen"
scenario="$root/tests/scenarios/bench.yaml"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/umbra-gen-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

run() { # label, umbra-gen arguments...
    local label=$1
    shift
    /usr/bin/time -f "%M" -o "$tmp/rss" "$gen" "$@" "$scenario" 2> "$tmp/err" || {
        cat "$tmp/err" >&2
        exit 1
    }
    local summary rss
    summary=$(grep '^umbra-gen:' "$tmp/err")
    rss=$(tail -n 1 "$tmp/rss")
    printf '%-12s %s; max RSS %s KiB\n' "$label" "${summary#umbra-gen: }" "$rss"
    echo "$rss" > "$tmp/rss.$label"
}

run 10min -d 10m -o /dev/null -l /dev/null
run whole -o /dev/null -l /dev/null
if [ "${1:-}" = --disk ]; then
    run 10min-disk -d 10m -o "$tmp/bench.pcap" -l "$tmp/bench.labels.jsonl"
fi
awk -v a="$(cat "$tmp/rss.10min")" -v b="$(cat "$tmp/rss.whole")" \
    'BEGIN { printf "memory: whole / 10 min = %.2f (flat when close to 1)\n", b / a }'
