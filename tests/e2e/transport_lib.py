"""Helpers of the transport end-to-end tests (transport.py): processes on loopback, keys,
counters, and the two views of the records that are compared: the sensor's own JSON lines (the
reference: which records exist) and what an aggregator stored (umbra-ctl flows).

Standard library only; python3-xxhash (a Debian package) is used when it can be imported, for the
owners of the sharding rule.

A record's identity. The sensor's JSON has no update sequence, so a record is named here by
(flow_id, event, last_ts): flow_id is unique per sensor run, a flow has
one OPEN and one END, and each UPDATE is emitted on a packet at least flow.active_timeout after
the previous one, so its last_ts differs. The JSON writes last_ts as seconds with six decimals
(truncated microseconds); the stored record has it in nanoseconds, truncated here the same way.
An identity is packed into one integer so that a million of them sort and compare quickly.
"""
import ctypes
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

EVENTS_JSON = {"open": 1, "update": 2, "end": 3}
EVENTS_PB = {"FLOW_EVENT_OPEN": 1, "FLOW_EVENT_UPDATE": 2, "FLOW_EVENT_END": 3}
EVENT_NAMES = {1: "open", 2: "update", 3: "end"}
U64 = (1 << 64) - 1


class Failure(Exception):
    pass


def check(ok, what):
    """One named check: printed when it holds, raised when it does not."""
    if not ok:
        raise Failure(what)
    print("ok: " + what, flush=True)


def identity(flow_id, event, last_ts_us):
    return ((last_ts_us << 64) | flow_id) << 2 | event


def identity_text(key):
    event = key & 3
    flow_id = (key >> 2) & U64
    us = key >> 66
    return "(flow_id %d, %s, last_ts %d.%06d)" % (flow_id, EVENT_NAMES.get(event, "?"),
                                                  us // 1000000, us % 1000000)


def ts_us_of_text(text):
    """'1496350061.166754' -> 1496350061166754, exactly (no float on the way)."""
    sec, _, frac = text.partition(".")
    return int(sec) * 1000000 + int((frac + "000000")[:6])


def free_port():
    """An ephemeral port of 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_counters(text, header):
    """The counters of the last block that starts with @header: {name: int}."""
    start = text.rfind(header)
    if start < 0:
        return None
    out = {}
    for line in text[start:].splitlines()[1:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        out[parts[0]] = int(parts[1])
    return out


def _die_with_parent():
    """In the child before exec: SIGKILL when the test process dies, even by ctest's time-out
    (prctl(PR_SET_PDEATHSIG), Linux); nothing is left running after the test."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Proc:
    """A started program with its stdout and stderr in files of the work directory."""

    def __init__(self, env, name, argv):
        self.name = name
        self.out_path = os.path.join(env.dir, name + ".out")
        self.err_path = os.path.join(env.dir, name + ".err")
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self._out, stderr=self._err, cwd=env.dir,
                                  preexec_fn=_die_with_parent)
        self.argv = argv

    def out(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def err(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def running(self):
        return self.p.poll() is None

    def wait(self, timeout):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not finish within %.0f s; its log ends:\n%s"
                          % (self.name, timeout, self.err()[-3000:]))

    def signal(self, sig):
        if self.running():
            self.p.send_signal(sig)

    def kill(self):
        if self.running():
            self.p.kill()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._out.close()
        self._err.close()


class Env:
    """The binaries, a temporary directory removed at the end, and every process started here,
    all killed by close() whatever happened."""

    def __init__(self, args):
        self.sensor_bin = args.sensor
        self.aggregator_bin = args.aggregator
        self.ctl_bin = args.ctl
        self.gen_bin = args.gen
        self.probe_bin = args.probe
        self.data_dir = args.data
        self.scenario = args.scenario
        self.dir = tempfile.mkdtemp(prefix="umbra-transport-")
        self.procs = []
        self.keys = os.path.join(self.dir, "keys")

    def close(self):
        for p in self.procs:
            p.kill()
        if os.environ.get("UMBRA_KEEP_TMP"):
            print("kept " + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def start(self, name, argv):
        p = Proc(self, name, argv)
        self.procs.append(p)
        return p

    def run(self, argv, timeout=300):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=self.dir)
        if r.returncode != 0:
            raise Failure("%s exited %d: %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
        return r.stdout

    # ---- keys ----------------------------------------------------------------------------------

    def keygen(self, name, keydir=None):
        self.run([self.ctl_bin, "keygen", "--dir", keydir or self.keys, name])

    def allow(self, name, keydir=None):
        """Put NAME.pub (from @keydir) in the aggregator's allow-list, as sensor id NAME."""
        src = os.path.join(keydir or self.keys, name + ".pub")
        os.makedirs(os.path.join(self.keys, "sensors"), exist_ok=True)
        shutil.copy(src, os.path.join(self.keys, "sensors", name + ".pub"))

    def setup_keys(self, sensors=("sensor",)):
        """The aggregator's pair and each sensor's, each sensor allowed as its own id."""
        self.keygen("aggregator")
        for s in sensors:
            self.keygen(s)
            self.allow(s)

    # ---- captures ------------------------------------------------------------------------------

    def generate(self, name, duration):
        """A capture of the transport scenario cut at @duration
        (tests/scenarios/transport.yaml)."""
        pcap = self.path(name + ".pcap")
        t = time.monotonic()
        self.run([self.gen_bin, "-q", "-o", pcap, "-l", os.devnull, "-d", duration,
                  self.scenario])
        print("generated %s (%s of the sweep): %d bytes in %.1f s"
              % (name, duration, os.path.getsize(pcap), time.monotonic() - t), flush=True)
        return pcap

    # ---- aggregator ----------------------------------------------------------------------------

    def start_aggregator(self, name, port, data, extra=()):
        argv = [self.aggregator_bin, "--listen", "tcp://127.0.0.1:%d" % port, "--data", data,
                "--keys", self.keys] + list(extra)
        p = self.start(name, argv)
        wait_for(lambda: "listening on" in p.err() or not p.running(), 30,
                 "%s to listen" % name)
        if not p.running():
            raise Failure("%s exited %s at start: %s" % (name, p.p.returncode, p.err()))
        return p

    def stop_aggregator(self, p, timeout=60):
        """SIGTERM, then its final counters."""
        p.signal(signal.SIGTERM)
        rc = p.wait(timeout)
        if rc != 0:
            raise Failure("%s exited %d: %s" % (p.name, rc, p.err()[-2000:]))
        c = parse_counters(p.out(), "umbra-aggregator counters")
        if c is None:
            raise Failure("%s printed no counters" % p.name)
        return c

    def aggregator_counters_now(self, p, timeout=30):
        """SIGUSR1: the counters printed while it runs (the block ends with the sensor table)."""
        before = p.out().count("umbra-aggregator sensors (")
        p.signal(signal.SIGUSR1)
        wait_for(lambda: p.out().count("umbra-aggregator sensors (") > before, timeout,
                 "%s's counters after SIGUSR1" % p.name)
        return parse_counters(p.out(), "umbra-aggregator counters")

    # ---- sensor --------------------------------------------------------------------------------

    def start_sensor(self, name, capture, endpoints, json_path, spool, extra=(), keys=None):
        argv = [self.sensor_bin, "-r", capture, "--json", json_path, "--spool", spool]
        for ep in endpoints:
            argv += ["--aggregator", ep]
        if keys is not False:
            argv += ["--keys", keys or self.keys]
        return self.start(name, argv + list(extra))

    def finish_sensor(self, p, timeout, want_rc=0):
        rc = p.wait(timeout)
        c = parse_counters(p.out(), "umbra-sensor counters")
        if rc != want_rc:
            raise Failure("%s exited %d, expected %d; its log ends:\n%s"
                          % (p.name, rc, want_rc, p.err()[-3000:]))
        if c is None:
            raise Failure("%s printed no counters" % p.name)
        return c

    # ---- the store -----------------------------------------------------------------------------

    def stored(self, data, whole_flows=True):
        """The identities of the records an aggregator stored, {sensor_id: [identity]}, in the
        order of sensor, stream and batch (umbra-ctl flows). With @whole_flows (every record of
        each flow is expected in the store), each record's update_seq must be what
        proto/umbra.proto says: 0 on OPEN, +1 on each later record of the flow."""
        out, counts, wrong, total = {}, {}, 0, 0
        argv = [self.ctl_bin, "flows", "--data", data]
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=self.dir) as p:
            for line in p.stdout:
                r = json.loads(line)
                sid, fid = r["sensor_id"], r["flow_id"]
                ts = r.get("timing", {}).get("last_ts", 0)
                out.setdefault(sid, []).append(identity(fid, EVENTS_PB[r["event"]], ts // 1000))
                # proto/umbra.proto: update_seq is 0 on OPEN and +1 on each later record of
                # the same flow (counted per sensor stream as stored).
                n = counts.get((sid, fid), 0)
                counts[(sid, fid)] = n + 1
                wrong += r.get("update_seq", 0) != n
                total += 1
            err = p.stderr.read()
        if p.returncode != 0:
            raise Failure("umbra-ctl flows exited %d: %s" % (p.returncode, err.strip()))
        if wrong and whole_flows:
            raise Failure("%d of %d stored records do not carry the update_seq that "
                          "proto/umbra.proto describes (0 on OPEN, +1 per later record of the "
                          "flow)" % (wrong, total))
        return out

    def summary(self, data):
        out = self.run([self.ctl_bin, "flows", "--data", data, "--summary"])
        return {k: int(v) for k, v in (line.split() for line in out.splitlines())}

    def sensors(self, data):
        out = self.run([self.ctl_bin, "sensors", "--data", data, "--json"])
        return {s["sensor_id"]: s for s in (json.loads(line) for line in out.splitlines())}


def wait_for(cond, timeout, what, step=0.05):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(step)


def sensor_records(json_path, addresses=False):
    """The sensor's records in the order it emitted them: [identity], or with @addresses
    [(identity, client_addr, server_addr)]. Floats stay text so that last_ts is read exactly."""
    out = []
    with open(json_path) as f:
        for line in f:
            r = json.loads(line, parse_float=str)
            key = identity(r["flow_id"], EVENTS_JSON[r["event"]], ts_us_of_text(r["last_ts"]))
            out.append((key, r["client_addr"], r["server_addr"]) if addresses else key)
    return out


def compare(expected, got, what, limit=5, show_missing=True):
    """Multiset comparison of two lists of identities: (missing, extra, duplicated), each a
    sorted list; duplicated lists every identity that occurs more than once in @got."""
    e = sorted(expected)
    g = sorted(got)
    missing, extra = [], []
    i = j = 0
    while i < len(e) or j < len(g):
        if j == len(g) or (i < len(e) and e[i] < g[j]):
            missing.append(e[i])
            i += 1
        elif i == len(e) or g[j] < e[i]:
            extra.append(g[j])
            j += 1
        else:
            i += 1
            j += 1
    dup = sorted({g[k] for k in range(1, len(g)) if g[k] == g[k - 1]})
    for name, lst in (("missing from " + what, missing), ("extra in " + what, extra),
                      ("duplicated in " + what, dup)):
        if lst and (show_missing or lst is not missing):
            print("  %d %s, e.g. %s" % (len(lst), name,
                                        ", ".join(identity_text(k) for k in lst[:limit])))
    return missing, extra, dup


def check_exactly_once(expected, got, what):
    missing, extra, dup = compare(expected, got, what)
    check(not missing and not extra and not dup,
          "%s: the %d records of the sensor's JSON, each exactly once (%d stored)"
          % (what, len(expected), len(got)))


# ---- the sharding rule, computed here from its definitions --------------------------------------

def load_xxh3():
    """xxhash.xxh3_64_intdigest from python3-xxhash, or None. The Debian package installs into
    /usr/lib/python3/dist-packages, which an interpreter not built by Debian does not search."""
    try:
        import xxhash
        return xxhash.xxh3_64_intdigest
    except ImportError:
        pass
    deb = "/usr/lib/python3/dist-packages"
    if os.path.isdir(os.path.join(deb, "xxhash")) and deb not in sys.path:
        sys.path.append(deb)
        try:
            import xxhash
            return xxhash.xxh3_64_intdigest
        except ImportError:
            pass
        finally:
            sys.path.remove(deb)
    return None


def jump_hash(key, buckets):
    """Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm" (2014), figure 1:

        int32_t JumpConsistentHash(uint64_t key, int32_t num_buckets) {
            int64_t b = -1, j = 0;
            while (j < num_buckets) {
                b = j;
                key = key * 2862933555777941757ULL + 1;
                j = (b + 1) * (double(1LL << 31) / double((key >> 33) + 1));
            }
            return b;
        }
    """
    b, j = -1, 0
    while j < buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & U64
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def owner_fn(xxh3, buckets):
    cache = {}

    def owner(addr_text):
        o = cache.get(addr_text)
        if o is None:
            o = jump_hash(xxh3(ipaddress.ip_address(addr_text).packed), buckets)
            cache[addr_text] = o
        return o

    return owner


def log_has(p, pattern):
    return re.search(pattern, p.err()) is not None
