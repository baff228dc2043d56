#!/bin/sh
# compare-bench.sh - mph compare over many run directories against the time to just
# find and parse the same run.json files (build/bench/compare_parse), side by side,
# printed as a ratio (bench/README.md). Goal (issue "Decisions"): 1000 runs compared
# in under 2 s.
#
# The runs are one real run.json (RUN_JSON, default tests/data/runs/probe-pagecache-v1.json,
# recorded on this kind of machine) copied N times into two hosts' directories, its
# peak usage varied so the statistics have something to do.
# Usage: bench/compare-bench.sh [N]   (default 1000; needs ./mph and build/bench/compare_parse)
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000}
SRC=${RUN_JSON:-tests/data/runs/probe-pagecache-v1.json}
PARSE=${BENCH_BIN:-build/bench}/compare_parse
tmp=$(mktemp -d /tmp/mph-bench-compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
python3 - "$SRC" "$tmp" "$N" <<'PY'
import json, os, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
run = json.load(open(src))
for i in range(n):
    host = "hostA" if i % 2 == 0 else "hostB"
    run["host"]["hostname"] = host
    run["recorder"]["peak_usage_bytes"] = 64 * 2**20 + (i % 17) * 4096 + (2**20 if host == "hostB" else 0)
    d = os.path.join(out, host, "r%d" % i)
    os.makedirs(d)
    json.dump(run, open(os.path.join(d, "run.json"), "w"), indent=2)
PY
now() { date +%s.%N; }
# warm the page cache for both
"$PARSE" "$tmp" >/dev/null
t0=$(now); "$PARSE" "$tmp" >/dev/null; t1=$(now)
./mph compare --by host "$tmp" >"$tmp.out" 2>&1 || { cat "$tmp.out"; rm -f "$tmp.out"; exit 1; }
t2=$(now); ./mph compare --by host "$tmp" >/dev/null; t3=$(now)
rm -f "$tmp.out"
python3 - "$N" "$t0" "$t1" "$t2" "$t3" <<'PY'
import sys
n, t0, t1, t2, t3 = int(sys.argv[1]), *map(float, sys.argv[2:])
parse, cmp = t1 - t0, t3 - t2
print(f"compare-bench: {n} run.json: parse only {parse:.3f} s, mph compare {cmp:.3f} s, "
      f"ratio {cmp / parse:.2f}x (goal: compare under 2 s: {'met' if cmp < 2 else 'NOT met'})")
PY
