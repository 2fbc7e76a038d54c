#!/usr/bin/env bash
# Transport benchmark (docs/BENCHMARKS.md): flow records per second that one umbra-aggregator
# ingests (decode, check, dedupe, store with sync, ack) from 1, 4 and 16 sensor processes,
# beside raw ZeroMQ throughput of the same envelopes to a sink that only answers, and beside
# the load generators alone; alternating in one run: medians, spread, ratios.
# Usage: bench/run_transport_bench.sh [--runs N] [--senders "1 4 16"] [--no-doc] [--profile]
#   --runs N       rounds, each running every mode once per sender count (default 3)
#   --senders L    sender process counts, space-separated (default "1 4 16")
#   --no-doc       print the report only; do not refresh the section in docs/BENCHMARKS.md
#   --profile      afterwards, one more ingest and one more raw run with the most senders, the
#                  receiver under perf record -g; reports in BENCH_DIR/perf-{ingest,raw}.txt
# Environment (defaults in brackets):
#   BENCH_BUILD      build directory, Release, tests off [build-bench]
#   BENCH_DIR        keys, the aggregator's store (must be a disk, not tmpfs) [BENCH_BUILD/transport]
#   BENCH_SPOOL_DIR  the load generators' spools [/dev/shm when it is a tmpfs, else BENCH_DIR]
#   BENCH_RECORDS    records per run, split evenly between the senders [2000000]
#   BENCH_BATCH      records per batch (export.batch_records) [1024]
#   BENCH_WINDOW     batches in flight per sender (export.window) [64]
#   BENCH_PORT       TCP port on 127.0.0.1 [17931]
#   BENCH_PIN        1: the receiver on the last CPU, the senders on the others (taskset) [1]
# A measurement, not a test: exits 0 whether the targets are met or not, 1 if something broke.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

runs=3 doc=1 profile=0 senders_list="1 4 16"
while [ $# -gt 0 ]; do
    case "$1" in
    --runs)
        runs=${2:-}
        shift
        ;;
    --senders)
        senders_list=${2:-}
        shift
        ;;
    --no-doc) doc=0 ;;
    --profile) profile=1 ;;
    -h | --help)
        sed -n '2,22s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *)
        echo "transport-bench: unknown option '$1' (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done
case "$runs" in
'' | *[!0-9]* | 0)
    echo "transport-bench: --runs needs a positive number" >&2
    exit 2
    ;;
esac
read -r -a senders_all <<<"$senders_list"
for n in "${senders_all[@]}"; do
    case "$n" in
    '' | *[!0-9]* | 0)
        echo "transport-bench: --senders takes positive numbers" >&2
        exit 2
        ;;
    esac
done

say() { echo "transport-bench: $*" >&2; }
die() {
    say "$*"
    exit 1
}

build=${BENCH_BUILD:-$root/build-bench}
bdir=${BENCH_DIR:-$build/transport}
records=${BENCH_RECORDS:-2000000}
batch=${BENCH_BATCH:-1024}
window=${BENCH_WINDOW:-64}
port=${BENCH_PORT:-17931}
pin=${BENCH_PIN:-1}
endpoint=tcp://127.0.0.1:$port
ncpu=$(nproc)
[ "$ncpu" -ge 2 ] || pin=0

# 1. The aggregator, umbra-ctl and the two bench programs: Release, in a directory of their own.
say "building in $build"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DUMBRA_BUILD_TESTS=OFF \
    -DUMBRA_BUILD_BENCH=ON >"$build/transport-bench-build.log" 2>&1 ||
    die "cmake configure failed (log: $build/transport-bench-build.log)"
cmake --build "$build" -j "$ncpu" --target umbra-aggregator umbra-ctl transport_load raw_sink \
    >>"$build/transport-bench-build.log" 2>&1 ||
    die "the build failed (log: $build/transport-bench-build.log)"
agg=$build/aggregator/umbra-aggregator
ctl=$build/tools/ctl/umbra-ctl
load=$build/bench/transport_load
sink=$build/bench/raw_sink

# 2. Places: the store on a disk (store.sync is the point), the spools in memory if possible
# (a spool is the sensor's disk, on another machine in a real deployment).
mkdir -p "$bdir"
bdir=$(cd "$bdir" && pwd)
fs_type() { findmnt -n -o FSTYPE -T "$1" 2>/dev/null | head -n 1 || stat -f -c %T "$1"; }
store_fs=$(fs_type "$bdir")
[ "$store_fs" != tmpfs ] && [ "$store_fs" != ramfs ] ||
    die "$bdir is on $store_fs: the aggregator's store must be on a disk (set BENCH_DIR)"
store_dev=$(basename "$(df -P "$bdir" | awk 'NR == 2 { print $1 }')")
if [ -z "${BENCH_SPOOL_DIR:-}" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
    spool_root=/dev/shm
else
    spool_root=${BENCH_SPOOL_DIR:-$bdir}
fi
work=$(mktemp -d "$spool_root/umbra-transport-bench.XXXXXX")
agg_pid="" sink_pid="" gen_pids=()
cleanup() {
    for p in "${gen_pids[@]}" $agg_pid $sink_pid; do
        kill "$p" 2>/dev/null || true
    done
    rm -rf "$work" "$bdir/store"
}
trap cleanup EXIT
if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
    die "port $port is in use (set BENCH_PORT)"
fi

# 3. Keys: the aggregator's pair, and one pair per sender allowed in under its own name.
keys=$bdir/keys
max_senders=$(printf '%s\n' "${senders_all[@]}" | sort -n | tail -n 1)
"$ctl" keygen --dir "$keys" --force aggregator >/dev/null || die "umbra-ctl keygen failed"
for i in $(seq 1 "$max_senders"); do
    [ -s "$keys/sensors/load-$i.key" ] ||
        "$ctl" keygen --dir "$keys/sensors" load-"$i" >/dev/null || die "umbra-ctl keygen failed"
done

if [ "$pin" = 1 ]; then
    recv_cpu=$((ncpu - 1))
    gen_cpus=0-$((ncpu - 2))
    [ "$ncpu" -gt 2 ] || gen_cpus=0
    recv_pin=(taskset -c "$recv_cpu")
    gen_pin=(taskset -c "$gen_cpus")
else
    recv_pin=() gen_pin=()
fi

# CPU ticks of every thread of process $1: "main ZMQ-I/O other".
thread_ticks() {
    local main=0 io=0 other=0 t stat comm ticks
    for t in /proc/"$1"/task/*; do
        stat=$(cat "$t/stat" 2>/dev/null) || continue
        comm=$(cat "$t/comm" 2>/dev/null) || continue
        ticks=$(echo "${stat##*) }" | awk '{ print $12 + $13 }')
        if [ "${t##*/}" = "$1" ]; then
            main=$((main + ticks))
        elif [[ "$comm" == ZMQbg/IO* ]]; then
            io=$((io + ticks))
        else
            other=$((other + ticks))
        fi
    done
    echo "$main $io $other"
}
field() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
hz=$(getconf CLK_TCK)

# One run: mode (ingest, raw, gen) and sender count. Appends "mode n rate mbps recs bytes wall
# recv_cpu_main recv_cpu_io batches_per_commit recv_cpu_other" to $work/results.
run_one() {
    local mode=$1 n=$2 i per rest out
    rm -rf "$work/run" "$bdir/store"
    mkdir -p "$work/run"
    out=$work/run/receiver.out
    if [ "$mode" = ingest ]; then
        "${recv_pin[@]}" "$agg" --keys "$keys" --listen "$endpoint" --data "$bdir/store" \
            --set store.sync=true -q >"$out" 2>"$work/run/receiver.err" &
    else
        "${recv_pin[@]}" "$sink" --listen "$endpoint" --key "$keys/aggregator.key" \
            >"$out" 2>"$work/run/receiver.err" &
    fi
    local rpid=$!
    if [ "$mode" = ingest ]; then agg_pid=$rpid; else sink_pid=$rpid; fi
    per=$((records / n)) rest=$((records % n))
    gen_pids=()
    for i in $(seq 1 "$n"); do
        local cnt=$per args=()
        [ "$i" -gt "$rest" ] || cnt=$((per + 1))
        [ "$mode" = raw ] && args=(--raw) || args=(--spool "$work/run/spool-$i")
        "${gen_pin[@]}" "$load" --endpoint "$endpoint" --key "$keys/sensors/load-$i.key" \
            --server-key "$keys/aggregator.pub" --name "load-$i" --records "$cnt" \
            --batch-records "$batch" --window "$window" --seed "$i" "${args[@]}" \
            --ready "$work/run/ready-$i" --go "$work/run/go" \
            >"$work/run/load-$i.out" 2>"$work/run/load-$i.err" &
        gen_pids+=($!)
    done
    local waited=0
    while [ "$(find "$work/run" -name 'ready-*' | wc -l)" -lt "$n" ]; do
        for p in "${gen_pids[@]}" "$rpid"; do
            kill -0 "$p" 2>/dev/null ||
                die "$mode/$n: a process exited early (see $work/run: $(cat "$work"/run/*.err))"
        done
        sleep 0.05
        waited=$((waited + 1))
        [ "$waited" -lt 2400 ] || die "$mode/$n: the senders were not ready within 120 s"
    done
    local before after
    before=$(thread_ticks "$rpid")
    : >"$work/run/go"
    for p in "${gen_pids[@]}"; do
        wait "$p" || die "$mode/$n: a load generator failed: $(cat "$work"/run/load-*.err)"
    done
    after=$(thread_ticks "$rpid")
    gen_pids=()
    kill -TERM "$rpid"
    wait "$rpid" || die "$mode/$n: the receiver exited with an error: $(cat "$work/run/receiver.err")"
    agg_pid="" sink_pid=""
    # Totals over the senders: records, bytes, first t0, last t1.
    local sum
    sum=$(cat "$work"/run/load-*.out | awk '
        $1 == "records" { r += $2 } $1 == "bytes" { b += $2 }
        $1 == "t0_ns" { if (t0 == "" || $2 < t0) t0 = $2 }
        $1 == "t1_ns" { if ($2 > t1) t1 = $2 }
        $1 == "resent" { rs += $2 } $1 == "ack_timeouts" { at += $2 }
        END { printf "%d %d %.6f %d %d\n", r, b, (t1 - t0) / 1e9, rs, at }')
    local recs bytes wall resent timeouts
    read -r recs bytes wall resent timeouts <<<"$sum"
    [ "$recs" = "$records" ] || die "$mode/$n: the senders report $recs records, not $records"
    local per_commit=-
    if [ "$mode" = ingest ]; then
        local applied commits
        applied=$(field records_applied "$out")
        commits=$(field commits "$out")
        [ "$applied" = "$records" ] ||
            die "$mode/$n: the aggregator applied $applied records, not $records"
        per_commit=$(awk -v b="$(field batches_applied "$out")" -v c="$commits" \
            'BEGIN { printf "%.1f", c ? b / c : 0 }')
    else
        [ "$(field acks_sent "$out")" -ge "$(((records + batch - 1) / batch))" ] ||
            die "$mode/$n: the sink sent fewer acks than there were batches"
    fi
    [ "$resent" = 0 ] && [ "$timeouts" = 0 ] ||
        say "warning: $mode/$n: $resent batches resent, $timeouts ack timeouts"
    read -r bm bi bo <<<"$before"
    read -r am ai ao <<<"$after"
    awk -v m="$mode" -v n="$n" -v r="$recs" -v b="$bytes" -v w="$wall" -v hz="$hz" \
        -v cm="$((am - bm))" -v ci="$((ai - bi))" -v pc="$per_commit" -v co="$((ao - bo))" 'BEGIN {
        printf "%s %d %.0f %.1f %d %d %.6f %.3f %.3f %s %.3f\n", m, n, r / w, b / w / 1e6, r, b, w,
            cm / hz / w, ci / hz / w, pc, co / hz / w
    }' >>"$work/results"
    tail -n 1 "$work/results" | awk '{ printf "transport-bench:   %-6s %2d senders: %9d records/s %7.1f MB/s (%.2f s; receiver CPU: main %.2f, ZMQ I/O %.2f, other %.2f)\n", $1, $2, $3, $4, $7, $8, $9, $11 }' >&2
}

# 4. The runs: per round, per sender count, ingest, raw and the generator alone in turn.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "$runs rounds of ${senders_all[*]} senders, $records records per run, batches of $batch, window $window"
: >"$work/results"
t_start=$(date +%s)
for r in $(seq 1 "$runs"); do
    for n in "${senders_all[@]}"; do
        say "round $r/$runs, $n senders"
        run_one ingest "$n"
        run_one raw "$n"
        run_one gen "$n"
    done
done
t_end=$(date +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# 5. Medians and spreads per mode and sender count.
col() { awk -v m="$1" -v n="$2" -v c="$3" '$1 == m && $2 == n { print $c }' "$work/results"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { sort -g | awk '{ v[NR] = $1 } END { printf "%d-%d", v[1], v[NR] }'; }
mean_size=$(awk '$1 == "ingest" { r += $5; b += $6 } END { printf "%.0f", b / r }' "$work/results")
raw_size=$(awk '$1 == "raw" { r += $5; b += $6 } END { printf "%.0f", b / r }' "$work/results")
rows="" verdicts="" all_ok=PASS
for n in "${senders_all[@]}"; do
    ir=$(col ingest "$n" 3 | median) rr=$(col raw "$n" 3 | median) gr=$(col gen "$n" 3 | median)
    im=$(col ingest "$n" 4 | median) rm_=$(col raw "$n" 4 | median)
    is=$(col ingest "$n" 3 | spread) rs=$(col raw "$n" 3 | spread) gs=$(col gen "$n" 3 | spread)
    icm=$(col ingest "$n" 8 | median) ici=$(col ingest "$n" 9 | median)
    ico=$(col ingest "$n" 11 | median)
    rcm=$(col raw "$n" 8 | median) rci=$(col raw "$n" 9 | median)
    pc=$(col ingest "$n" 10 | median)
    read -r ratio gratio ok < <(awk -v i="$ir" -v r="$rr" -v g="$gr" 'BEGIN {
        printf "%.3f %.3f %s\n", i / r, i / g, (i / r >= 0.5 && i >= 500000) ? "PASS" : "FAIL" }')
    [ "$ok" = PASS ] || all_ok=FAIL
    rows+="| $n | $ir ($is) | $im | $rr ($rs) | $rm_ | **$ratio** | $gr ($gs) | $gratio | $icm + $ici + $ico | $rcm + $rci | $pc |
"
    verdicts+="- $n sender(s): **$ok**: $ir records/s, $ratio of raw ZeroMQ.
"
done
per_run=$(awk '{ printf "%s%s/%d %d", (NR > 1 ? "; " : ""), $1, $2, $3 }' "$work/results")

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$root" status --porcelain 2>/dev/null)" ] || commit="$commit + uncommitted changes"
now=$(date -u '+%Y-%m-%d %H:%M UTC')
if [ "$pin" = 1 ]; then
    pin_text="the receiver (umbra-aggregator or raw_sink, every thread of it: the loop and
ZeroMQ's I/O thread, which does the CURVE decryption) pinned to CPU $recv_cpu with \`taskset\`,
the senders to CPU $gen_cpus"
else
    pin_text="no CPU pinning (BENCH_PIN=0 or a single CPU)"
fi

report=$(
    cat <<EOF
Measured $now at commit $commit.

Machine: $ncpu CPUs ($cpu), $ram RAM, Linux $(uname -r); libzmq $(pkg-config --modversion libzmq 2>/dev/null || echo '?'),
protobuf-c $(pkg-config --modversion libprotobuf-c 2>/dev/null || echo '?'), LMDB $(pkg-config --modversion lmdb 2>/dev/null || echo '?').
Load average (1, 5, 15 min): $load_start at the start, $load_end at the end; $((t_end - t_start)) s of runs.
Placement: $pin_text. Aggregator store on the disk ($store_fs on $store_dev), \`store.sync: true\`,
the aggregator's other settings at their defaults (ingest.group_commit 256, group_fill 32,
group_wait 8ms); sender spools on
$(fs_type "$spool_root").

Each run: $records records in batches of $batch (export.batch_records; 1 MiB batch_bytes),
window $window, CURVE on every connection, split evenly between the senders. Envelope bytes per
record: $mean_size (export mode), $raw_size (raw mode). Rates are records (or envelope bytes)
over the time from the first sender's start to the last sender's last ack.

| senders | ingest records/s (spread) | ingest MB/s | raw ZeroMQ records/s (spread) | raw MB/s | ingest / raw | generator alone records/s (spread) | ingest / generator | aggregator CPU: loop + ZMQ I/O + store writer | raw sink CPU: loop + ZMQ I/O | batches per commit |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$rows
Medians of $runs alternating runs; the spread is the lowest and highest run. CPU columns are
cores busy during the timed window (1.00 = one core), per thread; the aggregator's other
threads are its segment writer (umbra-segw) and libuv's.
Every run, mode/senders records/s: $per_run.

Targets (ingest at least 0.5 of raw ZeroMQ and at least 500,000 records/s): **$all_ok**.

$verdicts
Command: \`bash bench/run_transport_bench.sh\` (BENCH_RECORDS=$records BENCH_BATCH=$batch
BENCH_WINDOW=$window BENCH_PIN=$pin --runs $runs --senders "${senders_all[*]}").
EOF
)

echo "$report"

# 6. The profiles: one more run of each receiver with the most senders, under perf. Samples
# come at a fixed rate of CPU time, so samples per record compare the two receivers' costs.
profile_one() {
    local mode=$1 prog=$2 perf_out=$bdir/perf-$1.data
    say "profiling one $mode run with $max_senders senders"
    (
        while [ -z "$(pgrep -f "$prog --" || true)" ]; do sleep 0.05; done
        p=$(pgrep -f "$prog --" | head -n 1)
        while [ ! -e "$work/run/go" ]; do sleep 0.01; done
        perf record -g -o "$perf_out" -p "$p" >/dev/null 2>&1
    ) &
    perf_pid=$!
    run_one "$mode" "$max_senders"
    wait "$perf_pid" || true
    # Self time per thread, library and symbol: the call chains of a build without frame
    # pointers are not worth printing.
    {
        echo "# $mode, $max_senders senders, $records records: samples by thread and library"
        perf report -i "$perf_out" --no-children --sort comm,dso --stdio -g none -n 2>/dev/null |
            grep -v '^#' | grep '%' | head -n 15
        echo "# by symbol"
        perf report -i "$perf_out" --no-children --sort comm,dso,symbol --stdio -g none 2>/dev/null |
            grep -v '^#' | grep '%' | head -n 60
    } >"$bdir/perf-$mode.txt" || true
    say "perf report: $bdir/perf-$mode.txt"
    head -n 20 "$bdir/perf-$mode.txt" >&2
}
if [ "$profile" = 1 ]; then
    command -v perf >/dev/null || die "--profile needs perf"
    profile_one ingest "$agg"
    profile_one raw "$sink"
fi

# 7. The section of docs/BENCHMARKS.md between the transport-bench markers.
if [ "$doc" = 1 ]; then
    md=$root/docs/BENCHMARKS.md
    printf '%s\n' "$report" | python3 "$root/bench/doc_section.py" "$md" transport-bench "Transport"
    say "refreshed the transport section of docs/BENCHMARKS.md"
fi
