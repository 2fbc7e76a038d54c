#!/usr/bin/env bash
# Installs what is missing (tools/setup-deps.sh), then configures and builds Umbra.
# Usage: tools/build.sh [--asan] [--fuzz] [--release] [--werror]
#   (default)   RelWithDebInfo build in build/
#   --asan      ASan+UBSan build in build-asan/
#   --fuzz      clang libFuzzer build in build-fuzz/ (fuzz targets are real fuzzers there)
#   --release   Release build in build-release/
#   --werror    warnings are errors (CI)
# Prints the build directory as its last line. BUILD_JOBS overrides the parallelism.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

type=RelWithDebInfo dir=build werror=OFF fuzz=OFF setup_args=() cc_args=()
for arg in "$@"; do
    case "$arg" in
    --asan) type=Asan dir=build-asan ;;
    --release) type=Release dir=build-release ;;
    --fuzz)
        type=RelWithDebInfo dir=build-fuzz fuzz=ON setup_args+=(--fuzz)
        cc_args=(-DCMAKE_C_COMPILER=clang)
        ;;
    --werror) werror=ON ;;
    -h | --help)
        sed -n '2,9s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *)
        echo "build: unknown option '$arg' (try --help)" >&2
        exit 2
        ;;
    esac
done

bash "$root/tools/setup-deps.sh" "${setup_args[@]}" >&2
tests=ON
[ "$fuzz" = OFF ] || tests=OFF # fuzz builds hold the fuzz targets only
jobs=${BUILD_JOBS:-$(nproc)}
if ! out=$(cmake -S "$root" -B "$root/$dir" -DCMAKE_BUILD_TYPE="$type" -DUMBRA_WERROR="$werror" \
    -DUMBRA_FUZZ="$fuzz" -DUMBRA_BUILD_TESTS="$tests" "${cc_args[@]}" 2>&1); then
    echo "$out" >&2
    echo "build: cmake configure failed" >&2
    exit 1
fi
log="$root/$dir/build.log"
mkdir -p "$root/$dir"
echo "build: $type in $dir (log: $dir/build.log)" >&2
if ! cmake --build "$root/$dir" -j "$jobs" >"$log" 2>&1; then
    echo "build: FAILED; the last lines of $dir/build.log:" >&2
    tail -n 60 "$log" >&2
    exit 1
fi
echo "$root/$dir"
