#!/usr/bin/env python3
"""End-to-end checks of umbra-gen on tests/scenarios/small.yaml (issue 5).

1. Determinism: two runs with one seed give identical captures and labels; another seed
   gives a different capture.
2. Labels and capture agree: the capture is read here with a pcap reader of its own (standard
   library only, nothing shared with the generator), every packet belongs to exactly one
   labelled flow (same 5-tuple in either direction, inside the flow's start..end), and each
   labelled flow's packet count, byte count, first and last timestamps are the capture's.
3. tshark reads the capture without one malformed packet, with IPv4/TCP/UDP checksums
   validated, and the clear-text fields read back as the scenario says: every TLS SNI and DNS
   query name is one of the scenario's internet names, and each name a behaviour uses shows up.
   One exception, counted and printed: tshark's TCP reassembly reports "New fragment overlaps
   old data (retransmission?)" on a retransmitted segment that straddles the end of a TLS record
   it has already reassembled (the segment was seen once and then lost after the tap). The
   bytes are the same both times (test_gen_sim checks that); the error is tshark's, on frames
   it itself marks as retransmissions, not a malformed clear-text protocol. Two more, from
   tshark 4.0's SSH dissector (Debian 12's): it takes every ECDH-style key to be curve25519's
   32 bytes, so sntrup761x25519-sha512's keys (1158 + 32 = 1190 bytes from the client, 1039 +
   32 = 1071 from the server, OpenSSH's PROTOCOL file) are "Invalid key length", and it does not
   decode an ssh-ed25519 signature blob (4 + 11 + 4 + 64 = 83 bytes, RFC 8709 6), which it
   reports as "Decoded 19 bytes, but packet legnth is 83 bytes" (sic).
4. SSH banners: every SSH conversation the labels name (admin sessions, lateral hops, shells
   over SSH) shows a client and a server identification string in tshark, each one of the
   published version strings of the implementations the generator models.

Usage: gen_small.py UMBRA_GEN SCENARIO   (exit 77 = skipped: tshark missing)
"""
import collections
import filecmp
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run_gen(gen, scenario, outdir, seed):
    pcap = os.path.join(outdir, "seed%d.pcap" % seed)
    labels = os.path.join(outdir, "seed%d.labels.jsonl" % seed)
    r = subprocess.run([gen, "-q", "-s", str(seed), "-o", pcap, "-l", labels, scenario],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        fail("umbra-gen exited %d: %s" % (r.returncode, r.stderr.strip()))
    return pcap, labels


def read_pcap(path):
    """Yields (t_ns, frame bytes, original length) from a classic pcap file."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic == 0xA1B23C4D:
            scale = 1
        elif magic == 0xA1B2C3D4:
            scale = 1000
        else:
            fail("%s: not a little-endian pcap (magic %08x)" % (path, magic))
        linktype = struct.unpack("<I", hdr[20:24])[0]
        if linktype != 1:
            fail("%s: link type %d, expected Ethernet" % (path, linktype))
        while True:
            rec = f.read(16)
            if not rec:
                return
            sec, frac, caplen, origlen = struct.unpack("<IIII", rec)
            yield sec * 1000000000 + frac * scale, f.read(caplen), origlen


def five_tuple(frame):
    """(proto, src, sport, dst, dport) of an Ethernet/IPv4 TCP or UDP frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 15) * 4
    proto = frame[23]
    if proto not in (6, 17):
        return None
    src = ".".join(str(b) for b in frame[26:30])
    dst = ".".join(str(b) for b in frame[30:34])
    l4 = 14 + ihl
    sport, dport = struct.unpack(">HH", frame[l4:l4 + 4])
    return ("tcp" if proto == 6 else "udp", src, sport, dst, dport)


def check_labels(pcap, labels_path):
    flows = collections.defaultdict(list)  # canonical key -> [label, ...]
    labels = []
    for line in open(labels_path):
        lab = json.loads(line)
        labels.append(lab)
        key = (lab["proto"], lab["src"], lab["sport"], lab["dst"], lab["dport"])
        flows[key].append(lab)
        lab["_seen"] = [0, 0, None, None]  # packets, bytes, first, last
    if len(labels) < 1000:
        fail("only %d labelled flows; the small scenario should have a few thousand" % len(labels))
    last_t = 0
    npackets = 0
    for t, frame, origlen in read_pcap(pcap):
        npackets += 1
        if t < last_t:
            fail("packet %d goes back in time (%d < %d)" % (npackets, t, last_t))
        last_t = t
        ft = five_tuple(frame)
        if ft is None:
            fail("packet %d is not IPv4 TCP/UDP" % npackets)
        rev = (ft[0], ft[3], ft[4], ft[1], ft[2])
        cands = [lab for lab in flows.get(ft, []) + flows.get(rev, [])
                 if lab["start_ns"] <= t <= lab["end_ns"]]
        if len(cands) != 1:
            fail("packet %d %s at %d matches %d labelled flows" % (npackets, ft, t, len(cands)))
        seen = cands[0]["_seen"]
        seen[0] += 1
        seen[1] += origlen
        seen[2] = t if seen[2] is None else seen[2]
        seen[3] = t
    for lab in labels:
        p, b, first, last = lab["_seen"]
        want = (lab["packets"], lab["bytes"], lab["start_ns"], lab["end_ns"])
        if (p, b, first, last) != want:
            fail("flow %s:%d -> %s:%d: capture has %s, label says %s" % (
                lab["src"], lab["sport"], lab["dst"], lab["dport"], (p, b, first, last), want))
    print("labels: %d flows, %d packets, all agree" % (len(labels), npackets))
    return labels


# tshark 4.0's SSH dissector on correct sntrup761x25519 and ssh-ed25519 messages (see above).
TSHARK40_SSH = {"Invalid key length: 1190", "Invalid key length: 1071",
                "Decoded 19 bytes", " but packet legnth is 83 bytes"}

# The identification strings of the SSH implementations, as each publishes them: OpenSSH
# 9.6p1 on Ubuntu 24.04, 9.2p1 on Debian 12, PuTTY 0.81, Paramiko 3.4.0, Windows' OpenSSH 8.1.
SSH_BANNERS = {"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
               "SSH-2.0-PuTTY_Release_0.81", "SSH-2.0-paramiko_3.4.0",
               "SSH-2.0-OpenSSH_for_Windows_8.1"}


def check_ssh_banners(pcap, labels):
    tshark = shutil.which("tshark")
    r = subprocess.run([tshark, "-n", "-r", pcap, "-Y", "ssh.protocol", "-T", "fields",
                        "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport",
                        "-e", "ssh.protocol"], capture_output=True, text=True, timeout=300)
    seen = collections.defaultdict(set)
    for line in r.stdout.splitlines():
        src, sport, dst, dport, banner = line.split("\t")
        if banner not in SSH_BANNERS:
            fail("tshark read an SSH banner no modelled implementation sends: %r" % banner)
        side = "client" if dport == "22" else "server"
        key = (src, int(sport)) if side == "client" else (dst, int(dport))
        seen[key].add(side)
    want = [lab for lab in labels if lab["proto"] == "tcp" and lab["dport"] == 22
            and lab["behaviour"] in ("admin", "lateral", "shell")]
    if not want:
        fail("the scenario has no SSH conversation to check")
    for lab in want:
        if seen.get((lab["src"], lab["sport"])) != {"client", "server"}:
            fail("SSH flow %s:%d -> %s:22 (%s) lacks a banner in tshark"
                 % (lab["src"], lab["sport"], lab["dst"], lab["behaviour"]))
    print("tshark: %d SSH conversations, each with both banners, all published ones" % len(want))


def check_tshark(pcap, scenario_names, used_names):
    tshark = shutil.which("tshark")
    if tshark is None:
        print("SKIP: tshark not found")
        sys.exit(77)
    prefs = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
             "-o", "udp.check_checksum:TRUE"]
    r = subprocess.run([tshark, "-n", "-r", pcap] + prefs + [
        "-Y", "_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0 || "
              "udp.checksum.status == 0 || _ws.expert.severity == error",
        "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message",
        "-e", "tcp.analysis.flags", "-e", "_ws.col.Protocol"],
        capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        fail("tshark failed: " + r.stderr.strip())
    bad, reassembly, ssh_known = [], 0, 0
    for line in r.stdout.splitlines():
        number, messages, analysis, proto = (line.split("\t") + ["", "", "", ""])[:4]
        # tcp.analysis.flags is set on the frames tshark takes for retransmissions
        if (proto == "TCP" and analysis and "New fragment overlaps old data" in messages
                and "checksum" not in messages.lower()):
            reassembly += 1
        elif proto == "SSHv2" and all(m in TSHARK40_SSH for m in messages.split(",")):
            ssh_known += 1
        else:
            bad.append(line)
    if bad:
        fail("tshark found malformed packets or bad checksums:\n" + "\n".join(bad[:20]))
    print("tshark: %d TCP reassembly overlaps on retransmitted segments, %d SSH key exchanges "
          "tshark 4.0 cannot decode (both tshark's own)" % (reassembly, ssh_known))
    r = subprocess.run([tshark, "-n", "-r", pcap, "-Y", "tls.handshake.type == 1 || dns.flags.response == 0",
                        "-T", "fields", "-e", "tls.handshake.extensions_server_name",
                        "-e", "dns.qry.name"], capture_output=True, text=True, timeout=300)
    names = collections.Counter()
    for line in r.stdout.splitlines():
        for field in line.split("\t"):
            if field:
                names[field] += 1
    unknown = set(names) - set(scenario_names)
    if unknown:
        fail("tshark read names the scenario does not have: %s" % sorted(unknown))
    missing = set(used_names) - set(names)
    if missing:
        fail("names the scenario uses never appear in SNI or DNS: %s" % sorted(missing))
    print("tshark: no malformed packets or bad checksums; %d SNI/DNS names, all the scenario's"
          % sum(names.values()))


def scenario_names(path):
    """The internet names in the scenario file, read with a plain text scan (no YAML
    library in the standard library): every 'name: X' inside the internet list."""
    names, used, section = [], set(), None
    domain, site = "corp.example", None

    def value(line, key):
        return line.split(key)[1].split(",")[0].strip(" }")

    for raw in open(path):
        line = raw.split("#")[0].rstrip()
        if line and not line.startswith(" "):
            section = line.rstrip(":").strip()
        if line.startswith("domain:"):
            domain = value(line, "domain:")
        if section == "internet" and "name:" in line:
            names.append(value(line, "name:"))
        # The network's own hosts are looked up (and RDP's TLS names them) as NAME.DOMAIN.
        if section == "datacenter" and "name:" in line:
            names.append(value(line, "name:") + "." + domain)
        if section == "sites" and "name:" in line:
            site = value(line, "name:")
        if section == "sites" and line.strip().startswith("hosts:"):
            names += ["%s-%d.%s" % (site, k, domain) for k in range(1, int(value(line, "hosts:")) + 1)]
        if section in ("benign", "campaigns"):
            for key in ("dest:", "c2:"):
                if key in line:
                    used.add(line.split(key)[1].split(",")[0].strip(" }"))
    return names, used


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    gen, scenario = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="umbra-gen-test.")
    try:
        a_pcap, a_labels = run_gen(gen, scenario, tmp, 1)
        os.rename(a_pcap, a_pcap + ".a")
        os.rename(a_labels, a_labels + ".a")
        b_pcap, b_labels = run_gen(gen, scenario, tmp, 1)
        if not filecmp.cmp(a_pcap + ".a", b_pcap, shallow=False):
            fail("two runs with seed 1 wrote different captures")
        if not filecmp.cmp(a_labels + ".a", b_labels, shallow=False):
            fail("two runs with seed 1 wrote different labels")
        c_pcap, _ = run_gen(gen, scenario, tmp, 2)
        if filecmp.cmp(b_pcap, c_pcap, shallow=False):
            fail("seeds 1 and 2 wrote the same capture")
        print("determinism: seed 1 twice identical (%d bytes), seed 2 different"
              % os.path.getsize(b_pcap))
        labels = check_labels(b_pcap, b_labels)
        names, used = scenario_names(scenario)
        check_tshark(b_pcap, names, used)
        check_ssh_banners(b_pcap, labels)
    finally:
        shutil.rmtree(tmp)
    print("PASS")


if __name__ == "__main__":
    main()
