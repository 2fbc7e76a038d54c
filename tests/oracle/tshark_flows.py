#!/usr/bin/env python3
"""Expected TCP/UDP flows of a capture, computed from tshark's dissection (the flow oracle).

    tshark_flows.py [RULE OPTIONS] [--self-check] [-o OUT] CAPTURE

Independent of the sensor: nothing here imports, reads or runs sensor code. Packets are dissected
by tshark (one `tshark -T fields` pass, IP reassembly off); the flow rules below are applied to
that dissection in this file. Output: one JSON object per expected flow (TCP and UDP only), with
the sensor's field names (proto, client_addr, client_port, server_addr, server_port, vlan,
first_ts, last_ts, client_packets, server_packets, client_ip_bytes, server_ip_bytes,
client_payload_bytes, server_payload_bytes) plus oracle-only fields (tshark_stream, first_ts_ns,
last_ts_ns, start_cause, expected_reason, ...).

Rules (the sensor's defaults; each is an option, see --help):
  * Flow key: (IP protocol, both addresses, both ports, outermost VLAN id), bidirectional.
  * Client: the sender of the first packet; for TCP, if the first packet is a SYN-ACK its sender
    is the server, and if it has no SYN (picked up mid-stream) the lower port is the server
    (equal ports: the first packet's destination).
  * Idle timeout (tcp 300 s, udp 60 s): a packet arriving the timeout or more after the flow's
    last packet starts a new flow: after that much silence the flow has ended (as in Zeek,
    whose timer fires first; --at-limit keep: exactly the timeout still joins). The same holds
    for the linger below.
  * TCP close: once FINs were seen from both sides, or a RST, the flow lingers 2 s after its
    last packet (--linger-from close: after the packet that closed it); packets within the
    linger still count to it, the first one after it starts a new flow. A SYN without ACK on a
    closed flow starts a new flow at once (port reuse).
  * Fragments: a first fragment (offset 0, more fragments) carries the ports and counts like any
    packet; a later fragment counts (packets, IP bytes, its IP payload as payload bytes, last_ts;
    --no-later-frag-payload: no payload bytes) to the flow the first fragment with the same
    (src, dst, protocol, identification) went to, if that was seen within --frag-window seconds
    (60) and its flow is still live; otherwise it is unattributed (counted nowhere).
  * IP bytes: IPv4 total length, IPv6 40 + payload length. Payload bytes: TCP segment length
    (tcp.len); UDP length - 8; for a UDP first fragment only the UDP payload bytes inside that
    fragment (--frag-payload datagram: UDP length - 8), so a datagram's fragments add its
    payload once.
  * Tunnels: GRE carrying IPv4/IPv6/Ethernet and VXLAN (UDP destination port 4789) are keyed by
    the inner packet (at most 2 tunnels deep); other encapsulations (Teredo, 6in4, GRE/PPP...)
    are keyed by the outer header. VLAN: the outermost 802.1Q/802.1ad tag of the frame.
  * ICMP errors quoting an IP/UDP/TCP header are ICMP, not TCP/UDP: never counted.
  * Packets tshark flags as having bad lengths (IP total length beyond the frame or below the
    header, IPv6 payload length beyond the frame, bad UDP length, bad TCP header length), or
    whose TCP/UDP header is not captured, are undecodable: counted nowhere (--keep-malformed).
  * Timestamps are processed in file order; last_ts is the last packet's time. Flows whose
    split (or not) was decided by a gap within --timing-slack (1 s) past the idle timeout or
    the linger carry "timing_boundary": the sensor keeps its timer lists exact to 1 s only.
  * Not modelled: eviction at the flow-table cap, active-timeout updates (not end events).

Where these flows differ from tshark's conversation table (`-z conv,tcp`, `-z conv,udp`); the
--self-check report names each case, and every frame count must still add up:
  * idle splits: a conversation with a gap of the idle timeout or more is several flows here
    (start_cause "idle");
  * port reuse / linger: a closed TCP connection followed by a new SYN (start_cause
    "port_reuse"), or by any packet the linger or more after it ("linger_expired"),
    is several flows; tshark 4.0 splits a TCP stream only on a SYN with a different ISN;
  * VLAN: tshark 4.0 ignores VLAN ids in conversations; here each outermost VLAN id is a flow
    (a connection tagged in one direction only becomes two one-sided flows);
  * mid-stream direction: tshark's A/B are just addresses; client/server here follow the
    SYN/port rules (no effect on frame counts, only on which side is the client);
  * fragments: tshark (reassembly off) counts the first fragment, dissected as UDP/TCP, and not
    the later ones; here attributed later fragments are extra packets of the flow, unattributed
    ones count nowhere;
  * frames tshark counts in a conversation and no flow here does ("excluded"): the outer UDP of
    VXLAN ("tunnel_outer"), TCP/UDP inside an encapsulation the sensor does not open (6in4,
    Teredo payloads: "inner_not_decapsulated"), undecodable packets ("malformed",
    "l4_truncated", "tunnel_too_deep"), --skip-proto frames;
  * headers quoted in ICMP errors: counted by neither (tshark's conversation taps skip them).
tshark's "Bytes" are frame lengths, so only frame counts per direction are compared; IP and
payload bytes come from ip.len / ipv6.plen / tcp.len / udp.length.

With --self-check the report is printed instead of the flows (add -o FILE to keep them too);
exit 1 when a conversation's frames do not add up.
"""

import argparse
import collections
import json
import os
import shutil
import signal
import subprocess
import sys

FIELDS = [
    "frame.number", "frame.time_epoch", "frame.protocols",
    "vlan.id", "ieee8021ad.id",
    "ip.src", "ip.dst", "ip.proto", "ip.len", "ip.hdr_len", "ip.id", "ip.flags.mf",
    "ip.frag_offset",
    "ipv6.src", "ipv6.dst", "ipv6.plen",
    "ipv6.fraghdr.ident", "ipv6.fraghdr.offset", "ipv6.fraghdr.more", "ipv6.fraghdr.nxt",
    "ipv6.hopopts.len_oct", "ipv6.dstopts.len_oct", "ipv6.routing.len_oct",
    "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.hdr_len", "tcp.len", "tcp.stream",
    "udp.srcport", "udp.dstport", "udp.length", "udp.stream",
    # tshark's expert items for lengths a decoder must reject (present = "1")
    "ip.bogus_ip_length", "ip.bogus_header_length", "ipv6.plen_exceeds_framing",
    "ipv6.plen_zero", "tcp.bogus_header_length", "udp.length.bad", "udp.length.bad_zero",
]
FI = {name: i for i, name in enumerate(FIELDS)}
MALFORMED_FIELDS = FIELDS[FI["ip.bogus_ip_length"]:]

# frame.protocols token -> the fields that have one value per occurrence of that token
TOKEN_FIELDS = {
    "vlan": ["vlan.id"],
    "ieee8021ad": ["ieee8021ad.id"],
    "ip": ["ip.src", "ip.dst", "ip.proto", "ip.len", "ip.hdr_len", "ip.id", "ip.flags.mf",
           "ip.frag_offset"],
    "ipv6": ["ipv6.src", "ipv6.dst", "ipv6.plen"],
    "ipv6.fraghdr": ["ipv6.fraghdr.ident", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
                     "ipv6.fraghdr.nxt"],
    "ipv6.hopopts": ["ipv6.hopopts.len_oct"],
    "ipv6.dstopts": ["ipv6.dstopts.len_oct"],
    "ipv6.routing": ["ipv6.routing.len_oct"],
    "tcp": ["tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.hdr_len", "tcp.len", "tcp.stream"],
    "udp": ["udp.srcport", "udp.dstport", "udp.length", "udp.stream"],
}
IP_TOKENS = ("ip", "ipv6")
L4_NUM = {"tcp": 6, "udp": 17}
NUM_L4 = {6: "tcp", 17: "udp"}
TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10
VXLAN_PORT = 4789

CONV_SEP = "=" * 80


# ---------------------------------------------------------------------------------------------
# Rule parameters


def add_rule_args(p):
    """The flow rules' parameters (shared with compare_flows.py)."""
    g = p.add_argument_group("flow rules (defaults are the sensor's)")
    g.add_argument("--tcp-timeout", type=float, default=300.0, help="TCP idle timeout, s (300)")
    g.add_argument("--udp-timeout", type=float, default=60.0, help="UDP idle timeout, s (60)")
    g.add_argument("--other-timeout", type=float, default=60.0,
                   help="idle timeout of other protocols, s (60; they are not compared)")
    g.add_argument("--at-limit", choices=("expire", "keep"), default="expire",
                   help="a packet exactly the idle timeout (or the linger) after the last one: "
                        "the flow has ended, it starts a new one (expire, default) or it still "
                        "joins the flow (keep)")
    g.add_argument("--linger", type=float, default=2.0,
                   help="seconds a closed TCP flow (FIN both ways, or RST) still takes packets (2)")
    g.add_argument("--linger-from", choices=("last", "close"), default="last",
                   help="linger counted from the flow's last packet (default, docs/FLOWS.md) or "
                        "from the packet that closed it")
    g.add_argument("--no-port-reuse", action="store_true",
                   help="a SYN on a closed flow does not start a new flow before the linger ends")
    g.add_argument("--no-vlan", action="store_true", help="VLAN id is not part of the key")
    g.add_argument("--no-inner-vlan", dest="inner_vlan", action="store_false",
                   help="the second VLAN tag (QinQ) is not part of the key (by default it is, "
                        "and flows get inner_vlan)")
    g.add_argument("--frag-payload", choices=("fragment", "datagram"), default="fragment",
                   help="payload bytes of a UDP first fragment: only the UDP payload bytes "
                        "inside that fragment (default: each fragment adds what it carries) or "
                        "UDP length - 8")
    g.add_argument("--no-later-frag-payload", dest="later_frag_payload", action="store_false",
                   help="a later fragment adds nothing to payload bytes (by default it adds its "
                        "IP payload, so a datagram's fragments add its payload once)")
    g.add_argument("--frag-window", type=float, default=60.0,
                   help="a later fragment is attributed only within this many seconds of its "
                        "first fragment (0: no limit) (60, as the sensor)")
    g.add_argument("--timing-slack", type=float, default=1.0,
                   help="flag flows decided by an idle or linger gap within this many seconds "
                        "past the limit (the sensor's timer lists are exact to 1 s) (1)")
    g.add_argument("--max-tunnels", type=int, default=2,
                   help="GRE/VXLAN levels decapsulated; deeper packets are dropped (2)")
    g.add_argument("--keep-malformed", action="store_true",
                   help="count packets tshark flags with bad IP/TCP/UDP lengths")
    g.add_argument("--skip-proto", action="append", default=[], metavar="TOKEN",
                   help="drop frames whose frame.protocols has TOKEN (e.g. llc); repeatable")
    g.add_argument("--tshark", default=os.environ.get("TSHARK", "tshark"),
                   help="tshark binary (default: $TSHARK or tshark)")


# ---------------------------------------------------------------------------------------------
# tshark


def run_tshark(path, tshark="tshark", with_conv=False):
    """One tshark pass: per-frame field rows (lists) and, with with_conv, the conv,tcp/udp text."""
    cmd = [tshark, "-r", path, "-n", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
           "-E", "quote=n"]
    for f in FIELDS:
        cmd += ["-e", f]
    if with_conv:
        cmd += ["-z", "conv,tcp", "-z", "conv,udp"]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         errors="replace")
    if res.returncode != 0:
        err = "\n".join(l for l in res.stderr.splitlines() if "dangerous" not in l)
        raise RuntimeError(f"tshark failed on {path} (exit {res.returncode}): {err.strip()}")
    rows, conv_lines = [], []
    lines = res.stdout.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(CONV_SEP):
            conv_lines = lines[i:]
            break
        if line:
            cols = line.split("\t")
            if len(cols) != len(FIELDS):
                raise RuntimeError(f"{path}: tshark line with {len(cols)} columns: {line[:200]}")
            rows.append(cols)
        i += 1
    return rows, conv_lines


def parse_epoch_ns(s):
    sec, _, frac = s.partition(".")
    neg = sec.startswith("-")
    frac = (frac + "000000000")[:9]
    v = abs(int(sec)) * 1_000_000_000 + int(frac)
    return -v if neg else v


def to_int(s):
    if s is None or s == "":
        return None
    return int(s, 0)


def to_bool(s):
    return s in ("1", "True", "true")


# ---------------------------------------------------------------------------------------------
# One frame -> one packet (the layer the flow is keyed by) and the TCP/UDP layers tshark counts


class Packet:
    __slots__ = ("num", "ts", "l4", "proto_num", "src", "dst", "sport", "dport", "vlan",
                 "inner_vlan", "l4_bytes",
                 "ip_bytes", "payload", "flags", "stream", "frag", "frag_key", "status",
                 "layers", "chosen_layer", "ip_pos")


def split_values(cols):
    return [c.split(",") if c != "" else [] for c in cols]


def decode_frame(cols, args):
    """Packet for one tshark row. status: 'flow' (counts to a TCP/UDP flow), 'later_frag'
    (a later fragment of a TCP/UDP datagram), or why it counts nowhere."""
    vals = split_values(cols)
    p = Packet()
    p.num = int(cols[FI["frame.number"]])
    p.ts = parse_epoch_ns(cols[FI["frame.time_epoch"]])
    p.layers = []  # (l4, src, dst, sport, dport, stream) for every TCP/UDP token: tshark counts
    p.chosen_layer = None
    p.ip_pos = None  # position in frame.protocols of the IP header the packet is keyed by
    p.l4 = None
    p.status = "not_ip"
    tokens = cols[FI["frame.protocols"]].split(":")

    # Occurrence index of each token at each position.
    seen = collections.Counter()
    occ = []
    for t in tokens:
        occ.append(seen[t])
        seen[t] += 1

    def field(pos, name):
        v = vals[FI[name]]
        k = occ[pos]
        return v[k] if k < len(v) else None

    # Every TCP/UDP layer with the IP layer before it: what tshark's conversation taps count.
    last_ip = None
    in_error = False  # after an ICMP header: a quoted packet
    for pos, t in enumerate(tokens):
        if t in ("icmp", "icmpv6"):
            in_error = True
        elif t in IP_TOKENS:
            last_ip = pos
        elif t in L4_NUM and last_ip is not None:
            ipt = tokens[last_ip]
            src = field(last_ip, "ip.src" if ipt == "ip" else "ipv6.src")
            dst = field(last_ip, "ip.dst" if ipt == "ip" else "ipv6.dst")
            sp = to_int(field(pos, t + ".srcport"))
            dp = to_int(field(pos, t + ".dstport"))
            st = to_int(field(pos, t + ".stream"))
            if None not in (src, dst, sp, dp):
                p.layers.append([t, src, dst, sp, dp, st, pos, in_error])

    # VLAN: the outermost tag of the frame (before the first IP header).
    p.vlan = p.inner_vlan = 0
    if not args.no_vlan:
        tags = []
        for pos, t in enumerate(tokens):
            if t in IP_TOKENS:
                break
            if t in ("vlan", "ieee8021ad"):
                tags.append(to_int(field(pos, "vlan.id" if t == "vlan" else "ieee8021ad.id"))
                            or 0)
        if tags:
            p.vlan = tags[0]
        if len(tags) > 1 and args.inner_vlan:
            p.inner_vlan = tags[1]

    for tok in args.skip_proto:
        if tok in tokens:
            p.status = "skip_proto"
            return p

    # Walk the stack: first IP header, then decapsulate GRE (IP/IPv6/Ethernet) and VXLAN.
    ip_pos = next((i for i, t in enumerate(tokens) if t in IP_TOKENS), None)
    if ip_pos is None:
        return p
    tunnels = 0
    while True:
        # the token after the IP header and its extension headers
        nxt = ip_pos + 1
        ext_bytes = 0
        frag_pos = None
        while nxt < len(tokens) and tokens[nxt].startswith("ipv6."):
            if tokens[nxt] == "ipv6.fraghdr":
                frag_pos = nxt
                ext_bytes += 8
            elif tokens[nxt] in TOKEN_FIELDS:
                ext_bytes += to_int(field(nxt, TOKEN_FIELDS[tokens[nxt]][0])) or 0
            nxt += 1
        t = tokens[nxt] if nxt < len(tokens) else ""
        inner = None
        if t == "gre" and nxt + 1 < len(tokens) and tokens[nxt + 1] in ("ip", "ipv6", "eth"):
            inner = next((i for i in range(nxt + 1, len(tokens)) if tokens[i] in IP_TOKENS), None)
        elif (t == "udp" and nxt + 1 < len(tokens) and tokens[nxt + 1] == "vxlan"
              and to_int(field(nxt, "udp.dstport")) == VXLAN_PORT):
            inner = next((i for i in range(nxt + 1, len(tokens)) if tokens[i] in IP_TOKENS), None)
        if inner is None:
            break
        tunnels += 1
        if tunnels > args.max_tunnels:
            p.status = "tunnel_too_deep"
            return p
        ip_pos = inner

    p.ip_pos = ip_pos
    ipt = tokens[ip_pos]
    if ipt == "ip":
        p.src = field(ip_pos, "ip.src")
        p.dst = field(ip_pos, "ip.dst")
        p.ip_bytes = to_int(field(ip_pos, "ip.len"))
        hdr = to_int(field(ip_pos, "ip.hdr_len"))
        proto_num = to_int(field(ip_pos, "ip.proto"))
        frag_id = to_int(field(ip_pos, "ip.id"))
        mf = to_bool(field(ip_pos, "ip.flags.mf"))
        off = to_int(field(ip_pos, "ip.frag_offset")) or 0
        l4_bytes = (p.ip_bytes - hdr) if (p.ip_bytes is not None and hdr is not None) else None
    else:
        p.src = field(ip_pos, "ipv6.src")
        p.dst = field(ip_pos, "ipv6.dst")
        plen = to_int(field(ip_pos, "ipv6.plen"))
        p.ip_bytes = 40 + plen if plen is not None else None
        l4_bytes = plen - ext_bytes if plen is not None else None
        proto_num = L4_NUM.get(t)
        frag_id, mf, off = None, False, 0
        if frag_pos is not None:
            frag_id = to_int(field(frag_pos, "ipv6.fraghdr.ident"))
            mf = to_bool(field(frag_pos, "ipv6.fraghdr.more"))
            off = to_int(field(frag_pos, "ipv6.fraghdr.offset")) or 0
            proto_num = to_int(field(frag_pos, "ipv6.fraghdr.nxt"))
    if p.src is None or p.dst is None or p.ip_bytes is None:
        p.status = "ip_truncated"
        return p
    p.proto_num = proto_num
    p.l4_bytes = l4_bytes
    p.frag = "later" if off > 0 else ("first" if mf else "none")
    p.frag_key = (p.src, p.dst, proto_num, frag_id)

    malformed = (not args.keep_malformed) and any(vals[FI[f]] for f in MALFORMED_FIELDS)
    if p.frag == "later":
        if proto_num in NUM_L4:
            p.l4 = NUM_L4[proto_num]
            p.status = "malformed" if malformed else "later_frag"
        else:
            p.status = "not_tcp_udp"
        return p
    if t not in L4_NUM:
        p.status = "icmp" if t in ("icmp", "icmpv6") else "not_tcp_udp"
        return p
    p.l4 = t
    p.chosen_layer = nxt
    if malformed:
        p.status = "malformed"
        return p
    p.sport = to_int(field(nxt, t + ".srcport"))
    p.dport = to_int(field(nxt, t + ".dstport"))
    p.stream = to_int(field(nxt, t + ".stream"))
    p.flags = 0
    if t == "tcp":
        flags = to_int(field(nxt, "tcp.flags"))
        hlen = to_int(field(nxt, "tcp.hdr_len"))
        seg = to_int(field(nxt, "tcp.len"))
        if None in (p.sport, p.dport, flags, hlen):
            p.status = "l4_truncated"
            return p
        p.flags = flags
        p.payload = seg if seg is not None else 0
    else:
        ulen = to_int(field(nxt, "udp.length"))
        if None in (p.sport, p.dport, ulen):
            p.status = "l4_truncated"
            return p
        if p.frag == "first" and args.frag_payload == "fragment" and l4_bytes is not None:
            p.payload = max(0, min(ulen, l4_bytes) - 8)
        else:
            p.payload = max(0, ulen - 8)
    p.status = "flow"
    return p


# ---------------------------------------------------------------------------------------------
# Flow table


class Flow:
    __slots__ = ("key", "proto", "client", "server", "vlan", "first_ts", "last_ts", "pkts",
                 "ip_bytes", "payload", "frag_pkts", "fin_from", "rst", "close_ts",
                 "close_kind", "streams", "start_cause", "first_flags", "end_reason", "seq",
                 "conv", "inner_vlan", "boundary")

    def __init__(self, key, p, client_is_src, cause, seq):
        self.key = key
        self.proto = p.l4
        if client_is_src:
            self.client, self.server = (p.src, p.sport), (p.dst, p.dport)
        else:
            self.client, self.server = (p.dst, p.dport), (p.src, p.sport)
        self.vlan = p.vlan
        self.inner_vlan = p.inner_vlan
        self.boundary = []  # idle/linger gaps within the timing slack of their limit
        self.first_ts = self.last_ts = p.ts
        self.pkts = [0, 0]  # [client->server, server->client]
        self.ip_bytes = [0, 0]
        self.payload = [0, 0]
        self.frag_pkts = [0, 0]
        self.fin_from = set()
        self.rst = False
        self.close_ts = None
        self.close_kind = None
        self.streams = collections.OrderedDict()  # tshark stream -> [c->s, s->c] frames
        # per tshark-visible layer (unordered tuple, stream) -> [frames c->s, s->c]
        self.conv = collections.Counter()
        self.start_cause = cause
        self.first_flags = p.flags
        self.end_reason = None
        self.seq = seq

    def direction(self, p):
        return 0 if (p.src, p.sport) == self.client else 1

    def closed(self):
        return self.close_ts is not None


def canon(l4, a, pa, b, pb):
    """Unordered conversation tuple and whether (a, pa) is its first endpoint."""
    ea, eb = (a, pa), (b, pb)
    return ((l4,) + (ea + eb if ea <= eb else eb + ea)), ea <= eb


class Oracle:
    def __init__(self, args):
        self.a = args
        self.live = {}
        self.flows = []
        self.frags = {}  # (src, dst, proto, id) -> (flow, direction, first fragment's ts)
        self.unattributed = collections.Counter()  # l4 -> later fragments counted nowhere
        self.excluded = collections.Counter()  # (canon tuple, stream, dir-first?, reason) -> n
        self.status = collections.Counter()
        self.l4_frames = 0
        self.icmp_quoted = 0  # TCP/UDP headers quoted in ICMP errors (counted by nobody)
        self.clock = None
        self.seq = 0

    def timeout_ns(self, l4):
        t = {"tcp": self.a.tcp_timeout, "udp": self.a.udp_timeout}.get(l4, self.a.other_timeout)
        return int(round(t * 1e9))

    def expired(self, f, ts, note=None):
        """Why flow f is over when a packet arrives at ts, or None. With note (a list), gaps
        that decided it within the timing slack of their limit are appended to it."""
        slack = int(round(self.a.timing_slack * 1e9))
        gap = ts - f.last_ts
        to = self.timeout_ns(f.proto)
        if note is not None and to <= gap <= to + slack:
            note.append(f"idle gap {gap / 1e9:.6f} s, timeout {to / 1e9:g} s")
        keep = self.a.at_limit == "keep"
        if gap > to or (gap == to and not keep):
            return "idle"
        if f.closed():
            base = f.close_ts if self.a.linger_from == "close" else f.last_ts
            lg = int(round(self.a.linger * 1e9))
            if note is not None and lg <= ts - base <= lg + slack:
                what = "close" if self.a.linger_from == "close" else "last packet"
                note.append(f"{(ts - base) / 1e9:.6f} s after the {what}, linger "
                            f"{self.a.linger:g} s")
            if ts - base > lg or (ts - base == lg and not keep):
                return f.close_kind
        return None

    def end(self, f, reason):
        f.end_reason = reason
        del self.live[f.key]

    def add(self, p):
        self.status[p.status] += 1
        if p.status == "later_frag" or (p.layers and p.status != "icmp"):
            self.l4_frames += 1  # frames with TCP/UDP in tshark's dissection
        if self.clock is None or p.ts > self.clock:
            self.clock = p.ts
        if p.status == "later_frag":
            self.add_later_frag(p)
        elif p.status == "flow":
            self.add_packet(p)
        # tshark-visible TCP/UDP layers not counted by a flow here: exclusions with a reason
        for lay in p.layers:
            l4, src, dst, sp, dp, st, pos, in_error = lay
            if p.status == "flow" and pos == p.chosen_layer:
                continue
            if in_error:
                # A header quoted by an ICMP error: tshark's conversation taps skip it too.
                self.icmp_quoted += 1
                continue
            if p.status in ("flow", "later_frag", "not_tcp_udp", "icmp"):
                # another layer of a frame that is keyed by a different header
                if p.ip_pos is not None and pos < p.ip_pos:
                    reason = "tunnel_outer"
                else:
                    reason = "inner_not_decapsulated"
            else:
                reason = p.status
            ct, fwd = canon(l4, src, sp, dst, dp)
            self.excluded[(ct, st, fwd, reason)] += 1

    def add_later_frag(self, p):
        entry = self.frags.get(p.frag_key)
        f, d, first_ts = entry if entry else (None, 0, 0)
        window = int(round(self.a.frag_window * 1e9))
        if f is not None and self.live.get(f.key) is f and self.expired(f, p.ts) is None \
                and (window <= 0 or p.ts - first_ts <= window):
            f.pkts[d] += 1
            f.ip_bytes[d] += p.ip_bytes
            if self.a.later_frag_payload and p.l4_bytes is not None:
                f.payload[d] += max(0, p.l4_bytes)
            f.frag_pkts[d] += 1
            f.last_ts = p.ts
        else:
            self.unattributed[p.l4] += 1

    def add_packet(self, p):
        a = self.a
        ea, eb = (p.src, p.sport), (p.dst, p.dport)
        key = (p.l4, p.vlan, p.inner_vlan) + (ea + eb if ea <= eb else eb + ea)
        f = self.live.get(key)
        cause = "new"
        note = []
        prev = None
        if f is not None:
            why = self.expired(f, p.ts, note)
            if why is None and p.l4 == "tcp" and f.closed() and not a.no_port_reuse \
                    and (p.flags & (TCP_SYN | TCP_ACK)) == TCP_SYN:
                why = f.close_kind
                cause = "port_reuse"
            if why is not None:
                prev = f
                self.end(f, why)
                if cause != "port_reuse":
                    cause = "idle" if why == "idle" else "linger_expired"
                f = None
        if f is None:
            client_is_src = True
            if p.l4 == "tcp":
                syn, ack = p.flags & TCP_SYN, p.flags & TCP_ACK
                if syn and ack:
                    client_is_src = False  # the SYN-ACK's sender is the server
                elif not syn and p.sport != p.dport:
                    client_is_src = p.sport > p.dport  # mid-stream: lower port is the server
            self.seq += 1
            f = Flow(key, p, client_is_src, cause, self.seq)
            self.live[key] = f
            self.flows.append(f)
        if note:  # this packet's place was decided by a gap close to a limit
            f.boundary.extend(note)
            if prev is not None:
                prev.boundary.extend(note)
        d = f.direction(p)
        f.pkts[d] += 1
        f.ip_bytes[d] += p.ip_bytes
        f.payload[d] += p.payload
        f.last_ts = p.ts
        s = f.streams.setdefault(p.stream, [0, 0])
        s[d] += 1
        ct, fwd = canon(p.l4, p.src, p.sport, p.dst, p.dport)
        f.conv[(ct, p.stream, fwd)] += 1
        if p.frag == "first":
            self.frags[p.frag_key] = (f, d, p.ts)
        if p.l4 == "tcp" and not f.closed():
            if p.flags & TCP_RST:
                f.rst = True
                f.close_ts, f.close_kind = p.ts, "rst"
            elif p.flags & TCP_FIN:
                f.fin_from.add(d)
                if len(f.fin_from) == 2:
                    f.close_ts, f.close_kind = p.ts, "fin"

    def finish(self):
        """End every live flow. expected_reason: what the flow would have ended with by the
        capture's last timestamp (idle, fin, rst), else shutdown. Informational only: when a
        sensor's expiry scan runs is its own business; counters do not depend on it."""
        for f in list(self.live.values()):
            self.end(f, self.expired(f, self.clock) or "shutdown")
        return self.flows


def compute(path, args, with_conv=False):
    """(flows, oracle, conv_lines) for a capture."""
    rows, conv_lines = run_tshark(path, args.tshark, with_conv)
    o = Oracle(args)
    for cols in rows:
        o.add(decode_frame(cols, args))
    flows = o.finish()
    o.frames = len(rows)
    return flows, o, conv_lines


def fmt_ts(ns):
    """Seconds with microsecond precision (truncated), as a JSON number."""
    sec, rem = divmod(ns, 1_000_000_000)
    return f"{sec}.{rem // 1000:06d}"


def flow_record(f):
    d = collections.OrderedDict()
    d["proto"] = f.proto
    d["client_addr"], d["client_port"] = f.client
    d["server_addr"], d["server_port"] = f.server
    d["vlan"] = f.vlan
    if f.inner_vlan:
        d["inner_vlan"] = f.inner_vlan
    d["first_ts"] = fmt_ts(f.first_ts)
    d["last_ts"] = fmt_ts(f.last_ts)
    d["client_packets"], d["server_packets"] = f.pkts
    d["client_ip_bytes"], d["server_ip_bytes"] = f.ip_bytes
    d["client_payload_bytes"], d["server_payload_bytes"] = f.payload
    streams = [s for s in f.streams if s is not None]
    d["tshark_stream"] = streams[0] if streams else None
    if len(streams) > 1:
        d["tshark_streams"] = streams
    d["first_ts_ns"] = f.first_ts
    d["last_ts_ns"] = f.last_ts
    d["start_cause"] = f.start_cause
    d["expected_reason"] = f.end_reason
    if f.proto == "tcp" and not (f.first_flags & TCP_SYN):
        d["midstream"] = True
    if any(f.frag_pkts):
        d["later_fragments"] = f.frag_pkts
    if f.boundary:
        d["timing_boundary"] = f.boundary
    return d


def dumps_record(d):
    """JSON with first_ts/last_ts as numbers of exactly 6 decimals."""
    parts = []
    for k, v in d.items():
        if k in ("first_ts", "last_ts"):
            parts.append(f'"{k}": {v}')
        else:
            parts.append(f"{json.dumps(k)}: {json.dumps(v)}")
    return "{" + ", ".join(parts) + "}"


# ---------------------------------------------------------------------------------------------
# Self-check against tshark's conversation tables


def parse_conv(lines):
    """[(l4, a, pa, b, pb, frames_ab, frames_ba, rel_start)] from -z conv,tcp/udp text."""
    rows = []
    l4 = None
    for line in lines:
        if line.startswith("TCP Conversations"):
            l4 = "tcp"
        elif line.startswith("UDP Conversations"):
            l4 = "udp"
        elif "<->" in line and l4:
            tok = line.split()
            # A <-> B  fBA nBA unit  fAB nAB unit  fT nT unit  start  duration
            if len(tok) != 14 or tok[1] != "<->":
                raise RuntimeError(f"unexpected conversation line: {line}")
            a, pa = tok[0].rsplit(":", 1)
            b, pb = tok[2].rsplit(":", 1)
            rows.append((l4, a, int(pa), b, int(pb), int(tok[6]), int(tok[3]), float(tok[12])))
    return rows


def self_check(path, flows, o, conv_lines):
    """Compare flows (+ explained exclusions) with tshark's conversation table.
    Returns (ok, report lines, summary counters, split reasons, exclusion reasons)."""
    out = []
    ok = True
    conv = parse_conv(conv_lines)
    # Our view per (canon tuple, tshark stream): frames fwd/rev counted by flows, frames
    # excluded by the rules (by reason), and the flows involved.
    ours = collections.defaultdict(lambda: {"flows": [], "n": [0, 0], "x": collections.Counter(),
                                            "xn": [0, 0]})
    for f in flows:
        for (ct, st, fwd), n in f.conv.items():
            g = ours[(ct, st)]
            g["n"][0 if fwd else 1] += n
            if f not in g["flows"]:
                g["flows"].append(f)
    for (ct, st, fwd, reason), n in o.excluded.items():
        g = ours[(ct, st)]
        g["xn"][0 if fwd else 1] += n
        g["x"][reason] += n
    # Order of groups of one tuple: by stream id (tshark numbers streams in order of appearance).
    by_tuple = collections.defaultdict(list)
    for (ct, st) in ours:
        by_tuple[ct].append(st)
    rows_by_tuple = collections.defaultdict(list)
    for r in conv:
        ct, fwd = canon(r[0], r[1], r[2], r[3], r[4])
        rows_by_tuple[ct].append((r, fwd))
    summary = collections.Counter()
    split_reasons = collections.Counter()
    excl_reasons = collections.Counter()
    for ct in sorted(set(by_tuple) | set(rows_by_tuple), key=str):
        streams = sorted(by_tuple.get(ct, []), key=lambda s: (s is None, s))
        rows = sorted(rows_by_tuple.get(ct, []), key=lambda rf: rf[0][7])
        if len(streams) != len(rows):
            ok = False
            out.append(f"  MISMATCH {ct}: {len(rows)} tshark conversation rows, "
                       f"{len(streams)} tshark streams seen in the fields")
            continue
        for st, (r, fwd) in zip(streams, rows):
            g = ours[(ct, st)]
            t_fwd, t_rev = (r[5], r[6]) if fwd else (r[6], r[5])
            mine = [g["n"][0] + g["xn"][0], g["n"][1] + g["xn"][1]]
            name = f"{ct[0]} {ct[1]}:{ct[2]} <-> {ct[3]}:{ct[4]} stream {st}"
            if mine != [t_fwd, t_rev]:
                ok = False
                out.append(f"  MISMATCH {name}: tshark frames {t_fwd}/{t_rev}, flows "
                           f"{g['n'][0]}/{g['n'][1]} + excluded {g['xn'][0]}/{g['xn'][1]}")
                continue
            summary["rows"] += 1
            nflows = len(g["flows"])
            if g["x"]:
                summary["rows_with_exclusions"] += 1
                excl_reasons.update(g["x"])
            if nflows == 1 and not g["x"]:
                summary["rows_1to1"] += 1
            if nflows > 1:
                summary["rows_split"] += 1
                summary["split_extra_flows"] += nflows - 1
                reasons = collections.Counter()
                for f in g["flows"][1:]:
                    reasons[f.start_cause if f.start_cause != "new" else "vlan"] += 1
                split_reasons.update(reasons)
                out.append(f"  split {name}: {nflows} flows ("
                           + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) + ")")
            if nflows == 0:
                summary["rows_no_flow"] += 1
    # Flows spanning several tshark TCP streams: tshark does not split where the rules do not.
    for f in flows:
        ss = [s for s in f.streams if s is not None]
        if len(ss) > 1:
            out.append(f"  note: {f.proto} flow {f.client[0]}:{f.client[1]} -> "
                       f"{f.server[0]}:{f.server[1]} spans tshark streams {ss}")
            summary["flows_multi_stream"] += 1
    summary["conv_rows_tcp"] = sum(1 for r in conv if r[0] == "tcp")
    summary["conv_rows_udp"] = sum(1 for r in conv if r[0] == "udp")
    return ok, out, summary, split_reasons, excl_reasons


def main(argv=None):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("capture")
    ap.add_argument("-o", "--output", default="-", help="expected flows, JSON lines (- = stdout)")
    ap.add_argument("--self-check", action="store_true",
                    help="check the flows against tshark's -z conv,tcp/udp tables; report splits")
    add_rule_args(ap)
    args = ap.parse_args(argv)
    if shutil.which(args.tshark) is None:
        print(f"tshark_flows: {args.tshark} not found", file=sys.stderr)
        return 77
    flows, o, conv_lines = compute(args.capture, args, with_conv=args.self_check)
    compared = [f for f in flows if f.proto in ("tcp", "udp")]
    if args.output != "-" or not args.self_check:
        fh = sys.stdout if args.output == "-" else open(args.output, "w")
        for f in compared:
            fh.write(dumps_record(flow_record(f)) + "\n")
        if fh is not sys.stdout:
            fh.close()
    if args.self_check:
        ok, lines, s, splits, excl = self_check(args.capture, flows, o, conv_lines)
        ntcp = sum(1 for f in compared if f.proto == "tcp")
        nudp = len(compared) - ntcp
        mid = sum(1 for f in compared if f.proto == "tcp" and not (f.first_flags & TCP_SYN))
        fr = sum(sum(f.frag_pkts) for f in compared)
        unat = sum(o.unattributed.values())
        nb = sum(1 for f in compared if f.boundary)
        print(f"{os.path.basename(args.capture)}: {'OK' if ok else 'FAIL'}: frames {o.frames}; "
              f"flows tcp {ntcp} udp {nudp}; tshark conversations tcp {s['conv_rows_tcp']} "
              f"udp {s['conv_rows_udp']}; 1:1 {s['rows_1to1']}, split {s['rows_split']} "
              f"(+{s['split_extra_flows']} flows"
              + "".join(f", {k} {v}" for k, v in sorted(splits.items())) + ")"
              + (f"; excluded frames " + ", ".join(f"{k} {v}" for k, v in sorted(excl.items()))
                 if excl else "")
              + (f"; later fragments attributed {fr}" if fr else "")
              + (f", unattributed {unat}" if unat else "")
              + (f"; mid-stream tcp {mid}" if mid else "")
              + (f"; icmp-quoted tcp/udp headers {o.icmp_quoted}" if o.icmp_quoted else "")
              + (f"; flows at a timing boundary {nb}" if nb else ""))
        for f in compared:
            if f.boundary:
                lines.append(f"  timing boundary: {f.proto} {f.client[0]}:{f.client[1]} -> "
                             f"{f.server[0]}:{f.server[1]} first_ts {fmt_ts(f.first_ts)}: "
                             + "; ".join(f.boundary))
        for line in lines:
            print(line)
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
