#!/usr/bin/env bash
# Flow-tracking benchmark (docs/BENCHMARKS.md): umbra-sensor -r (flow tracking alone, and with
# every feature on) against a libpcap-only reader of the same large capture and against argus
# with its richest options, alternating in one run: medians, ratios, peak RSS, bytes per flow.
# Usage: bench/run_flow_bench.sh [--runs N] [--no-doc]
#   --runs N    runs of each program, alternating (default 3; the median is reported)
#   --no-doc    print the report only; do not refresh the section in docs/BENCHMARKS.md
# Environment (defaults in brackets):
#   BENCH_DIR         where the tools and the capture are kept [build-release/bench]
#   BENCH_INPUTS      input captures, space-separated [../shared/pcaps/: echo-500, mixed-capture2]
#   BENCH_PACKETS     packets in the capture [10000000]
#   BENCH_CONCURRENT  copies sending at once (make_capture -k) [1024]
#   BENCH_WEIGHTS     packet share of each input (make_capture -w) [1,3]
#   BENCH_MAX_GAP     longest gap kept inside an input, seconds (make_capture -g) [0.5]
#   BENCH_MAX_FLOWS   the sensor's flow.max_flows [make_capture's live-flow estimate + 10 %]
#   BENCH_ARGUS       1: also run argus -A -J -R -Z (installed from Debian if missing) [1]
# A measurement, not a test: exits 0 whether the targets are met or not, 1 if something broke.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

runs=3 doc=1
while [ $# -gt 0 ]; do
    case "$1" in
    --runs)
        runs=${2:-}
        shift
        ;;
    --no-doc) doc=0 ;;
    -h | --help)
        sed -n '2,19s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *)
        echo "flow-bench: unknown option '$1' (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done
case "$runs" in
'' | *[!0-9]* | 0)
    echo "flow-bench: --runs needs a positive number" >&2
    exit 2
    ;;
esac

say() { echo "flow-bench: $*" >&2; }
die() {
    say "$*"
    exit 1
}

pcaps=$(cd "$root/.." && pwd)/shared/pcaps
defaults="$pcaps/echo-500-conns-loopback-zeek.pcap $pcaps/mixed-capture2-mercury.pcap"
read -r -a inputs <<<"${BENCH_INPUTS:-$defaults}"
packets=${BENCH_PACKETS:-10000000}
concurrent=${BENCH_CONCURRENT:-1024}
weights=${BENCH_WEIGHTS:-1,3}
max_gap=${BENCH_MAX_GAP:-0.5}
for f in "${inputs[@]}"; do
    [ -r "$f" ] || die "input capture not found: $f (set BENCH_INPUTS)"
done

# 1. The sensor, in release mode, and argus from Debian (the reference flow meter).
use_argus=${BENCH_ARGUS:-1}
if [ "$use_argus" = 1 ] && ! command -v argus >/dev/null 2>&1 && [ ! -x /usr/sbin/argus ]; then
    if [ "$(id -u)" = 0 ]; then
        say "installing argus-server from Debian"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q argus-server >/dev/null ||
            die "apt-get install argus-server failed (BENCH_ARGUS=0 skips argus)"
    else
        die "argus is not installed: run as root, or install argus-server, or set BENCH_ARGUS=0"
    fi
fi
argus_bin=$(command -v argus || echo /usr/sbin/argus)
build=$(bash "$root/tools/build.sh" --release | tail -n 1) || die "the release build failed"
sensor=$build/sensor/umbra-sensor
[ -x "$sensor" ] || die "no sensor binary at $sensor"

# 2. The bench tools: C11 and libpcap only, so a direct compile is enough.
bdir=${BENCH_DIR:-$build/bench}
mkdir -p "$bdir"
cflags=(-std=c11 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wshadow
    -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wimplicit-fallthrough)
for tool in make_capture pcap_ceiling measure; do
    "${CC:-cc}" "${cflags[@]}" -o "$bdir/$tool" "$root/bench/$tool.c" -lpcap -lm ||
        die "compiling bench/$tool.c failed"
done

# 3. The capture, cached under a name that changes with the options, inputs and generator.
gen_args=(-n "$packets" -k "$concurrent" -w "$weights" -g "$max_gap")
key=$({
    echo "${gen_args[*]}"
    for f in "${inputs[@]}"; do
        echo "$(basename "$f") $(stat -c %s "$f")"
    done
    cat "$root/bench/make_capture.c"
} | sha256sum | cut -c1-12)
cap=$bdir/flows-$key.pcap
summary=$bdir/flows-$key.txt
if [ ! -s "$cap" ] || [ ! -s "$summary" ]; then
    # Stale captures of other options go first: each is gigabytes.
    find "$bdir" -maxdepth 1 -name 'flows-*' -delete
    # About 250 bytes a packet for the default inputs; ask for twice that.
    need_kb=$((packets / 2 + 1048576))
    avail_kb=$(df -Pk "$bdir" | awk 'NR == 2 { print $4 }')
    [ "$avail_kb" -ge "$need_kb" ] ||
        die "$bdir: ${avail_kb} KiB free, want ${need_kb} KiB for the capture (set BENCH_DIR)"
    say "making the capture ($packets packets) in $cap"
    "$bdir/make_capture" -o "$cap.part" "${gen_args[@]}" "${inputs[@]}" >"$summary.part" ||
        die "make_capture failed"
    mv "$cap.part" "$cap"
    mv "$summary.part" "$summary"
fi
field() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
est_peak=$(field live_flows_peak_est "$summary")
distinct=$(field distinct_flows "$summary")
span=$(field span_s "$summary")
cap_bytes=$(stat -c %s "$cap")
# The table sized as an operator would for this load: 10 % above the estimated peak (the
# estimate has been within 1 % of the sensor's count), rounded up to a multiple of 4096.
max_flows=${BENCH_MAX_FLOWS:-$(((est_peak * 11 / 10 + 4095) / 4096 * 4096))}

mem_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
[ $((cap_bytes / 1024)) -lt $((mem_kb / 2)) ] ||
    say "warning: the capture is over half the available memory: runs will include disk reads"

# 4. The runs, alternating; bench/measure.c records wall time, CPU time and peak RSS.
# Flow tracking alone: the per-packet features are off (the flow-only target of docs/FLOWS.md).
sensor_cmd=("$sensor" -r "$cap" --set "flow.max_flows=$max_flows" --set features.enabled=false -q)
# Every feature on (the defaults): packet dynamics, SPLT, byte distribution, handshakes.
feat_cmd=("$sensor" -r "$cap" --set "flow.max_flows=$max_flows" -q)
# argus's richest flow records: -A application byte counts, -J packet performance (jitter,
# intervals), -R response times, -Z packet size statistics. It writes its records (formatted
# as always) to /dev/null: in a file, 7.5 GB of them pushed the capture out of the page cache,
# and the next ceiling run read it from disk.
argus_cmd=("$argus_bin" -r "$cap" -w /dev/null -A -J -R -Z)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "warming the page cache"
"$bdir/pcap_ceiling" "$cap" >"$bdir/ceiling.out" || die "pcap_ceiling failed"
ceil_packets=$(field packets "$bdir/ceiling.out")
c_wall=() c_cpu=() s_wall=() s_cpu=() s_rss=() c_rss=()
f_wall=() f_cpu=() f_rss=() a_wall=() a_cpu=() a_rss=()
# measure_into PREFIX OUT CMD...: one measured run; appends to PREFIX_wall, _cpu and _rss.
measure_into() {
    local prefix=$1 out=$2
    shift 2
    "$bdir/measure" -o "$bdir/run.txt" "$@" >"$out" || die "measure failed"
    read -r wall user sys rss rc <"$bdir/run.txt"
    [ "$rc" = 0 ] || die "$1 exited with $rc (its output: $out)"
    eval "${prefix}_wall+=(\"\$wall\")"
    eval "${prefix}_cpu+=(\"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')\")"
    eval "${prefix}_rss+=(\"\$rss\")"
}
for i in $(seq 1 "$runs"); do
    # Every round starts with the capture in the page cache, whatever ran before it.
    cat "$cap" >/dev/null
    say "run $i/$runs: ceiling"
    "$bdir/measure" -o "$bdir/run.txt" "$bdir/pcap_ceiling" "$cap" >"$bdir/ceiling.out" ||
        die "measure failed"
    read -r wall user sys rss rc <"$bdir/run.txt"
    [ "$rc" = 0 ] || die "pcap_ceiling exited with $rc"
    c_wall+=("$wall") c_cpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')")
    c_rss+=("$rss")
    say "run $i/$runs: sensor"
    "$bdir/measure" -o "$bdir/run.txt" "${sensor_cmd[@]}" >"$bdir/sensor.out" ||
        die "measure failed"
    read -r wall user sys rss rc <"$bdir/run.txt"
    [ "$rc" = 0 ] || die "umbra-sensor exited with $rc (its output: $bdir/sensor.out)"
    s_wall+=("$wall") s_cpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')")
    s_rss+=("$rss")
    say "run $i/$runs: sensor with every feature"
    measure_into f "$bdir/features.out" "${feat_cmd[@]}"
    if [ "$use_argus" = 1 ]; then
        say "run $i/$runs: argus -A -J -R -Z"
        measure_into a "$bdir/argus.txt" "${argus_cmd[@]}"
    fi
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
read_packets=$(field packets_read "$bdir/sensor.out")
[ "$read_packets" = "$ceil_packets" ] ||
    die "the sensor read $read_packets packets, the ceiling $ceil_packets"
peak=$(field flows_active_peak "$bdir/sensor.out")
created=$(field flows_created "$bdir/sensor.out")
evicted=$(field flows_evicted "$bdir/sensor.out")
table=$(field flow_table_bytes "$bdir/sensor.out")
decoded=$(field packets_decoded "$bdir/sensor.out")
if [ -z "$peak" ] || [ -z "$table" ]; then
    die "the sensor printed no flow counters ($bdir/sensor.out)"
fi

# 5. The figures, computed once, for the terminal and the document alike.
c_w=$(median "${c_wall[@]}") s_w=$(median "${s_wall[@]}")
c_c=$(median "${c_cpu[@]}") s_c=$(median "${s_cpu[@]}")
fmt() { awk -v v="$1" 'BEGIN { printf "%.3f", v }'; }
fmt_all() { printf '%s\n' "$@" | awk '{ printf "%s%.3f", (NR > 1 ? ", " : ""), $1 }'; }
read -r c_pps s_pps c_ns s_ns ratio cpu_ratio per_active per_slot < <(awk -v p="$ceil_packets" \
    -v cw="$c_w" -v sw="$s_w" -v cc="$c_c" -v sc="$s_c" -v peak="$peak" -v table="$table" \
    -v maxf="$max_flows" 'BEGIN {
    printf "%.0f %.0f %.1f %.1f %.3f %.3f %.1f %.1f\n", p / cw, p / sw, cw * 1e9 / p,
        sw * 1e9 / p, cw / sw, cc / sc, peak ? table / peak : 0, table / maxf
}')
rate_ok=$(awk -v r="$ratio" -v p="$peak" \
    'BEGIN { print (r >= 0.5 && p >= 100000) ? "PASS" : "FAIL" }')
mem_ok=$(awk -v b="$per_active" 'BEGIN { print (b <= 256) ? "PASS" : "FAIL" }')
s_rss_kb=$(maxof "${s_rss[@]}")
# With every feature: the same ratio, argus beside it, and memory per flow.
f_w=$(median "${f_wall[@]}") f_c=$(median "${f_cpu[@]}") f_rss_kb=$(maxof "${f_rss[@]}")
f_peak=$(field flows_active_peak "$bdir/features.out")
f_table=$(field flow_table_bytes "$bdir/features.out")
f_feat=$(field features_bytes "$bdir/features.out")
f_hist_max=$(field bytedist_buffers_max_used "$bdir/features.out")
f_hist_none=$(field bytedist_no_buffer "$bdir/features.out")
f_meta_max=$(field meta_records_max_used "$bdir/features.out")
f_meta_none=$(field meta_no_record "$bdir/features.out")
f_raw_max=$(field bytedist_raw_buffers_max_used "$bdir/features.out")
f_stream_max=$(field stream_buffers_max_used "$bdir/features.out")
f_stream_none=$(field stream_no_buffer "$bdir/features.out")
f_splt_max=$(field splt_records_max_used "$bdir/features.out")
read -r f_pps f_ns f_ratio f_slot f_rss_flow < <(awk -v p="$ceil_packets" -v cw="$c_w" \
    -v fw="$f_w" -v peak="$f_peak" -v maxf="$max_flows" -v t="$f_table" -v x="$f_feat" \
    -v fr="$f_rss_kb" -v cr="$(maxof "${c_rss[@]}")" 'BEGIN {
    printf "%.0f %.1f %.3f %.1f %.1f\n", p / fw, fw * 1e9 / p, cw / fw, (t + x) / maxf,
        peak ? (fr - cr) * 1024 / peak : 0
}')
feat_ok=$(awk -v r="$f_ratio" 'BEGIN { print (r >= 0.30) ? "PASS" : "FAIL" }')
argus_row="" argus_target=""
if [ "$use_argus" = 1 ]; then
    a_w=$(median "${a_wall[@]}") a_c=$(median "${a_cpu[@]}") a_rss_kb=$(maxof "${a_rss[@]}")
    read -r a_pps a_ns vs_argus < <(awk -v p="$ceil_packets" -v aw="$a_w" -v fw="$f_w" \
        'BEGIN { printf "%.0f %.1f %.2f\n", p / aw, aw * 1e9 / p, aw / fw }')
    argus_ok=$(awk -v r="$vs_argus" 'BEGIN { print (r >= 2) ? "PASS" : "FAIL" }')
    argus_row="| \`argus -A -J -R -Z\` | $a_pps | $a_ns | $(fmt "$a_w") | $(fmt "$a_c") | $(mib "$a_rss_kb") |"
    argus_target="
- With every feature, at least twice argus's packet rate: **$argus_ok** ($vs_argus x)."
fi
c_rss_kb=$(maxof "${c_rss[@]}")

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$root" status --porcelain 2>/dev/null)" ] || commit="$commit + uncommitted changes"
now=$(date -u '+%Y-%m-%d %H:%M UTC')
names=$(for f in "${inputs[@]}"; do printf "\`%s\` " "$(basename "$f")"; done)
evict_note=""
[ "$evicted" = 0 ] || evict_note=" The table was full: $evicted flows were evicted, so the peak
is the cap; raise BENCH_MAX_FLOWS."

report=$(
    cat <<EOF
Measured $now at commit $commit.

Machine: $(nproc) CPUs ($cpu), $ram RAM, Linux $(uname -r).
Load average (1, 5, 15 min): $load_start at the start, $load_end at the end.
Above 0, other work shared the CPUs, which lengthens wall times; CPU times are less affected.

Capture: $ceil_packets packets, $((cap_bytes / 1000000)) MB, $distinct distinct flows over
$span s of packet time, made by \`make_capture ${gen_args[*]}\` from
${names% }.

| $runs runs each, alternating; medians | packets/s | ns/packet | wall s | CPU s | peak RSS |
|---|---:|---:|---:|---:|---:|
| ceiling: \`pcap_ceiling\` | $c_pps | $c_ns | $(fmt "$c_w") | $(fmt "$c_c") | $(mib "$c_rss_kb") |
| \`umbra-sensor -r\` | $s_pps | $s_ns | $(fmt "$s_w") | $(fmt "$s_c") | $(mib "$s_rss_kb") |
| sensor / ceiling | **$ratio** | | | $cpu_ratio | |
| \`umbra-sensor -r\`, every feature | $f_pps | $f_ns | $(fmt "$f_w") | $(fmt "$f_c") | $(mib "$f_rss_kb") |
| every feature / ceiling | **$f_ratio** | | | | |
$argus_row

The ratio is of packet rates (wall time); the CPU column's ratio is ceiling CPU / sensor CPU.
Wall seconds of each run: ceiling $(fmt_all "${c_wall[@]}"); sensor $(fmt_all "${s_wall[@]}"); every feature $(fmt_all "${f_wall[@]}").

| flow table | |
|---|---:|
| \`flow.max_flows\` | $max_flows |
| peak concurrent flows (\`flows_active_peak\`) | $peak |
| make_capture's estimate of that peak | $est_peak |
| flows created / evicted at the cap | $created / $evicted |
| packets decoded | $decoded of $read_packets |
| \`flow_table_bytes\` | $table |
| bytes per active flow (table bytes / peak) | **$per_active** |
| bytes per slot (table bytes / max_flows) | $per_slot |

Targets:

- 50 % or more of the ceiling's packet rate with 100,000 or more concurrent flows:
  **$rate_ok** ($ratio at $peak flows).
- At most 256 bytes of table memory per active flow: **$mem_ok** ($per_active bytes).$evict_note
- With every feature on, 30 % or more of the ceiling's packet rate: **$feat_ok** ($f_ratio).$argus_target

With every feature on: flow table, per-slot feature arrays and the SPLT record pool (one record
a slot) reserve $f_slot bytes per slot (address space, resident only as used); resident
memory above the ceiling's, per active flow, $f_rss_flow bytes (peak RSS difference / $f_peak
flows; it includes the lent buffers). Lent at most at once: byte histograms $f_hist_max
(requests refused: $f_hist_none), 64-byte raw buffers $f_raw_max, handshake records
$f_meta_max (refused: $f_meta_none), stream buffers $f_stream_max (refused: $f_stream_none),
SPLT records $f_splt_max.
A refusal leaves that flow direction without the feature, so refusals make the every-feature
rate look better than it is.

Command: \`bash bench/run_flow_bench.sh\` (BENCH_PACKETS=$packets BENCH_CONCURRENT=$concurrent
BENCH_WEIGHTS=$weights BENCH_MAX_GAP=$max_gap BENCH_MAX_FLOWS=$max_flows); the sensor ran as
\`umbra-sensor -r CAPTURE --set flow.max_flows=$max_flows --set features.enabled=false -q\`
(flow tracking) and \`umbra-sensor -r CAPTURE --set flow.max_flows=$max_flows -q\` (every
feature at its default); argus as \`argus -r CAPTURE -w FILE -A -J -R -Z\` (Debian's
argus-server $(dpkg-query -W -f='${Version}' argus-server 2>/dev/null || echo '?')).
EOF
)

echo "$report"
echo
echo "flow-bench: rate target (>= 0.5 of the ceiling at >= 100k flows): $rate_ok"
echo "flow-bench: memory target (<= 256 bytes per active flow): $mem_ok"
echo "flow-bench: every-feature rate target (>= 0.30 of the ceiling): $feat_ok"

# 6. The section of docs/BENCHMARKS.md between the flow-bench markers.
if [ "$doc" = 1 ]; then
    md=$root/docs/BENCHMARKS.md
    printf '%s\n' "$report" | python3 "$root/bench/doc_section.py" "$md" flow-bench "Flow tracking"
    say "refreshed the flow-tracking section of docs/BENCHMARKS.md"
fi
