#!/usr/bin/env python3
"""Payload features against tshark: byte distributions and clear-text handshake fields.

For each capture, runs the sensor (`BIN -r CAPTURE --json -`) and tshark, and compares every
flow's payload features with values computed here from tshark's fields:

- byte distribution: the first PREFIX payload bytes of each direction, in capture order
  (tshark's tcp.payload / udp.payload, every segment including repeats), give the count, the
  Shannon entropy (bits per byte), the mean and the population standard deviation of the byte
  values (docs/FEATURES.md);
- dns_query: the first DNS question name of the flow; http_host: the Host of its first request;
  tls_sni, ja3, ja3s, ssh banners, hassh, quic_version: tshark's own fields (when the sensor
  reports them; a field the sensor reports must equal tshark's, and a field tshark has for a
  flow must be reported by the sensor).

Flows are matched by (protocol, client address and port, server address and port); tuples seen
in several sensor flows (port reuse, VLANs), tunnelled frames and fragments are left out, and
so are flows with a frame cut by the snap length. Prints one line per difference; exits 1 if
there is any, 77 when tshark is missing.

Usage: payload_oracle.py --sensor BIN [--prefix N] [CAPTURE|DIR...]
  (default: the repository's tests/data and, when present, ../shared/pcaps beside it)
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import math
import shutil
import subprocess
import sys

FIELDS = [
    "frame.number", "frame.len", "frame.cap_len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.payload", "udp.payload",
    "ip.flags.mf", "ip.frag_offset", "ipv6.fragment", "dns.qry.name", "dns.flags.response",
    "http.request", "http.host", "tls.handshake.type", "tls.handshake.extensions_server_name",
    "tls.handshake.ja3", "tls.handshake.ja3s", "ssh.protocol", "ssh.kex.hassh",
    "ssh.kex.hasshserver", "quic.version", "gre", "vxlan",
]


# Per flow, the first value tshark gives for each of these fields.
FIRST_OF = [("dns", "dns.qry.name"), ("sni", "tls.handshake.extensions_server_name"),
            ("ja3", "tls.handshake.ja3"), ("ja3s", "tls.handshake.ja3s"),
            ("hassh", "ssh.kex.hassh"), ("hassh_server", "ssh.kex.hasshserver"),
            ("quic", "quic.version")]


def tshark_frames(capture, decode_as=()):
    cmd = ["tshark", "-r", capture, "-n", *decode_as, "-o", "ip.defragment:FALSE", "-o",
           "ipv6.defragment:FALSE", "-o", "tcp.desegment_tcp_streams:TRUE", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(FIELDS) - len(vals))
        yield dict(zip(FIELDS, vals))


def norm_addr(a):
    # tshark prints IPv6 in RFC 5952 form, as inet_ntop does; nothing to change.
    return a


def frame_tuple(fr):
    """(proto, src, sport, dst, dport) of an untunnelled, unfragmented TCP/UDP frame, or None."""
    if fr["gre"] or fr["vxlan"]:
        return None
    src = fr["ip.src"] or fr["ipv6.src"]
    dst = fr["ip.dst"] or fr["ipv6.dst"]
    if not src or "|" in src or "|" in dst:
        return None
    if fr["ip.flags.mf"] == "1" or fr["ip.frag_offset"] not in ("", "0") or fr["ipv6.fragment"]:
        return None
    if fr["tcp.srcport"]:
        return ("tcp", norm_addr(src), int(fr["tcp.srcport"]), norm_addr(dst), int(fr["tcp.dstport"]))
    if fr["udp.srcport"] and "|" not in fr["udp.srcport"]:
        return ("udp", norm_addr(src), int(fr["udp.srcport"]), norm_addr(dst), int(fr["udp.dstport"]))
    return None


def summary(data):
    n = len(data)
    if n == 0:
        return 0, 0.0, 0.0, 0.0
    counts = [0] * 256
    for b in data:
        counts[b] += 1
    ent = -sum(c / n * math.log2(c / n) for c in counts if c)
    mean = sum(i * c for i, c in enumerate(counts)) / n
    var = sum(c * (i - mean) ** 2 for i, c in enumerate(counts)) / n
    return n, ent, mean, math.sqrt(var)


def first(v):
    return v.split("|")[0] if v else ""


def captures_of(paths):
    """Capture files named or found in directories, identical contents once."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p)
                            if f.endswith((".pcap", ".pcapng")))
        else:
            files.append(p)
    seen, out = set(), []
    for f in files:
        with open(f, "rb") as fh:
            h = hashlib.sha256(fh.read()).hexdigest()
        if h not in seen:
            seen.add(h)
            out.append(f)
    return out


def compare(sensor, capture, prefix):
    out = subprocess.run([sensor, "-r", capture, "--json", "-", "-q"],
                         check=True, capture_output=True, text=True).stdout
    recs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    ends = [r for r in recs if r.get("event") == "end" and r["proto"] in ("tcp", "udp")]
    by_tuple = {}
    for r in ends:
        t = (r["proto"], r["client_addr"], r["client_port"], r["server_addr"], r["server_port"])
        by_tuple.setdefault(t, []).append(r)

    # tshark dissects SSH and TLS on their well-known ports only: on other ports where the
    # sensor found one, tshark is told to try it there (the values still come from tshark).
    decode_as = set()
    for r in ends:
        if r["proto"] != "tcp":
            continue
        if "ssh_client_banner" in r or "ssh_server_banner" in r:
            decode_as.add(f"tcp.port=={r['server_port']},ssh")
        if "tls_version" in r:
            decode_as.add(f"tcp.port=={r['server_port']},tls")
    args = [a for d in sorted(decode_as) for a in ("-d", d)]
    flows = {}  # tuple (client first) -> state
    for fr in tshark_frames(capture, args):
        t = frame_tuple(fr)
        if t is None:
            continue
        rev = (t[0], t[3], t[4], t[1], t[2])
        if t in by_tuple:
            key, d = t, 0
        elif rev in by_tuple:
            key, d = rev, 1
        else:
            continue
        st = flows.setdefault(key, {"bytes": [bytearray(), bytearray()], "cut": False,
                                    "dns": "", "http": "", "sni": "", "ja3": "", "ja3s": "",
                                    "ssh": ["", ""], "hassh": "", "hassh_server": "",
                                    "quic": ""})
        if fr["frame.len"] != fr["frame.cap_len"]:
            st["cut"] = True
        hexdata = fr["tcp.payload"] or fr["udp.payload"]
        if hexdata and len(st["bytes"][d]) < prefix:
            st["bytes"][d] += bytes.fromhex(hexdata.replace(":", "").split("|")[0])
        for name, field in FIRST_OF:
            if fr[field] and not st[name]:
                st[name] = first(fr[field])
        if fr["ssh.protocol"] and not st["ssh"][d]:
            st["ssh"][d] = first(fr["ssh.protocol"])
        if fr["http.request"] and fr["http.host"] and not st["http"]:
            st["http"] = first(fr["http.host"])

    errors = 0
    checked = 0
    fields_checked = 0

    def bad(key, what):
        nonlocal errors
        errors += 1
        print(f"{capture}: {key[0]} {key[1]}:{key[2]} -> {key[3]}:{key[4]}: {what}")

    methods = tuple(m.encode() + b" " for m in (
        "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"))
    for key, st in flows.items():
        rev = (key[0], key[3], key[4], key[1], key[2])
        if len(by_tuple[key]) != 1 or rev in by_tuple or st["cut"]:
            continue
        # The sensor reads HTTP/1 over TCP when the request is the first thing the client sends
        # (not SSDP over UDP, not HTTP behind a SOCKS or CONNECT preamble).
        if key[0] != "tcp" or not bytes(st["bytes"][0]).startswith(methods):
            st["http"] = ""
        r = by_tuple[key][0]
        checked += 1
        for d, side in enumerate(("client", "server")):
            n, ent, mean, sd = summary(bytes(st["bytes"][d][:prefix]))
            got = r.get(f"{side}_bytedist_bytes")
            if got != n:
                bad(key, f"{side}_bytedist_bytes {got} != {n}")
                continue
            if n == 0:
                continue
            for name, want in (("entropy", ent), ("byte_mean", mean), ("byte_stddev", sd)):
                v = r.get(f"{side}_{name}")
                if v is None or abs(v - want) > 1.5e-6:
                    bad(key, f"{side}_{name} {v} != {want:.6f}")
        # Handshake fields: equal to tshark's whenever either side has one.
        pairs = [("dns_query", st["dns"] if r["proto"] == "udp" or key[4] == 53 else ""),
                 ("http_host", st["http"]), ("tls_sni", st["sni"]), ("ja3", st["ja3"]),
                 ("ja3s", st["ja3s"] if key[0] == "tcp" else ""),
                 ("ssh_client_banner", st["ssh"][0]),
                 ("ssh_server_banner", st["ssh"][1]), ("hassh", st["hassh"]),
                 ("hassh_server", st["hassh_server"])]
        for name, want in pairs:
            got = r.get(name, "")
            if name == "dns_query" and want == "<Root>":
                want = ""
            if got or want:
                fields_checked += 1
                if got != want:
                    bad(key, f"{name} {got!r} != tshark {want!r}")
        if st["quic"] or r.get("quic_version"):
            fields_checked += 1
            want = int(st["quic"], 16) if st["quic"] else None
            if r.get("quic_version") != want:
                bad(key, f"quic_version {r.get('quic_version')!r} != tshark {st['quic']!r}")
    print(f"{capture}: {checked} flows, {fields_checked} handshake fields, {errors} differences")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--prefix", type=int, default=4096)
    ap.add_argument("captures", nargs="*")
    a = ap.parse_args()
    if shutil.which("tshark") is None:
        print("payload_oracle: tshark not found: skipped")
        return 77
    paths = a.captures
    if not paths:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        paths = [os.path.join(root, "tests", "data")]
        shared = os.path.join(os.path.dirname(root), "shared", "pcaps")
        if os.path.isdir(shared):
            paths.append(shared)
    files = captures_of(paths)
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        errors = sum(ex.map(lambda c: compare(a.sensor, c, a.prefix), files))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
