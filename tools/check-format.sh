#!/usr/bin/env bash
# Format check: every C file of the project must be as clang-format (.clang-format) leaves it.
# Usage: tools/check-format.sh [CLANG_FORMAT]   Fix with: clang-format -i FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${1:-clang-format}
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
else
    mapfile -t files < <(find common sensor aggregator tools tests bench -name '*.[ch]' 2>/dev/null)
fi
[ ${#files[@]} -gt 0 ] || { echo "check-format: no C files found" >&2; exit 1; }
bad=()
for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    "$cf" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "check-format: not clang-formatted (run: $cf -i ${bad[*]})" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files formatted"
