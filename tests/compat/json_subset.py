#!/usr/bin/env python3
"""Check that hyperfine's JSON snapshot is contained in denet's output for the same command line.

Usage: json_subset.py DENET SNAPSHOT.snap WORKDIR

Runs `DENET bench ARGS` (ARGS from the snapshot's `info.args`) in WORKDIR, and checks that every
path of hyperfine's JSON exists in denet's with an equal value, keys in hyperfine's order (denet may
add keys anywhere), arrays of equal length. Values hyperfine's test filters out (hyperfine_version,
start_time, os, architecture) match anything; hyperfine_version is denet_version in denet's file.
Prints each difference and exits 1 on any.
"""
import json
import subprocess
import sys

WILDCARDS = {"start_time", "os", "architecture", "hyperfine_version"}
RENAMED = {"hyperfine_version": "denet_version"}


def read_snapshot(path):
    text = open(path).read()
    header, _, body = text.partition("----- stdout -----")
    stdout = body.split("----- stderr -----")[0]
    args, in_args = [], False
    for line in header.splitlines():
        if line.strip() == "args:":
            in_args = True
        elif in_args and line.startswith("    - "):
            item = line[6:]
            args.append(json.loads(item) if item.startswith('"') else item)
        elif in_args:
            in_args = False
    return args, json.loads(stdout)


def contained(expected, actual, path, problems):
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            problems.append(f"{path}: expected an object")
            return
        positions = []
        for key, value in expected.items():
            theirs = RENAMED.get(key, key)
            if theirs not in actual:
                problems.append(f"{path}.{key}: missing (as {theirs})")
                continue
            positions.append(list(actual).index(theirs))
            if key not in WILDCARDS:
                contained(value, actual[theirs], f"{path}.{key}", problems)
        if positions != sorted(positions):
            problems.append(f"{path}: keys not in hyperfine's order: {list(expected)}")
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            problems.append(f"{path}: expected a list of {len(expected)}")
            return
        for i, (e, a) in enumerate(zip(expected, actual)):
            contained(e, a, f"{path}[{i}]", problems)
    elif isinstance(expected, float) or isinstance(actual, float):
        if not isinstance(actual, (int, float)) or abs(float(expected) - float(actual)) > 1e-9:
            problems.append(f"{path}: {expected!r} != {actual!r}")
    elif expected != actual:
        problems.append(f"{path}: {expected!r} != {actual!r}")


def main():
    denet, snapshot, workdir = sys.argv[1:4]
    args, expected = read_snapshot(snapshot)
    run = subprocess.run([denet, "bench", *args], cwd=workdir, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"denet bench {' '.join(args)} exited {run.returncode}: {run.stderr.strip()[:300]}")
        return 1
    try:
        actual = json.loads(run.stdout)
    except json.JSONDecodeError as e:
        print(f"denet's stdout is not one JSON document ({e}): {run.stdout[:200]!r}")
        return 1
    problems = []
    contained(expected, actual, "$", problems)
    for p in problems[:20]:
        print(f"  {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
