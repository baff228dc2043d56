#!/bin/bash
# fill-rate.sh - how fast anonleak fills anonymous memory, against stress-ng's vm
# stressor, numactl's memhog and a bare mmap(MAP_POPULATE), measured side by side in
# one run (the machine is shared and noisy: only ratios taken together mean much).
#
# Every filler gets the same bytes, runs in the same fresh memory cgroup (limit 2G,
# made below our own and removed at the end, also on failure or Ctrl-C), and is timed
# the same way from outside by bench/fillwatch: from its fork until the cgroup's usage
# rose by 99% of the bytes. Rounds are interleaved (each round runs every filler once)
# so drift of the machine hits all of them alike; the medians are compared.
#
#   bench/fill-rate.sh            # 1 GiB, 7 rounds
#   BYTES=268435456 ROUNDS=3 bench/fill-rate.sh
#
# Needs root and the cgroup v1 memory controller (this project's hosts); stress-ng and
# memhog (Debian packages stress-ng, numactl: `make deps`).
set -euo pipefail

BYTES=${BYTES:-1073741824}
ROUNDS=${ROUNDS:-7}
LIMIT=2G
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
bin=${BENCH_BIN:-$top/build/bench} # fillwatch and populate, built by make bench

die() { echo "fill-rate: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (it makes a memory cgroup)"
for t in stress-ng memhog; do
	command -v "$t" >/dev/null || die "$t missing: run make deps (packages stress-ng, numactl)"
done
for b in "$bin/fillwatch" "$bin/populate" "$top/workloads/anonleak"; do
	[ -x "$b" ] || die "$b missing: run make bench"
done
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
mem=/sys/fs/cgroup/memory
[ -n "$own" ] && [ -d "$mem$own" ] || die "no cgroup v1 memory controller at $mem (this bench is for v1 hosts)"
[ "$BYTES" -le $((1536 << 20)) ] || die "BYTES must stay well below the cgroup's $LIMIT limit"

cg=$mem$own/mph-bench-$$
cleanup() {
	[ -d "$cg" ] || return 0
	local i pid
	for i in $(seq 50); do
		pids=$(cat "$cg/cgroup.procs")
		[ -z "$pids" ] && break
		for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
		sleep 0.1
	done
	rmdir "$cg" || echo "fill-rate: could not remove $cg" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir "$cg"
echo "$LIMIT" >"$cg/memory.limit_in_bytes"

# name | command (the same BYTES for all)
fillers=(
	"anonleak|$top/workloads/anonleak --size=$BYTES --hold=forever"
	"anonleak-populate|$top/workloads/anonleak --size=$BYTES --hold=forever --populate=yes --chunk=64M"
	"stress-ng|stress-ng -q --vm 1 --vm-bytes $BYTES --vm-keep --timeout 60s"
	"memhog|memhog -r1000 $BYTES"
	"populate|$bin/populate $BYTES"
)
declare -A times
for r in $(seq "$ROUNDS"); do
	for f in "${fillers[@]}"; do
		name=${f%%|*}
		# shellcheck disable=SC2086 # the command is split on purpose
		t=$("$bin/fillwatch" "$cg" "$BYTES" ${f#*|} 2>/dev/null) || die "$name failed (run: $bin/fillwatch $cg $BYTES ${f#*|})"
		times[$name]="${times[$name]:-} $t"
	done
	echo "round $r/$ROUNDS done" >&2
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mib=$(awk -v b="$BYTES" 'BEGIN { printf "%.0f", b / 1048576 }')
declare -A med
printf 'fill of %s MiB of anonymous memory, cgroup limit %s, %s rounds, %s (%s)\n' "$mib" "$LIMIT" "$ROUNDS" \
	"$(uname -r)" "$(stress-ng --version | head -1)"
printf '%-18s %10s %10s %10s %10s\n' filler "median s" "MiB/s" "min s" "max s"
for f in "${fillers[@]}"; do
	name=${f%%|*}
	med[$name]=$(echo "${times[$name]}" | median)
	read -r lo hi < <(echo "${times[$name]}" | tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo, hi }')
	awk -v n="$name" -v m="${med[$name]}" -v b="$mib" -v lo="$lo" -v hi="$hi" \
		'BEGIN { printf "%-18s %10.3f %10.0f %10.3f %10.3f\n", n, m, b / m, lo, hi }'
done
# a ratio of rates is the inverse ratio of median times
ratio() { # ratio NAME_A NAME_B GOAL
	awk -v a="${med[$1]}" -v b="${med[$2]}" -v na="$1" -v nb="$2" -v goal="$3" 'BEGIN {
		r = b / a
		printf "%-34s %6.2fx", na "/" nb, r
		if (goal != "") printf "   (goal >= %s: %s)", goal, (r >= goal ? "met" : "MISSED")
		printf "\n" }'
}
echo "ratios of fill rates (higher: anonleak faster):"
ratio anonleak stress-ng 1.2
ratio anonleak memhog ""
ratio anonleak populate 0.9
ratio anonleak-populate stress-ng 1.2
ratio anonleak-populate populate 0.9
