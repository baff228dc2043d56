#!/bin/sh
# raw-capture.sh OUTDIR - save real pages of a tracefs instance's binary ring buffer
# (per_cpu/cpuN/trace_pipe_raw) with what decodes them (events/header_page and the
# events' format files), for tests/unit/test_trace.c. The pages hold memcg reclaim
# stalls of dd reading a file through a 32 MiB cgroup and the oom:mark_victim of
# anonleak taken by the OOM killer in the same cgroup.
#
# Needs root and the cgroup v1 memory controller (this project's hosts). Everything
# it makes is removed at its end, also on failure or a signal: tracefs is mounted in
# a mount namespace of its own (no other process sees the mount), the instance
# (instances/raw-capture-PID, in the kernel's one tracefs) is removed, the cgroup is
# below this shell's own memory cgroup with a limit, and the file read is sparse.
set -eu
out=$1
if [ -z "${RAW_CAPTURE_NS:-}" ]; then
	exec env RAW_CAPTURE_NS=1 unshare -m --propagation private "$0" "$@"
fi
mkdir -p "$out/events/vmscan" "$out/events/oom"
mnt=$(mktemp -d /tmp/raw-capture-XXXXXX)
own=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
cg=/sys/fs/cgroup/memory$own/raw-capture-$$
inst=$mnt/instances/raw-capture-$$
sparse=/var/tmp/raw-capture-$$.sparse
cleanup() {
	[ -d "$inst" ] && { echo 0 >"$inst/tracing_on" || true; rmdir "$inst" || true; }
	if [ -d "$cg" ]; then
		for p in $(cat "$cg/cgroup.procs"); do kill -9 "$p" 2>/dev/null || true; done
		sleep 0.5
		rmdir "$cg" || true
	fi
	rm -f "$sparse"
	umount "$mnt" 2>/dev/null || true
	rmdir "$mnt" || true
}
trap cleanup EXIT INT TERM
mount -t tracefs nodev "$mnt"
mkdir "$inst"
echo mono >"$inst/trace_clock"
cp "$mnt/events/header_page" "$mnt/events/header_event" "$out/events/"
for e in vmscan/mm_vmscan_direct_reclaim_begin vmscan/mm_vmscan_direct_reclaim_end \
	vmscan/mm_vmscan_memcg_reclaim_begin vmscan/mm_vmscan_memcg_reclaim_end \
	vmscan/mm_vmscan_kswapd_wake vmscan/mm_vmscan_kswapd_sleep oom/mark_victim; do
	mkdir -p "$out/events/$e"
	cp "$mnt/events/$e/format" "$out/events/$e/format"
	echo 1 >"$inst/events/$e/enable"
done
mkdir "$cg"
echo 33554432 >"$cg/memory.limit_in_bytes"
# memory + swap too: with a swap file on (another run's), anonleak would swap, not die
[ -f "$cg/memory.memsw.limit_in_bytes" ] && echo 33554432 >"$cg/memory.memsw.limit_in_bytes"
truncate -s 1G "$sparse"
echo 1 >"$inst/tracing_on"
# page-cache reads beyond the limit: memcg reclaim stalls
sh -c "echo \$\$ >$cg/cgroup.procs; exec dd if=$sparse of=/dev/null bs=64k status=none"
# a gap longer than a delta holds (2^27 ns): a time extend before the next event
sleep 0.3
# anonymous memory beyond the limit: the OOM killer marks anonleak
sh -c "echo \$\$ >$cg/cgroup.procs; exec ${ANONLEAK:-workloads/anonleak} --size=96M --hold=0s" >/dev/null 2>&1 || true
echo 0 >"$inst/tracing_on"
n=0
for d in "$inst"/per_cpu/cpu*; do
	c=${d##*/}
	dd if="$d/trace_pipe_raw" of="$out/$c.pages" bs=4096 iflag=nonblock status=none 2>/dev/null || true
	n=$((n + $(stat -c %s "$out/$c.pages") / 4096))
done
echo "raw-capture: $n pages in $out"
