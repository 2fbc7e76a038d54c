#!/usr/bin/env bash
# Flow oracle over every capture: the sensor's flow records against tshark-derived expectations.
# Usage: run_all.sh SENSOR_BIN [PCAP_DIR...]
#   Default directories: the repository's tests/data and, if it exists, ../shared/pcaps next to
#   the repository root. Captures in which tshark dissects no TCP or UDP are skipped; identical
#   files are compared once. Prints "FILE: matched M / N oracle flows" per capture (differences
#   on stderr). Exit 0 when every capture matches fully, 1 otherwise, 77 (ctest: skipped) when
#   tshark or python3 is missing, 2 on usage errors.
# Extra options for compare_flows.py (rule parameters, -j) can be given in ORACLE_OPTS.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ $# -lt 1 ]; then
    echo "usage: run_all.sh SENSOR_BIN [PCAP_DIR...]" >&2
    exit 2
fi
sensor=$1
shift
if [ ! -x "$sensor" ]; then
    echo "run_all.sh: sensor binary not executable: $sensor" >&2
    exit 2
fi
if ! command -v "${TSHARK:-tshark}" >/dev/null 2>&1; then
    echo "run_all.sh: tshark not found: skipped" >&2
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "run_all.sh: python3 not found: skipped" >&2
    exit 77
fi

dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
    dirs=("$root/tests/data")
    [ -d "$root/../shared/pcaps" ] && dirs+=("$root/../shared/pcaps")
fi

captures=()
for d in "${dirs[@]}"; do
    if [ ! -d "$d" ]; then
        echo "run_all.sh: not a directory: $d" >&2
        exit 2
    fi
    while IFS= read -r -d '' f; do
        captures+=("$f")
    done < <(find "$d" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
done
if [ ${#captures[@]} -eq 0 ]; then
    echo "run_all.sh: no captures in ${dirs[*]}" >&2
    exit 77
fi

# shellcheck disable=SC2086 # ORACLE_OPTS is a list of options
python3 "$here/compare_flows.py" --sensor "$sensor" --summary --skip-empty --dedupe \
    --strict-events ${ORACLE_OPTS:-} "${captures[@]}"
rc=$?
if [ $rc -eq 0 ]; then
    echo "run_all.sh: every capture matches the oracle"
else
    echo "run_all.sh: FAIL (exit $rc): see the differences above" >&2
fi
exit $rc
