#!/usr/bin/env bash
# Banned functions (STYLE.md, after curl's checksrc): unbounded or thread-unsafe calls that have
# a safe replacement. VLAs are refused by the compiler (-Wvla).
set -euo pipefail
cd "$(dirname "$0")/.."
banned='gets|strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|alloca'
if hits=$(grep -rnE --include='*.c' --include='*.h' "\\b($banned)[[:space:]]*\\(" \
        common sensor aggregator tools tests bench 2>/dev/null); then
    echo "check-banned: banned functions used (use snprintf, strtol, strtok_r, memcpy):" >&2
    echo "$hits" >&2
    exit 1
fi
echo "check-banned: none of $banned used"
