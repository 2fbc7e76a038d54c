#!/usr/bin/env bash
# End-to-end: the real umbra-sensor binary on bundled captures and on bad input.
# Expected figures come from capinfos/tshark on the same files (see tests/unit/test_capture.c).
# Usage: sensor_offline.sh UMBRA_SENSOR DATA_DIR
set -uo pipefail
sensor=$1 data=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/umbra-e2e-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0 passes=0

check() { # check NAME CONDITION-COMMAND...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $name" >&2; fi
}
has() { grep -qE -- "$2" "$1"; }

# 1. A good capture: exit 0, the counters and the flow have tshark's figures
#    (tshark -z conv,tcp: 22 frames, 8225 bytes; per side, summed ip.len and tcp.len:
#    10.0.0.80 13 packets 1401 IP bytes 713 payload, 68.233.76.12 9 packets 6516 / 6036).
"$sensor" -r "$data/tls12-zeek-sample.pcap" --json "$work/flows.json" >"$work/out" 2>"$work/err"
check "good capture exits 0" test $? -eq 0
check "packets_read = 22" has "$work/out" '^  packets_read +22$'
check "bytes_read = 8225" has "$work/out" '^  bytes_read +8225$'
check "packets_decoded = 22" has "$work/out" '^  packets_decoded +22$'
check "flows_created = 1" has "$work/out" '^  flows_created +1$'
check "flows_ended_shutdown = 1" has "$work/out" '^  flows_ended_shutdown +1$'
check "log names the file" has "$work/err" 'capture: opened file=.*tls12-zeek-sample\.pcap linktype=EN10MB'
check "json: one open, one end" test "$(grep -c '"event":"open"' "$work/flows.json"):$(grep -c '"event":"end"' "$work/flows.json")" = 1:1
check "json: end event fields" has "$work/flows.json" '^\{"event":"end","reason":"shutdown","flow_id":1,"proto":"tcp","client_addr":"10\.0\.0\.80","client_port":56637,"server_addr":"68\.233\.76\.12","server_port":443,"vlan":0,"first_ts":1357328848\.512314,"last_ts":1357328851\.807191,"client_packets":13,"client_ip_bytes":1401,"client_payload_bytes":713,"server_packets":9,"server_ip_bytes":6516,"server_payload_bytes":6036,'
# tshark -T fields -e frame.time_relative: SYN 0, SYN-ACK 0.036663, ACK 0.036856.
# tshark -e tcp.options.mss_val -e tcp.options.wscale.shift: SYN 1460 and 4, SYN-ACK 1360 and 0.
check "json: SYN options" has "$work/flows.json" '"client_mss":1460,"client_wscale":4,"client_sack_ok":1,"client_tcp_timestamps":1,.*"server_mss":1360,"server_wscale":0,"server_sack_ok":1,"server_tcp_timestamps":1,'
# tshark -Y 'tcp.len>0' -e tcp.len -e frame.time_delta_displayed: 322 at 0, 1348 after 41085 us
# (server), 1348 after 601, 1231 after 908, 310 after 1139 (client).
check "json: SPLT" has "$work/flows.json" '"splt":\[\[322,0,0\],\[1348,41085,1\],\[1348,601,1\],\[1231,908,1\],\[310,1139,0\],'
check "json: handshake times" has "$work/flows.json" '"syn_synack_us":36663\.000,"synack_ack_us":193\.000,"handshake_rtt_us":36856\.000,"rtt_us":[0-9.]+,"splt":'
"$sensor" -r "$data/tls12-zeek-sample.pcap" --json - -q >"$work/out" 2>"$work/err"
check "json to stdout before counters" has "$work/out" '^\{"event":"open"'

# tshark -e tcp.analysis.retransmission on tcp-retransmit-fast-zeek.pcap: 3 server segments.
"$sensor" -r "$data/tcp-retransmit-fast-zeek.pcap" --json - -q >"$work/out" 2>"$work/err"
check "retransmissions as tshark counts them" has "$work/out" '"server_retransmits":3,"server_out_of_order":0,'

# 2. A capture cut mid-record: the whole records before the cut are counted, exit 1, reason logged.
head -c 5000 "$data/tls12-zeek-sample.pcap" >"$work/cut.pcap"
"$sensor" -r "$work/cut.pcap" >"$work/out" 2>"$work/err"
check "truncated capture exits 1" test $? -eq 1
check "truncated capture counts 8 packets" has "$work/out" '^  packets_read +8$'
check "truncated capture still ends its flow" has "$work/out" '^  flows_ended_shutdown +1$'
check "truncated capture reason" has "$work/err" 'read failed .*truncated dump file'

# 3. Not a capture, and no file: exit 2 with the reason.
"$sensor" -r "$data/PROVENANCE.tsv" >"$work/out" 2>"$work/err"
check "non-capture exits 2" test $? -eq 2
check "non-capture reason" has "$work/err" 'cannot open capture file'
"$sensor" -r "$work/none.pcap" >"$work/out" 2>"$work/err"
check "missing file exits 2" test $? -eq 2
check "missing file reason" has "$work/err" 'No such file or directory'

# 4. Configuration: a bad file names file, line and key; the daemon refuses to start.
printf 'capture:\n  snaplen: 10\n' >"$work/bad.yaml"
"$sensor" -c "$work/bad.yaml" -r "$data/tls12-zeek-sample.pcap" >"$work/out" 2>"$work/err"
check "bad config exits 2" test $? -eq 2
check "bad config names file:line: key" has "$work/err" 'bad\.yaml:2: capture\.snaplen: '
check "bad config starts nothing" test ! -s "$work/out"
printf 'capture:\n  file: %s\nlog:\n  level: warn\n' "$data/tcp-syn-then-rst-zeek.pcap" >"$work/good.yaml"
"$sensor" -c "$work/good.yaml" >"$work/out" 2>"$work/err"
check "config file input exits 0" test $? -eq 0
check "config file input read 2 packets" has "$work/out" '^  packets_read +2$'
check "log.level=warn hides info" test ! -s "$work/err"

# 5. Options: --help, --version, --config-reference, usage errors.
"$sensor" --help >"$work/out" 2>&1
check "--help exits 0" test $? -eq 0
check "--help documents -r" has "$work/out" '-r, --read FILE'
"$sensor" --version >"$work/out" 2>&1
check "--version" has "$work/out" '^umbra-sensor [0-9]+\.[0-9]+\.[0-9]+$'
"$sensor" --config-reference >"$work/out" 2>&1
check "--config-reference lists capture.snaplen" has "$work/out" 'capture\.snaplen'
"$sensor" >"$work/out" 2>&1
check "no input exits 2" test $? -eq 2
"$sensor" --bogus >"$work/out" 2>&1
check "unknown option exits 2" test $? -eq 2
"$sensor" -r "$data/tls12-zeek-sample.pcap" -f 'tcp and and' >"$work/out" 2>"$work/err"
check "bad BPF filter exits 2" test $? -eq 2
check "bad BPF filter reason" has "$work/err" 'BPF filter does not compile'

# 6. SIGUSR1 prints the counters while running; SIGTERM stops cleanly, ending every flow.
"$sensor" --realtime -r "$data/tls12-zeek-sample.pcap" >"$work/out" 2>"$work/err" &
pid=$!
sleep 0.5
kill -USR1 $pid
sleep 0.3
kill -TERM $pid
wait $pid
check "SIGTERM exits 0" test $? -eq 0
check "SIGTERM logged" has "$work/err" 'stopping on signal'
check "SIGTERM counters printed" has "$work/out" '^  packets_read +[0-9]+$'
check "SIGTERM ends the flow" has "$work/out" '^  flows_ended_shutdown +1$'
check "SIGUSR1 printed the counters too" test "$(grep -c '^umbra-sensor counters' "$work/out")" -eq 2

# 7. SIGUSR1 is answered during a long realtime gap (the capture's packets are an hour apart).
"$sensor" --realtime -r "$data/dns-ticks-1hr-gaps-zeek.pcap" >"$work/out" 2>"$work/err" &
pid=$!
sleep 0.5
kill -USR1 $pid
sleep 0.5
check "SIGUSR1 answered within a gap" test "$(grep -c '^umbra-sensor counters' "$work/out")" -eq 1
kill -TERM $pid
wait $pid
check "stopped in a gap exits 0" test $? -eq 0

# 8. Events that cannot be written (disk full) make the run fail, counted.
"$sensor" -r "$data/tls12-zeek-sample.pcap" --json /dev/full -q >"$work/out" 2>"$work/err"
check "lost JSON exits 1" test $? -eq 1
check "lost JSON counted" has "$work/out" '^  json_write_errors +2$'
check "lost JSON logged" has "$work/err" 'no space left on device'

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
