#!/usr/bin/env python3
"""Compare the sensor's flow records with the oracle's expected flows (tshark_flows.py).

    compare_flows.py --sensor BIN [options] CAPTURE...       run BIN -r CAPTURE --json - itself
    compare_flows.py --sensor-json FILE [options] CAPTURE    sensor output saved earlier (- = stdin)

Only `end` events of TCP and UDP flows are compared. A sensor flow matches an oracle flow with
the same (proto, client_addr, client_port, server_addr, server_port, vlan) and first_ts within
the tolerance (1 us: the sensor prints microseconds, tshark gives the capture's precision).
A matched flow is exact when client/server packets, IP bytes and payload bytes are equal and
last_ts is within the tolerance. Every other case is one line on its own:

    FILE: DIFF tcp 10.0.0.1:40000 -> 10.0.0.2:443 vlan 0 first_ts T: client_packets 12 (oracle 13)
    FILE: MISSING tcp ... (oracle flow the sensor did not report)
    FILE: EXTRA tcp ... (sensor flow the oracle does not expect)
    FILE: SWAPPED tcp ... (same flow with client and server the other way round)

Exit status: 0 when every capture matches fully, 1 on any difference, missing or extra flow or
sensor failure, 2 on usage errors, 77 when tshark is missing.
"""

import argparse
import collections
import concurrent.futures
import decimal
import hashlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tshark_flows  # noqa: E402  (the oracle; never sensor code)

COUNTERS = ("client_packets", "server_packets", "client_ip_bytes", "server_ip_bytes",
            "client_payload_bytes", "server_payload_bytes")
KEY_FIELDS = ("proto", "client_addr", "client_port", "server_addr", "server_port", "vlan")
PROTO_NAMES = {"6": "tcp", "17": "udp", "tcp": "tcp", "udp": "udp"}


def norm_addr(a):
    try:
        return str(ipaddress.ip_address(str(a)))
    except ValueError:
        return str(a)


def ts_to_ns(v):
    """A JSON number (parsed as Decimal) or numeric string of seconds -> integer ns."""
    d = decimal.Decimal(str(v))
    return int((d * 1_000_000_000).to_integral_value(rounding=decimal.ROUND_HALF_EVEN))


def fmt_ns(ns):
    sec, rem = divmod(ns, 1_000_000_000)
    s = f"{sec}.{rem:09d}"
    return s[:-3] if s.endswith("000") else s


class Rec:
    """One flow (oracle or sensor) reduced to what is compared."""

    __slots__ = ("key", "first", "last", "counters", "raw", "reason", "boundary")

    def __init__(self, d, inner_vlan=False):
        self.raw = d
        proto = PROTO_NAMES.get(str(d.get("proto", "")).lower())
        vlan = int(d.get("vlan") or 0)
        if inner_vlan:  # the QinQ second tag as part of the key: (outer, inner)
            vlan = (vlan, int(d.get("inner_vlan") or 0))
        self.key = (proto, norm_addr(d["client_addr"]), int(d["client_port"]),
                    norm_addr(d["server_addr"]), int(d["server_port"]), vlan)
        self.boundary = d.get("timing_boundary")
        self.first = int(d["first_ts_ns"]) if "first_ts_ns" in d else ts_to_ns(d["first_ts"])
        self.last = int(d["last_ts_ns"]) if "last_ts_ns" in d else ts_to_ns(d["last_ts"])
        self.counters = tuple(int(d[c]) for c in COUNTERS)
        self.reason = d.get("expected_reason", d.get("reason"))

    def name(self):
        p, ca, cp, sa, sp, vl = self.key
        vl = "/".join(map(str, vl)) if isinstance(vl, tuple) else vl
        return f"{p} {ca}:{cp} -> {sa}:{sp} vlan {vl} first_ts {fmt_ns(self.first)}"


def swapped(key):
    p, ca, cp, sa, sp, vl = key
    return (p, sa, sp, ca, cp, vl)


def load_sensor(text, inner_vlan=False):
    """(end records of TCP/UDP flows, problems, stats) from the sensor's JSON lines."""
    ends, problems = [], []
    stats = collections.Counter()
    opens = collections.Counter()
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if not line.startswith("{"):
            stats["non_json_lines"] += 1
            continue
        try:
            d = json.loads(line, parse_float=decimal.Decimal)
        except ValueError as e:
            problems.append(f"sensor line {n}: not JSON ({e})")
            continue
        ev = d.get("event")
        stats[f"event_{ev}"] += 1
        if PROTO_NAMES.get(str(d.get("proto", "")).lower()) is None:
            continue
        try:
            r = Rec(d, inner_vlan)
        except (KeyError, ValueError, TypeError, decimal.InvalidOperation) as e:
            problems.append(f"sensor line {n}: bad or missing field {e}: {line[:160]}")
            continue
        if ev == "end":
            ends.append(r)
        elif ev == "open":
            opens[(r.key, r.first)] += 1
    # every flow ends exactly once: an open without an end (or the reverse) is reported
    ended = collections.Counter((r.key, r.first) for r in ends)
    for k, n in (opens - ended).items():
        p, ca, cp, sa, sp, vl = k[0]
        vl = "/".join(map(str, vl)) if isinstance(vl, tuple) else vl
        problems.append(f"sensor flow opened but never ended: {p} {ca}:{cp} -> {sa}:{sp} vlan {vl}"
                        f" first_ts {fmt_ns(k[1])}")
    stats["opens"] = sum(opens.values())
    return ends, problems, stats


def boundary_note(recs):
    notes = [n for r in recs for n in (r.boundary or [])]
    if not notes:
        return ""
    return (" [near a timing limit: " + "; ".join(sorted(set(notes)))
            + " -- the sensor's timer lists are exact to 1 s, either outcome is defensible]")


def compare(oracle, sensor, tol_ns, check_reason=False):
    """(exact matches, difference lines)."""
    diffs = []
    by_key = collections.defaultdict(list)
    for o in oracle:
        by_key[o.key].append(o)
    used = set()
    unmatched_sensor = []
    exact = 0
    for s in sorted(sensor, key=lambda r: r.first):
        cands = [o for o in by_key.get(s.key, []) if id(o) not in used
                 and abs(o.first - s.first) <= tol_ns]
        if not cands:
            unmatched_sensor.append(s)
            continue
        o = min(cands, key=lambda c: abs(c.first - s.first))
        used.add(id(o))
        parts = [f"{c} {sv} (oracle {ov})" for c, sv, ov in zip(COUNTERS, s.counters, o.counters)
                 if sv != ov]
        if abs(s.last - o.last) > tol_ns:
            parts.append(f"last_ts {fmt_ns(s.last)} (oracle {fmt_ns(o.last)})")
        if check_reason and o.reason and s.reason != o.reason:
            parts.append(f"reason {s.reason} (oracle expects {o.reason})")
        if parts:
            diffs.append(f"DIFF {o.name()}: " + "; ".join(parts) + boundary_note([o]))
        else:
            exact += 1
    missing = [o for o in oracle if id(o) not in used]
    # The same flow with client and server the other way round.
    extra = []
    for s in unmatched_sensor:
        cands = [o for o in missing if o.key == swapped(s.key) and abs(o.first - s.first) <= tol_ns]
        if cands:
            o = cands[0]
            missing.remove(o)
            diffs.append(f"SWAPPED {o.name()}: the sensor has {s.key[1]}:{s.key[2]} as the "
                         f"client")
        else:
            extra.append(s)
    sensor_keys = collections.defaultdict(list)
    for s in extra:
        sensor_keys[s.key].append(s)
    for o in sorted(missing, key=lambda r: r.first):
        hint = ""
        near = [s.first for s in sensor if s.key == o.key]
        if near:
            hint = "; sensor flows with this key start at " + ", ".join(
                fmt_ns(t) for t in sorted(near)[:4])
        diffs.append(f"MISSING {o.name()}: oracle {dict(zip(COUNTERS, o.counters))}, last_ts "
                     f"{fmt_ns(o.last)}{hint}{boundary_note([o])}")
    for s in sorted(extra, key=lambda r: r.first):
        diffs.append(f"EXTRA {s.name()}: sensor {dict(zip(COUNTERS, s.counters))}, last_ts "
                     f"{fmt_ns(s.last)}{boundary_note(by_key.get(s.key, []))}")
    return exact, diffs


def oracle_records(capture, args):
    if args.expected:
        with open(args.expected) as fh:
            recs = [Rec(json.loads(l, parse_float=decimal.Decimal), args.inner_vlan)
                    for l in fh if l.strip()]
        return [r for r in recs if r.key[0] in ("tcp", "udp")], True
    flows, o, _ = tshark_flows.compute(capture, args)
    has_l4 = o.l4_frames > 0
    recs = [Rec(tshark_flows.flow_record(f), args.inner_vlan) for f in flows
            if f.proto in ("tcp", "udp")]
    return recs, has_l4


def sensor_output(capture, args):
    """(stdout text, problem or None)."""
    if args.sensor_json:
        if args.sensor_json == "-":
            return sys.stdin.read(), None
        with open(args.sensor_json) as fh:
            return fh.read(), None
    cmd = [args.sensor, "-r", capture, "--json", "-"]
    try:
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             errors="replace", timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return "", f"sensor timed out after {args.timeout} s: {' '.join(cmd)}"
    except OSError as e:
        return "", f"cannot run sensor: {e}"
    if res.returncode != 0:
        tail = " | ".join(res.stderr.strip().splitlines()[-3:])
        return res.stdout, f"sensor exited {res.returncode}: {tail}"
    return res.stdout, None


def check_capture(capture, args):
    """Result dict for one capture."""
    name = os.path.basename(capture)
    res = {"name": name, "lines": [], "ok": True, "skipped": False}
    try:
        oracle, has_l4 = oracle_records(capture, args)
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        res.update(ok=False, lines=[f"oracle failed: {e}"], matched=0, total=0)
        return res
    if args.skip_empty and not has_l4 and not oracle:
        res.update(skipped=True, matched=0, total=0)
        return res
    text, problem = sensor_output(capture, args)
    ends, problems, stats = load_sensor(text, args.inner_vlan)
    if problem:
        problems.insert(0, problem)
    exact, diffs = compare(oracle, ends, int(args.ts_tolerance_us * 1000), args.check_reason)
    res["matched"], res["total"] = exact, len(oracle)
    res["sensor_flows"] = len(ends)
    res["counts"] = collections.Counter(d.split(" ", 1)[0] for d in diffs)
    res["lines"] = problems + diffs
    res["ok"] = not diffs and not (problem or (problems and args.strict_events))
    if problems and not args.strict_events and not problem:
        res["warnings"] = len(problems)
    return res


def dedupe(paths):
    seen, out = {}, []
    for p in paths:
        with open(p, "rb") as fh:
            h = hashlib.sha256(fh.read()).hexdigest()
        if h in seen:
            print(f"{os.path.basename(p)}: same content as {seen[h]}, compared once",
                  file=sys.stderr)
            continue
        seen[h] = p
        out.append(p)
    return out


def main(argv=None):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("captures", nargs="+", metavar="CAPTURE")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--sensor", metavar="BIN", help="run BIN -r CAPTURE --json - per capture")
    src.add_argument("--sensor-json", metavar="FILE",
                     help="the sensor's JSON lines for the (single) capture; - = stdin")
    ap.add_argument("--expected", metavar="FILE",
                    help="oracle flows saved by tshark_flows.py (single capture; default: "
                         "computed now)")
    ap.add_argument("--summary", action="store_true",
                    help='one line per capture on stdout, "FILE: matched M / N oracle flows"; '
                         "differences go to stderr")
    ap.add_argument("--skip-empty", action="store_true",
                    help="skip captures in which tshark dissects no TCP or UDP at all")
    ap.add_argument("--dedupe", action="store_true", help="compare identical files once")
    ap.add_argument("--check-reason", action="store_true",
                    help="also require the end reason the oracle predicts (informational by "
                         "default: it depends on when the sensor's expiry runs)")
    ap.add_argument("--strict-events", action="store_true",
                    help="unparsable lines and opens without an end fail the capture")
    ap.add_argument("--ts-tolerance-us", type=float, default=1.0,
                    help="first_ts/last_ts tolerance in microseconds (1)")
    ap.add_argument("--max-diffs", type=int, default=25, help="difference lines per capture")
    ap.add_argument("--timeout", type=float, default=300.0, help="sensor run time limit, s")
    ap.add_argument("-j", "--jobs", type=int, default=min(8, os.cpu_count() or 1))
    tshark_flows.add_rule_args(ap)
    args = ap.parse_args(argv)
    if (args.sensor_json or args.expected) and len(args.captures) != 1:
        ap.error("--sensor-json and --expected take a single capture")
    if not args.expected and shutil.which(args.tshark) is None:
        print(f"compare_flows: {args.tshark} not found", file=sys.stderr)
        return 77
    caps = dedupe(args.captures) if args.dedupe else args.captures
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(lambda c: check_capture(c, args), caps))
    all_ok = True
    for r in results:
        if r["skipped"]:
            print(f"{r['name']}: skipped (no TCP or UDP in tshark's dissection)",
                  file=sys.stderr if args.summary else sys.stdout)
            continue
        all_ok &= r["ok"]
        c = r.get("counts", {})
        extra = ", ".join(f"{c[k]} {k.lower()}" for k in ("DIFF", "MISSING", "EXTRA", "SWAPPED")
                          if c.get(k))
        head = f"{r['name']}: matched {r['matched']} / {r['total']} oracle flows"
        if extra:
            head += f" ({extra})"
        elif not r["ok"]:
            head += " (FAILED)"
        if r.get("warnings"):
            head += f" [{r['warnings']} warnings]"
        print(head)
        sys.stdout.flush()
        detail = sys.stderr if args.summary else sys.stdout
        for line in r["lines"][:args.max_diffs]:
            print(f"{r['name']}: {line}", file=detail)
        if len(r["lines"]) > args.max_diffs:
            print(f"{r['name']}: ... {len(r['lines']) - args.max_diffs} more", file=detail)
        detail.flush()
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
