#!/usr/bin/env bash
# The oracle checked against tshark's own conversation tables (-z conv,tcp / conv,udp): for every
# capture, the oracle's flows plus the frames its rules leave out must add up, per conversation
# and direction, to tshark's frame counts (tshark_flows.py --self-check). Independent of the
# sensor: this guards the oracle itself.
# Usage: self_check_all.sh [PCAP_DIR...]  (default: tests/data, and ../shared/pcaps if present)
# Exit 0 when every capture checks out, 1 otherwise, 77 (skipped) without tshark.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v tshark >/dev/null 2>&1 || { echo "self_check_all.sh: no tshark: skipped"; exit 77; }
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
    dirs=("$root/tests/data")
    [ -d "$root/../shared/pcaps" ] && dirs+=("$root/../shared/pcaps")
fi
fails=0 passes=0
for d in "${dirs[@]}"; do
    while IFS= read -r -d '' f; do
        if python3 "$here/tshark_flows.py" --self-check "$f" >/dev/null 2>"${TMPDIR:-/tmp}/umbra-selfcheck.err"; then
            passes=$((passes + 1))
        else
            fails=$((fails + 1))
            echo "FAIL: $f" >&2
            cat "${TMPDIR:-/tmp}/umbra-selfcheck.err" >&2
        fi
    done < <(find "$d" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
done
rm -f "${TMPDIR:-/tmp}/umbra-selfcheck.err"
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
