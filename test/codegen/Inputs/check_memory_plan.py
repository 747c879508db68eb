#!/usr/bin/env python3
"""Checks the invariants of `nnc ... --emit=memory-plan` read from stdin:
buffers whose live ranges overlap never share bytes (fixed and per-sample
regions separately), every buffer lies inside its entry's workspace, and
(with --expect-reuse) some buffer reuses bytes of one that died earlier.
Prints one line per entry and 'memory plan ok' at the end; exits 1 on the
first violation."""
import re
import sys

HEAD = re.compile(r"^entry (\S+): (\d+) buffers, workspace (\d+) \+ (\d+) bytes/sample$")
SLOT = re.compile(r"^  %(\d+) = \S+ : .*  (fixed|per-sample) offset (\d+) size (\d+) live (\d+)\.\.(\d+|end)$")


def check(name, fixed, per_sample, slots):
    reused = False
    for s in slots:
        limit = fixed if s["region"] == "fixed" else per_sample
        if s["offset"] + s["size"] > limit:
            sys.exit(f"{name}: %{s['id']} ends at {s['offset'] + s['size']}, past the {s['region']} region of {limit}")
    for i, a in enumerate(slots):
        for b in slots[i + 1:]:
            if a["region"] != b["region"]:
                continue
            share = a["offset"] < b["offset"] + b["size"] and b["offset"] < a["offset"] + a["size"]
            alive = a["from"] <= b["to"] and b["from"] <= a["to"]
            if share and alive:
                sys.exit(f"{name}: %{a['id']} and %{b['id']} are alive together and share bytes")
            reused = reused or share
    return reused


def main():
    expect_reuse = "--expect-reuse" in sys.argv
    entries, current = [], None
    for line in sys.stdin:
        line = line.rstrip("\n")
        m = HEAD.match(line)
        if m:
            current = {"name": m[1], "count": int(m[2]), "fixed": int(m[3]), "per": int(m[4]), "slots": []}
            entries.append(current)
            continue
        m = SLOT.match(line)
        if not m or current is None:
            sys.exit(f"unexpected line: {line!r}")
        end = 1 << 62
        current["slots"].append({"id": int(m[1]), "region": m[2], "offset": int(m[3]), "size": int(m[4]),
                                 "from": int(m[5]), "to": end if m[6] == "end" else int(m[6])})
    any_reuse = False
    for e in entries:
        if len(e["slots"]) != e["count"]:
            sys.exit(f"{e['name']}: {len(e['slots'])} buffers listed, {e['count']} announced")
        any_reuse |= check(e["name"], e["fixed"], e["per"], e["slots"])
        print(f"{e['name']}: {e['count']} buffers ok")
    if not entries:
        sys.exit("no entries")
    if expect_reuse and not any_reuse:
        sys.exit("no buffer reuses another's bytes")
    print("memory plan ok")


main()
