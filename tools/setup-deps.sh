#!/usr/bin/env bash
# Installs the Debian 12 packages that Umbra's build, tests and demo need.
# Idempotent and quick when everything is there: it asks dpkg first and runs apt-get only for
# what is missing. Usage: tools/setup-deps.sh [--fuzz]   (--fuzz adds clang and its fuzzer runtime)
set -euo pipefail

pkgs=(
    build-essential cmake pkg-config git
    libpcap-dev libzmq3-dev protobuf-c-compiler libprotobuf-c-dev libuv1-dev liblmdb-dev
    libyaml-dev libcyaml-dev libjansson-dev libxxhash-dev libcmocka-dev libssl-dev
    clang-format tshark python3 python3-xxhash
)
for arg in "$@"; do
    case "$arg" in
    --fuzz) pkgs+=(clang libclang-rt-14-dev) ;;
    -h | --help)
        sed -n '2,4s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *)
        echo "setup-deps: unknown option '$arg' (try --help)" >&2
        exit 2
        ;;
    esac
done

missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup-deps: all ${#pkgs[@]} packages present"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "setup-deps: missing packages: ${missing[*]}; run as root to install them" >&2
        exit 1
    fi
fi

echo "setup-deps: installing ${missing[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq && \
       "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    echo "setup-deps: apt-get failed; its last lines:" >&2
    tail -n 20 "$log" >&2
    exit 1
fi
echo "setup-deps: done"
