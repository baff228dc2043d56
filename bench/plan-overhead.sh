#!/bin/sh
# plan-overhead.sh - what a plan adds per job: mph's validate, journal, cgroup, sysctl,
# supervise, undo and run.json around a short workload, against a bare fork+exec of the
# same workload. Both are measured in this one run, side by side, and printed as
# differences and ratios (bench/README.md). Goals (issue "Plans and verdicts"): at most
# 50 ms added per job (median), and a 100-job sweep done in under 1.5x the sum of its
# workloads' own run times.
#
# Usage: bench/plan-overhead.sh [JOBS]   (root; default 100 jobs)
set -eu
cd "$(dirname "$0")/.."
N=${1:-100}
HOLD=${HOLD:-200ms}
tmp=$(mktemp -d /tmp/mph-bench-plan.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
cat >"$tmp/trivial.ini" <<INI
[scenario]
name = trivial
timeout = 30s
[cgroup]
memory.max = 64M
[sysctl]
vm.swappiness = 0..$((N - 1))/1
[workload w]
type = anonleak
size = 4M
hold = $HOLD
INI
# A: the workload alone, N times (4 MiB: no memory pressure on the host)
python3 - "$N" "$HOLD" >"$tmp/bare.txt" <<'PY'
import subprocess, sys, time
n, hold = int(sys.argv[1]), sys.argv[2]
for _ in range(n):
    t = time.monotonic()
    subprocess.run(["workloads/anonleak", "--size=4M", "--hold=" + hold, "--report-fd=1"],
                   stdout=subprocess.DEVNULL, check=True)
    print(time.monotonic() - t)
PY
# B: the same workload as N jobs of one plan (a sweep over vm.swappiness)
t0=$(date +%s.%N)
./mph run --wait 10m --quiet --results "$tmp/res" "$tmp/trivial.ini" >"$tmp/run.out" 2>"$tmp/run.err" || {
	cat "$tmp/run.err" >&2
	exit 1
}
t1=$(date +%s.%N)
python3 - "$tmp" "$t0" "$t1" "$N" <<'PY'
import glob, json, statistics, sys
tmp, t0, t1, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
bare = [float(x) for x in open(tmp + "/bare.txt")]
plan = json.load(open(glob.glob(tmp + "/res/trivial/*/plan.json")[0]))
base = glob.glob(tmp + "/res/trivial/*/")[0]
jobs = [j["elapsed_s"] for j in plan["jobs"]]
own = []
for j in plan["jobs"]:
    r = json.load(open(base + j["dir"] + "/run.json"))
    w = r["workloads"][0]
    own.append(w["ended_s"] - w["started_s"])
total = t1 - t0
print(f"jobs {len(jobs)} (verdict {plan['verdict']}), workload --hold={sys.argv[0] and ''}")
print(f"bare fork+exec of the workload: median {statistics.median(bare)*1000:.1f} ms")
print(f"one job of the plan:             median {statistics.median(jobs)*1000:.1f} ms")
print(f"added per job (median difference): {(statistics.median(jobs)-statistics.median(bare))*1000:.1f} ms (goal <= 50 ms)")
print(f"plan wall time {total:.2f} s, sum of the workloads' own run times {sum(own):.2f} s: "
      f"ratio {total/sum(own):.2f} (goal < 1.5)")
PY
