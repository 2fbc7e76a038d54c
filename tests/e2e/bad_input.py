#!/usr/bin/env python3
"""End-to-end: hostile frames among good ones are counted under their reason, and the good
flow around them comes out exactly as without them.

Takes tests/data/tls12-zeek-sample.pcap (one TLS flow; tshark: 13 + 9 frames, IP bytes 1401 +
6516, TCP payload 713 + 6036) and inserts, between its frames, frames built here byte by byte
on the same addresses and ports: a bogus IPv4 header length, an IPv4 total length below the
header and one beyond the frame, TCP data offsets of 4 and 15 words, a frame shorter than an
Ethernet header; plus one UDP packet of another flow cut by the snap length. Expected counts are
the ones built in, not read from the sensor.

Usage: bad_input.py UMBRA_SENSOR DATA_DIR
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sensor, data = sys.argv[1], sys.argv[2]


def read_pcap(path):
    with open(path, "rb") as f:
        raw = f.read()
    header, off, frames = raw[:24], 24, []
    while off + 16 <= len(raw):
        sec, usec, caplen, wirelen = struct.unpack("<IIII", raw[off:off + 16])
        frames.append((sec, usec, wirelen, raw[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return header, frames


def write_pcap(path, header, frames):
    with open(path, "wb") as f:
        f.write(header)
        for sec, usec, wirelen, data_ in frames:
            f.write(struct.pack("<IIII", sec, usec, len(data_), wirelen))
            f.write(data_)


def ipv4(src, dst, proto, payload, ihl=5, total=None):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total if total is not None else
                      20 + len(payload), 0x1234, 0, 64, proto, 0, bytes(src), bytes(dst))
    return hdr + payload


def tcp(sport, dport, offset_words, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 1, offset_words << 4, 0x18, 1024, 0,
                       0) + payload


def ether(payload):
    return b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00" + payload


CLIENT, SERVER = (10, 0, 0, 80), (68, 233, 76, 12)
bad = {
    "dropped_ipv4_bad_ihl": ether(ipv4(CLIENT, SERVER, 6, tcp(56637, 443, 5), ihl=3)),
    "dropped_ip_bad_length": [
        ether(ipv4(CLIENT, SERVER, 6, tcp(56637, 443, 5), total=10)),
        ether(ipv4(CLIENT, SERVER, 6, tcp(56637, 443, 5), total=1400)),
    ],
    "dropped_tcp_bad_offset": [
        ether(ipv4(CLIENT, SERVER, 6, tcp(56637, 443, 4, b"x" * 20))),
        ether(ipv4(CLIENT, SERVER, 6, tcp(56637, 443, 15, b"x" * 8))),
    ],
    "dropped_link_truncated": b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99",
}
header, frames = read_pcap(os.path.join(data, "tls12-zeek-sample.pcap"))
out, expected = [], {}
bad_frames = []
for name, fr in bad.items():
    fr = fr if isinstance(fr, list) else [fr]
    expected[name] = len(fr)
    bad_frames += fr
for i, (sec, usec, wirelen, d) in enumerate(frames):
    out.append((sec, usec, wirelen, d))
    if i < len(bad_frames):
        out.append((sec, usec, len(bad_frames[i]), bad_frames[i]))
# A 1000-byte UDP datagram of another flow, captured to 60 bytes: it decodes, and its IP bytes
# are the header's 1028, not the 46 captured.
udp = ether(ipv4((10, 0, 0, 81), (10, 0, 0, 82), 17,
                 struct.pack("!HHHH", 5000, 6000, 1008, 0) + b"u" * 1000))
out.append((frames[-1][0], frames[-1][1], len(udp), udp[:60]))

fails = passes = 0


def check(what, ok):
    global fails, passes
    if ok:
        passes += 1
    else:
        fails += 1
        print("FAIL:", what, file=sys.stderr)


with tempfile.TemporaryDirectory(prefix="umbra-e2e-") as work:
    path = os.path.join(work, "hostile.pcap")
    write_pcap(path, header, out)
    run = subprocess.run([sensor, "-r", path, "--json", os.path.join(work, "f.json"), "-q"],
                         capture_output=True, text=True, timeout=60)
    check("exit status 0", run.returncode == 0)
    counters = {}
    for line in run.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counters[parts[0]] = int(parts[1])
    check("packets_read", counters.get("packets_read") == len(out))
    check("packets_decoded", counters.get("packets_decoded") == len(frames) + 1)
    for name, n in expected.items():
        check(f"{name} = {n} (got {counters.get(name)})", counters.get(name) == n)
    others = [k for k, v in counters.items() if k.startswith("dropped_") and v and k not in
              expected]
    check(f"no other drop reasons ({others})", not others)
    check("packets_cut_by_snaplen = 1", counters.get("packets_cut_by_snaplen") == 1)
    check("flows_created = 2", counters.get("flows_created") == 2)
    with open(os.path.join(work, "f.json")) as f:
        ends = [json.loads(l) for l in f if '"event":"end"' in l]
    tls = [e for e in ends if e["server_port"] == 443]
    check("one TLS flow", len(tls) == 1)
    if tls:
        t = tls[0]
        got = (t["client_packets"], t["client_ip_bytes"], t["client_payload_bytes"],
               t["server_packets"], t["server_ip_bytes"], t["server_payload_bytes"])
        check(f"TLS flow intact {got}", got == (13, 1401, 713, 9, 6516, 6036))
    cut = [e for e in ends if e["proto"] == "udp"]
    check("snap-cut UDP flow counts header lengths",
          len(cut) == 1 and cut[0]["client_ip_bytes"] == 1028 and
          cut[0]["client_payload_bytes"] == 1000)

print(f"{passes} passed, {fails} failed")
sys.exit(1 if fails else 0)
