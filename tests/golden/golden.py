#!/usr/bin/env python3
"""Golden test: the sensor's full feature output for a few captures, compared field by field.

For each capture listed in tests/golden/CAPTURES, runs `SENSOR -r CAPTURE --json -` and compares
every `end` record with the committed tests/golden/<capture>.jsonl: records are matched by
flow_id, and every field of either side must be present in both with the same value. Any
change to a feature is therefore a visible diff. After a deliberate change, refresh the files
with --update and review `git diff tests/golden` before committing.

Usage: golden.py SENSOR [--update]
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(HERE), "data")


def run(sensor, capture):
    out = subprocess.run([sensor, "-r", os.path.join(DATA, capture), "--json", "-", "-q"],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines()
            if l.startswith("{") and json.loads(l).get("event") == "end"]


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    sensor, update = sys.argv[1], "--update" in sys.argv[2:]
    with open(os.path.join(HERE, "CAPTURES")) as f:
        captures = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    diffs = 0
    for cap in captures:
        got = run(sensor, cap)
        path = os.path.join(HERE, cap + ".jsonl")
        if update:
            with open(path, "w") as f:
                for r in got:
                    f.write(json.dumps(r, sort_keys=True) + "\n")
            print(f"golden: wrote {len(got)} records to {os.path.relpath(path)}")
            continue
        with open(path) as f:
            want = [json.loads(l) for l in f if l.strip()]
        g = {r["flow_id"]: r for r in got}
        w = {r["flow_id"]: r for r in want}
        for fid in sorted(set(g) | set(w)):
            if fid not in g or fid not in w:
                print(f"{cap}: flow {fid}: {'missing from the output' if fid in w else 'new'}")
                diffs += 1
                continue
            for k in sorted(set(g[fid]) | set(w[fid])):
                a, b = w[fid].get(k, "<absent>"), g[fid].get(k, "<absent>")
                if a != b:
                    print(f"{cap}: flow {fid}: {k}: golden {a!r} now {b!r}")
                    diffs += 1
        print(f"golden: {cap}: {len(want)} flows, {diffs} differences so far")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
