#!/usr/bin/env python3
"""End-to-end tests of the transport (docs/PROTOCOL.md): real umbra-sensor and umbra-aggregator
processes on 127.0.0.1, CURVE keys from umbra-ctl keygen, and what the aggregator stored read
back with umbra-ctl. The reference for which records exist is the sensor's own --json output of
the same run; each record is named by its identity (transport_lib.py says which fields).

Scenarios (one ctest test each, e2e_transport_NAME):
  once_data  every capture of tests/data, each as its own sensor, several at once into one
             aggregator: each sensor's records stored exactly once; counts and checksum equal
             the sensors' export_0_records and export_0_checksum
  once_gen   the same for a generated capture of some 20,000 records
  kill9      a stream of over a million records; the aggregator is killed (SIGKILL) once it has
             applied part of it and restarted on the same data directory: every record applied
             exactly once, counts and checksum equal
  late       the aggregator starts only halfway through a --realtime replay: everything arrives
             once, and the sensor replayed what it had spooled (export_0_batches_resent > 0)
  spool_cap  the aggregator is down while the sensor fills a 1 MiB spool: the records missing
             from the store are exactly the oldest export_0_spool_dropped_records ones, nothing
             else is missing or doubled, and batches_lost equals export_0_spool_dropped_batches
  refused    a sensor whose key is not allowed and one without CURVE are refused at the
             handshake (counted by the aggregator: zap_denied and handshake_failed_auth, and
             for plain TCP handshake_failed_protocol or _other, see there; logged by the
             sensors, exit status 3) and nothing of theirs is stored; a good sensor afterwards
             still gets through
  hostile    transport_probe sends garbage, truncated, checksum-damaged, multipart, unknown-type,
             empty, oversized, foreign-id and invalid-record messages while a good sensor streams:
             each is counted under its cause (docs/WIRE.md's order of checks) and the good
             sensor's records all arrive exactly once
  shard      one sensor, two aggregators: each record is stored on the owner of its client
             address and on the owner of its server address, once on each, nowhere else; the
             owners are computed here (jump consistent hash of XXH3-64, python3-xxhash). Without
             xxhash only the union and the per-stream counts are checked, and the test is skipped
             (exit 77) after them.

Usage: transport.py SCENARIO --sensor BIN --aggregator BIN --ctl BIN --gen BIN --probe BIN
                    --data TESTS_DATA_DIR --scenario TRANSPORT_YAML
Exit: 0 pass, 1 fail, 77 skipped. UMBRA_KEEP_TMP=1 keeps the work directory.
"""
import argparse
import glob
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transport_lib import (U64, Env, Failure, check, check_exactly_once, compare,  # noqa: E402
                           free_port, load_xxh3, log_has, owner_fn, parse_counters,
                           sensor_records, wait_for)

# Long enough for a slow (sanitizer) build; a sensor that is not acknowledged fails far sooner.
DRAIN = ["--set", "export.drain_timeout=90s"]
SENSOR_TIMEOUT = 150


class Skip(Exception):
    pass


def endpoint(port):
    return "tcp://127.0.0.1:%d" % port


def check_totals(env, data, counters, stream=0, what="the store"):
    """The store's summary against the sensor's counters of one stream."""
    s = env.summary(data)
    n, cs = counters["export_%d_records" % stream], counters["export_%d_checksum" % stream]
    check(s["records"] == n and s["checksum"] == cs,
          "%s: %d records, checksum %d; the sensor exported %d, checksum %d"
          % (what, s["records"], s["checksum"], n, cs))
    return s


def sensor_json_agrees(counters, records, stream=0):
    check(counters["export_%d_records" % stream] == len(records),
          "the sensor's export_%d_records (%d) counts the records of its JSON (%d)"
          % (stream, counters["export_%d_records" % stream], len(records)))


# ---- 1. exactly once ----------------------------------------------------------------------------

def once_data(env):
    caps = sorted(glob.glob(os.path.join(env.data_dir, "*.pcap")) +
                  glob.glob(os.path.join(env.data_dir, "*.pcapng")))
    check(len(caps) >= 10, "tests/data holds %d captures" % len(caps))
    ids = ["cap-%02d" % i for i in range(len(caps))]
    env.setup_keys(ids)
    port, data = free_port(), env.path("data")
    agg = env.start_aggregator("aggregator", port, data)
    results = {}
    # Four sensors at a time: concurrent streams into one aggregator, within a small machine.
    for first in range(0, len(caps), 4):
        running = []
        for sid, cap in list(zip(ids, caps))[first:first + 4]:
            json_path = env.path(sid + ".json")
            p = env.start_sensor(sid, cap, [endpoint(port)], json_path, env.path(sid + ".spool"),
                                 ["--set", "sensor.id=" + sid] + DRAIN)
            running.append((sid, cap, json_path, p))
        for sid, cap, json_path, p in running:
            c = env.finish_sensor(p, SENSOR_TIMEOUT)
            results[sid] = (cap, sensor_records(json_path), c)
    env.stop_aggregator(agg)
    stored = env.stored(data)
    table = env.sensors(data)
    total, checksum = 0, 0
    for sid in ids:
        cap, records, c = results[sid]
        name = "%s (%s)" % (sid, os.path.basename(cap))
        sensor_json_agrees(c, records)
        check_exactly_once(records, stored.get(sid, []), name)
        if records:
            check(table[sid]["records"] == c["export_0_records"] and
                  table[sid]["batches"] == c["export_0_batches_sealed"],
                  "%s: umbra-ctl sensors shows %d records in %d batches, as exported"
                  % (name, table[sid]["records"], table[sid]["batches"]))
        total += c["export_0_records"]
        checksum = (checksum + c["export_0_checksum"]) & U64
    check(set(stored) <= set(ids) and set(table) <= set(ids), "no records of other sensors")
    s = env.summary(data)
    check(s["records"] == total and s["checksum"] == checksum,
          "the store: %d records, checksum %d = the sum over the %d sensors"
          % (s["records"], s["checksum"], len(ids)))


def once_gen(env):
    env.setup_keys()
    cap = env.generate("sweep", "8s")
    port, data = free_port(), env.path("data")
    agg = env.start_aggregator("aggregator", port, data)
    p = env.start_sensor("sensor", cap, [endpoint(port)], env.path("sensor.json"),
                         env.path("spool"), DRAIN)
    c = env.finish_sensor(p, SENSOR_TIMEOUT)
    a = env.stop_aggregator(agg)
    records = sensor_records(env.path("sensor.json"))
    check(len(records) >= 10000, "the capture gave %d records" % len(records))
    sensor_json_agrees(c, records)
    check_exactly_once(records, env.stored(data).get("sensor", []), "the store")
    check_totals(env, data, c)
    check(a["records_applied"] == c["export_0_records"] and
          a["batches_applied"] == c["export_0_batches_sealed"] and
          c["export_0_spool_batches"] == 0,
          "the aggregator applied %d records in %d batches; the sensor sealed %d, holds none"
          % (a["records_applied"], a["batches_applied"], c["export_0_batches_sealed"]))


# ---- 2. kill -9 of the aggregator ---------------------------------------------------------------

def kill9(env):
    env.setup_keys()
    cap = env.generate("sweep", "250s")
    port, data = free_port(), env.path("data")
    agg = env.start_aggregator("aggregator-1", port, data)
    # Flow features off: the records stay small (this is about their transport, not content),
    # and short idle timeouts keep the flow table small.
    p = env.start_sensor("sensor", cap, [endpoint(port)], env.path("sensor.json"),
                         env.path("spool"),
                         ["--set", "features.enabled=false", "--set", "features.handshakes=false",
                          "--set", "flow.tcp_idle_timeout=5s"] + DRAIN)
    threshold = 200000

    def applied():
        if not p.running():
            raise Failure("the sensor finished before the aggregator had applied %d records"
                          % threshold)
        try:
            return env.sensors(data).get("sensor", {}).get("records", 0)
        except Failure:
            return 0  # the store may not hold the sensor's table yet

    wait_for(lambda: applied() >= threshold, SENSOR_TIMEOUT, "%d records applied" % threshold,
             step=0.1)
    agg.kill()  # SIGKILL
    at_kill = env.sensors(data)["sensor"]["records"]
    check(p.running(), "the sensor is still streaming when the aggregator is killed "
                       "(%d records applied by then)" % at_kill)
    time.sleep(0.5)
    agg2 = env.start_aggregator("aggregator-2", port, data)
    c = env.finish_sensor(p, SENSOR_TIMEOUT)
    a2 = env.stop_aggregator(agg2)
    records = sensor_records(env.path("sensor.json"))
    sensor_json_agrees(c, records)
    check(len(records) >= 1000000 and 0 < at_kill < len(records),
          "the kill came mid-stream: %d of %d records applied" % (at_kill, len(records)))
    check_exactly_once(records, env.stored(data).get("sensor", []), "the store")
    check_totals(env, data, c)
    t = env.sensors(data)["sensor"]
    check(t["records"] == c["export_0_records"] and t["batches"] == c["export_0_batches_sealed"],
          "umbra-ctl sensors: %d records in %d batches, as the sensor sealed them"
          % (t["records"], t["batches"]))
    check(c["export_0_disconnects"] >= 1 and c["export_0_connects"] >= 2,
          "the sensor saw the aggregator go (%d disconnects) and come back (%d connects)"
          % (c["export_0_disconnects"], c["export_0_connects"]))
    print("after the restart: %d batches applied, %d answered DUPLICATE; the sensor sent %d "
          "batches again" % (a2["batches_applied"], a2["batches_duplicate"],
                             c["export_0_batches_resent"]))


# ---- 3. the aggregator comes late ---------------------------------------------------------------

def late(env):
    env.setup_keys()
    cap = env.generate("sweep", "4s")  # packets over 4 seconds
    port, data = free_port(), env.path("data")
    p = env.start_sensor("sensor", cap, [endpoint(port)], env.path("sensor.json"),
                         env.path("spool"), ["--realtime"] + DRAIN)
    time.sleep(2.0)
    p.signal(signal.SIGUSR1)
    wait_for(lambda: "umbra-sensor counters" in p.out(), 30, "the sensor's counters")
    mid = parse_counters(p.out(), "umbra-sensor counters")
    check(p.running() and mid["export_0_batches_sealed"] > 0 and mid["export_0_connects"] == 0,
          "halfway (%d packets read) the sensor has spooled %d batches and never connected"
          % (mid["packets_read"], mid["export_0_batches_sealed"]))
    agg = env.start_aggregator("aggregator", port, data)
    c = env.finish_sensor(p, SENSOR_TIMEOUT)
    env.stop_aggregator(agg)
    records = sensor_records(env.path("sensor.json"))
    sensor_json_agrees(c, records)
    check(c["packets_read"] > mid["packets_read"],
          "the capture went on after the aggregator came (%d packets in all, %d before)"
          % (c["packets_read"], mid["packets_read"]))
    check_exactly_once(records, env.stored(data).get("sensor", []), "the store")
    check_totals(env, data, c)
    check(c["export_0_batches_resent"] > 0 and log_has(p, r"connected; [1-9][0-9]* batches"),
          "the sensor replayed what it had spooled: export_0_batches_resent %d, and its log "
          "says how many batches it had to replay" % c["export_0_batches_resent"])


# ---- 4. the spool cap ---------------------------------------------------------------------------

def spool_cap(env):
    env.setup_keys()
    cap = env.generate("sweep", "4s")
    port, data = free_port(), env.path("data")
    # Small batches, so that the 1 MiB spool holds a dozen of them and drops many.
    p = env.start_sensor("sensor", cap, [endpoint(port)], env.path("sensor.json"),
                         env.path("spool"),
                         ["--set", "spool.max_size=1MiB", "--set", "export.batch_records=128"] +
                         DRAIN)
    wait_for(lambda: log_has(p, "waiting up to") or not p.running(), SENSOR_TIMEOUT,
             "the sensor to seal everything")
    agg = env.start_aggregator("aggregator", port, data)
    c = env.finish_sensor(p, SENSOR_TIMEOUT)
    env.stop_aggregator(agg)
    records = sensor_records(env.path("sensor.json"))
    sensor_json_agrees(c, records)
    dropped = c["export_0_spool_dropped_records"]
    check(dropped > 0 and c["export_0_spool_dropped_batches"] > 0,
          "the cap was hit: %d batches (%d records) dropped"
          % (c["export_0_spool_dropped_batches"], dropped))
    # The spool dropped the oldest records, so a flow may be stored without its OPEN.
    stored = env.stored(data, whole_flows=False).get("sensor", [])
    # The spool drops the oldest batches, and records enter batches in the order of the JSON:
    # exactly the first `dropped` records are missing, and all the others are stored once.
    missing, extra, dup = compare(records, stored, "the store")
    check(len(missing) == dropped and not extra and not dup,
          "%d records missing from the store = export_0_spool_dropped_records, none extra or "
          "doubled" % len(missing))
    check_exactly_once(records[dropped:], stored, "the store, past the dropped ones")
    t = env.sensors(data)["sensor"]
    check(t["batches_lost"] == c["export_0_spool_dropped_batches"],
          "umbra-ctl sensors: batches_lost %d = export_0_spool_dropped_batches %d"
          % (t["batches_lost"], c["export_0_spool_dropped_batches"]))
    s = env.summary(data)
    check(s["records"] == c["export_0_records"] - dropped,
          "the store holds %d records = exported - dropped" % s["records"])


# ---- 5. refused sensors -------------------------------------------------------------------------

def refused(env):
    env.setup_keys()
    other = env.path("otherkeys")
    env.keygen("intruder", other)  # a key pair whose .pub is in no allow-list
    with open(env.path("keys", "aggregator.pub"), "rb") as src, \
            open(os.path.join(other, "aggregator.pub"), "wb") as dst:
        dst.write(src.read())
    cap = os.path.join(env.data_dir, "ssh-bruteforce-hydra-joy.pcap")
    port, data = free_port(), env.path("data")
    agg = env.start_aggregator("aggregator", port, data)
    short = ["--set", "export.drain_timeout=2s"]
    # One after the other, so that each one's effect on the aggregator's counters is known.
    c0 = env.aggregator_counters_now(agg)
    bad_key = env.start_sensor("intruder", cap, [endpoint(port)], env.path("intruder.json"),
                               env.path("intruder.spool"),
                               ["--set", "sensor.id=intruder"] + short, keys=other)
    ck = env.finish_sensor(bad_key, SENSOR_TIMEOUT, want_rc=3)

    def settled(before, kinds):
        """The counters once every connection accepted since @before has ended its handshake
        in one of @kinds (monitor events reach the aggregator's loop a little later)."""
        end = time.monotonic() + 10
        while True:
            now = env.aggregator_counters_now(agg)
            acc = now["connections_accepted"] - before["connections_accepted"]
            if (acc > 0 and acc == sum(now[k] - before[k] for k in kinds)) or \
                    time.monotonic() > end:
                return now
            time.sleep(0.1)

    c1 = settled(c0, ["handshake_failed_auth"])
    plain = env.start_sensor("plain", cap, [endpoint(port)], env.path("plain.json"),
                             env.path("plain.spool"),
                             ["--insecure", "--set", "sensor.id=plain"] + short, keys=False)
    cp = env.finish_sensor(plain, SENSOR_TIMEOUT, want_rc=3)
    c2 = settled(c1, ["handshake_failed_protocol", "handshake_failed_other"])
    check(ck["export_0_auth_failures"] > 0 and log_has(bad_key, "refused this sensor's key"),
          "the sensor with an unknown key exits 3 and logs that its key was refused")
    check(log_has(plain, "handshake failed"),
          "the sensor without CURVE exits 3 and logs the failed handshake")
    for name, c in (("intruder", ck), ("plain", cp)):
        check(c["export_0_records"] > 0 and c["export_0_acks_ok"] == 0 and
              c["export_0_connects"] == 0 and
              c["export_0_spool_batches"] == c["export_0_batches_sealed"],
              "%s: never connected, nothing acknowledged, its %d batches stay in its spool"
              % (name, c["export_0_spool_batches"]))

    def delta(a, b, k):
        return b[k] - a[k]

    n = delta(c0, c1, "connections_accepted")
    check(n > 0 and delta(c0, c1, "zap_denied") == n and
          delta(c0, c1, "handshake_failed_auth") == n,
          "the aggregator refused the unknown key's %d connection(s): zap_denied +%d, "
          "handshake_failed_auth +%d" % (n, delta(c0, c1, "zap_denied"),
                                         delta(c0, c1, "handshake_failed_auth")))
    # Without CURVE: whichever side reads the other's greeting first sees the mechanism
    # mismatch and closes; when that is the sensor (which then stops trying: libzmq does not
    # reconnect after a protocol error), the aggregator sees only a handshake cut short
    # (handshake_failed_other). So every connection of the plain sensor must have failed its
    # handshake, and over a few runs both counters show up (see the report of this test).
    proto, other_ = delta(c1, c2, "handshake_failed_protocol"), delta(c1, c2,
                                                                     "handshake_failed_other")
    check(proto + other_ > 0 and proto + other_ == delta(c1, c2, "connections_accepted") and
          delta(c1, c2, "zap_denied") == 0,
          "the aggregator counted the plain-TCP sensor's %d connections as failed handshakes: "
          "handshake_failed_protocol +%d, handshake_failed_other +%d"
          % (delta(c1, c2, "connections_accepted"), proto, other_))
    check(c2["messages"] == 0 and c2["hellos"] == 0 and c2["handshakes_succeeded"] == 0,
          "the aggregator read no message from them: no handshake succeeded")
    check(log_has(agg, "connection refused: key not in the allow-list"),
          "the aggregator logged the refused key")
    good = env.start_sensor("sensor", cap, [endpoint(port)], env.path("sensor.json"),
                            env.path("spool"), DRAIN)
    c = env.finish_sensor(good, SENSOR_TIMEOUT)
    env.stop_aggregator(agg)
    stored = env.stored(data)
    check(set(stored) == {"sensor"} and set(env.sensors(data)) == {"sensor"},
          "only the good sensor's records are stored (sensors: %s)" % sorted(env.sensors(data)))
    check_exactly_once(sensor_records(env.path("sensor.json")), stored["sensor"],
                       "the good sensor after the refusals")
    check_totals(env, data, c)


# ---- 6. hostile messages ------------------------------------------------------------------------

# Kind, count, and the counters each message must move (docs/WIRE.md, "What a receiver checks,
# in order", and docs/PROTOCOL.md, the aggregator side): an envelope without its magic or under
# 20 bytes, cut short (length != size) or of a type that does not exist is UMBRA_EWIRE
# (malformed_wire); a damaged payload byte fails the checksum; a second frame breaks
# [routing id][envelope]; a batch in another sensor's name is unauthorised; a batch with a
# 5-byte address fails batch_check (invalid_bad_record), is still decided (REJECTED, acked).
PROBES = [
    ("garbage", 5, {"malformed_wire": 5}, 0),
    ("truncated", 3, {"malformed_wire": 3}, 0),
    ("checksum", 3, {"malformed_checksum": 3}, 0),
    ("multipart", 3, {"malformed_frames": 3}, 0),
    ("unknown-type", 3, {"malformed_wire": 3}, 0),
    ("empty", 3, {"malformed_wire": 3}, 0),
    ("foreign-id", 3, {"unauthorised": 3}, 0),
    ("bad-record", 2, {"invalid_bad_record": 2, "batches_rejected": 2, "records_rejected": 2}, 2),
    ("oversized", 1, {}, 0),
]
# First logged per cause (the rest only counted).
FIRST_LOGS = ["malformed_wire from", "malformed_checksum from", "malformed_frames from",
              "unauthorised message from", "invalid_bad_record from"]


def watched(c):
    return {k: v for k, v in c.items()
            if k.startswith(("malformed_", "invalid_")) or k in (
                "unauthorised", "unknown_type", "batches_rejected", "records_rejected",
                "batches_stale")}


def hostile(env):
    env.setup_keys(["sensor", "probe"])
    cap = env.generate("sweep", "10s")  # packets over 10 seconds
    port, data = free_port(), env.path("data")
    agg = env.start_aggregator("aggregator", port, data, ["--set", "ingest.max_message=1MiB"])
    # Batches well under the aggregator's 1 MiB cap (export.batch_bytes must stay below it).
    good = env.start_sensor("sensor", cap, [endpoint(port)], env.path("sensor.json"),
                            env.path("spool"),
                            ["--realtime", "--set", "export.batch_bytes=256KiB"] + DRAIN)
    wait_for(lambda: log_has(good, "connected;") or not good.running(), 30,
             "the good sensor to connect")
    key = [env.path("keys", "probe.key"), env.path("keys", "aggregator.pub")]
    for kind, count, moves, replies in PROBES:
        before = env.aggregator_counters_now(agg)
        argv = [env.probe_bin, endpoint(port), kind, "--count", str(count), "--wait-ms", "300",
                "--key", key[0], "--server-key", key[1]]
        if kind == "foreign-id":
            argv += ["--sensor-id", "sensor"]  # the good sensor's name, not the probe key's
        if kind == "oversized":
            argv += ["--size", str(2 << 20)]
        out = env.run(argv, timeout=60)
        got = dict(line.split(" ", 1) for line in out.splitlines())
        check(got.get("handshake") == "ok" and got.get("sent") == "%s %d" % (kind, count) and
              got.get("replies") == str(replies),
              "probe %s: handshake ok, sent %d, %d replies" % (kind, count, replies))

        # Poll until every expected cause has moved and the probe's connection has gone (or
        # time is up), then compare exactly. Each probe run ends with one disconnect, its own
        # close; the oversized message costs one more: ZeroMQ drops the connection at once (the
        # message never reaches the application) and the probe reconnects before it closes.
        gone = 2 if kind == "oversized" else 1
        end = time.monotonic() + 30
        while True:
            now = env.aggregator_counters_now(agg)
            d = {k: v - watched(before)[k] for k, v in watched(now).items()}
            left = now["disconnects"] - before["disconnects"]
            if (all(d[k] >= v for k, v in moves.items()) and left >= gone) or \
                    time.monotonic() > end:
                break
            time.sleep(0.1)
        want = {k: moves.get(k, 0) for k in d}
        check(d == want, "%s: counted as %s, nothing else (%s)" % (
            kind, moves or "a disconnect", {k: v for k, v in d.items() if v} or "no cause"))
        check(left == gone, "%s: %d disconnect%s (%s)" % (
            kind, left, "s" if left != 1 else "",
            "the aggregator dropped the connection, then the probe's own close"
            if kind == "oversized" else "the probe's close"))
    check(good.running(), "the good sensor was streaming through all the probes")
    c = env.finish_sensor(good, SENSOR_TIMEOUT)
    env.stop_aggregator(agg)
    for line in FIRST_LOGS:
        check(agg.err().count(line) == 1, "the aggregator logged '%s' once" % line)
    records = sensor_records(env.path("sensor.json"))
    sensor_json_agrees(c, records)
    stored = env.stored(data)
    check(set(stored) == {"sensor"}, "no record of the probe's is stored")
    check_exactly_once(records, stored["sensor"], "the good sensor's stream")
    check_totals(env, data, c)
    t = env.sensors(data)
    check(t["probe"]["rejected_batches"] == 2 and t["probe"]["records"] == 0,
          "the probe's invalid batches are counted rejected, with no record applied")


# ---- 7. two aggregators -------------------------------------------------------------------------

def shard(env):
    env.setup_keys()
    cap = env.generate("sweep", "4s")
    ports = [free_port(), free_port()]
    while ports[1] == ports[0]:
        ports[1] = free_port()
    datas = [env.path("data-a"), env.path("data-b")]
    aggs = [env.start_aggregator("aggregator-%d" % i, ports[i], datas[i]) for i in range(2)]
    p = env.start_sensor("sensor", cap, [endpoint(x) for x in ports], env.path("sensor.json"),
                         env.path("spool"), DRAIN)
    c = env.finish_sensor(p, SENSOR_TIMEOUT)
    for a in aggs:
        env.stop_aggregator(a)
    records = sensor_records(env.path("sensor.json"), addresses=True)
    keys = [r[0] for r in records]
    stored = [env.stored(d).get("sensor", []) for d in datas]
    check(c["export_0_records"] + c["export_1_records"] >= len(records),
          "the sensor exported %d + %d records of its %d"
          % (c["export_0_records"], c["export_1_records"], len(records)))
    for i in range(2):
        check_totals(env, datas[i], c, stream=i, what="aggregator %d" % i)
        _, extra, dup = compare(keys, stored[i], "aggregator %d" % i, show_missing=False)
        check(not extra and not dup and stored[i],
              "aggregator %d: %d records, each once, all the sensor's" % (i, len(stored[i])))
    union = set(stored[0]) | set(stored[1])
    missing = [k for k in keys if k not in union]
    check(not missing, "every record is on at least one aggregator")
    xxh3 = load_xxh3()
    if xxh3 is None:
        raise Skip("python3-xxhash is not importable: the owner of each record was not "
                   "checked (the union and the per-stream counts were)")
    owner = owner_fn(xxh3, 2)
    want = [[], []]
    for key, client, server in records:
        for i in {owner(client), owner(server)}:
            want[i].append(key)
    both = len(want[0]) + len(want[1]) - len(records)
    check(0 < both < len(records),
          "the rule gives %d records to both aggregators and %d to one only (%d and %d in all)"
          % (both, len(records) - both, len(want[0]), len(want[1])))
    for i in range(2):
        check_exactly_once(want[i], stored[i], "aggregator %d, by the owner rule" % i)


SCENARIOS = {f.__name__: f for f in (once_data, once_gen, kill9, late, spool_cap, refused,
                                     hostile, shard)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("name", choices=sorted(SCENARIOS))
    for opt in ("sensor", "aggregator", "ctl", "gen", "probe", "data", "scenario"):
        ap.add_argument("--" + opt, required=True)
    args = ap.parse_args()
    env = Env(args)
    t = time.monotonic()
    rc = 0
    try:
        SCENARIOS[args.name](env)
        print("PASS %s (%.1f s)" % (args.name, time.monotonic() - t))
    except Failure as e:
        print("FAIL %s: %s" % (args.name, e))
        rc = 1
    except Skip as e:
        print("SKIP %s: %s" % (args.name, e))
        rc = 77
    finally:
        env.close()
    sys.exit(rc)


if __name__ == "__main__":
    main()
