#!/usr/bin/env bash
# Runs libFuzzer targets (clang, ASan+UBSan) for a while each, starting from the committed seed
# corpora. New inputs go to a scratch directory, never into the tree; a crash fails the run and
# leaves its reproducer in that directory (add it to tests/fuzz/corpus/<target>/ once fixed).
# Usage: tools/fuzz.sh [--seconds N] [TARGET...]   (default: 60 s, every target)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

secs=60 targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) secs=$2; shift ;;
    -h | --help) sed -n '2,5s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) targets+=("$1") ;;
    esac
    shift
done
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$root"/tests/fuzz/fuzz_*.c; do
        t=$(basename "$f" .c)
        targets+=("${t#fuzz_}")
    done
fi

dir=$(bash "$root/tools/build.sh" --fuzz | tail -n 1)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/umbra-fuzz-XXXXXX")
failed=0
for t in "${targets[@]}"; do
    mkdir -p "$scratch/$t/new"
    echo "fuzz: $t for $secs s"
    if "$dir/tests/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$scratch/$t/" "$scratch/$t/new" "$root/tests/fuzz/corpus/$t" \
        >"$scratch/$t/log" 2>&1; then
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov: ' "$scratch/$t/log" | tail -n 3
    else
        failed=1
        echo "fuzz: $t FAILED; reproducer and log in $scratch/$t/" >&2
        tail -n 40 "$scratch/$t/log" >&2
    fi
done
[ $failed -eq 0 ] && rm -rf "$scratch"
exit $failed
