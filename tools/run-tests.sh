#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test with ctest
# (unit tests, fuzz-corpus replays, end-to-end tests, format and banned-function checks).
# Usage: tools/run-tests.sh [--asan] [--werror] [-- CTEST_ARGS...]
# Exit status is ctest's: non-zero when any test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

build_args=() ctest_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --asan | --werror) build_args+=("$1") ;;
    --) shift; ctest_args=("$@"); break ;;
    -h | --help)
        sed -n '2,5s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *)
        echo "run-tests: unknown option '$1' (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

dir=$(bash "$root/tools/build.sh" "${build_args[@]}" | tail -n 1)
cd "$dir"
ctest --output-on-failure -j "${TEST_JOBS:-$(nproc)}" "${ctest_args[@]}"
