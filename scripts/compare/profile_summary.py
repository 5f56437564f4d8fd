#!/usr/bin/env python3
"""Sums a Chrome trace written by metabench_compare_driver --profile.

Prints the operators by self time (an operator's time less that of the
operators it called on the same thread), the way PyTorch's profiler table
does, so profiles of metabench and of the reference read alike.
Usage: profile_summary.py TRACE.json [--top N]
"""
import argparse
import collections
import json


def self_times(events):
    """Self microseconds and call counts by name, from complete ('X') events."""
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X":
            by_thread[e.get("tid")].append(e)
    total = collections.Counter()
    calls = collections.Counter()
    for evs in by_thread.values():
        # Nested events on one thread: sort by start, longest first, and keep
        # a stack of open events; a child's duration leaves its parent's self time.
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
                stack.pop()
            if stack:
                total[stack[-1]["name"]] -= e["dur"]
            total[e["name"]] += e["dur"]
            calls[e["name"]] += 1
            stack.append(e)
    return total, calls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with open(args.trace) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    total, calls = self_times(events)
    whole = sum(v for v in total.values() if v > 0)
    print(f"{'operator':48} {'self ms':>10} {'share':>7} {'calls':>7} {'us/call':>9}")
    for name, us in total.most_common(args.top):
        print(f"{name[:48]:48} {us / 1e3:10.1f} {100 * us / whole:6.1f}% {calls[name]:7d} "
              f"{us / max(calls[name], 1):9.1f}")
    print(f"{'total':48} {whole / 1e3:10.1f}")


if __name__ == "__main__":
    main()
