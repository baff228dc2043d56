#!/bin/sh
# php-fpm-pool.sh - a real php-fpm pool with a bounded load, for mph's exec workload
# (docs/workload-exec.md, "A real service: php-fpm"): everything in a temporary
# directory (pool config, unix socket, pid file, logs, the PHP script), php-fpm8.2 in
# the foreground (-F) as this shell's child, then at most REQUESTS sequential
# requests through cgi-fcgi for at most SECONDS, then the pool is left running until
# a SIGTERM (mph's at the end of `duration`, sent to the whole process group) stops
# it. Each request makes its worker keep MIB more memory for good, as a leaking
# extension would, so workers grow until pm.max_requests recycles them or the memory
# cgroup's OOM killer kills them.
#
# Usage: php-fpm-pool.sh [-p static|dynamic] [-c MAX_CHILDREN] [-m MAX_REQUESTS]
#                        [-r MIB] [-n REQUESTS] [-t SECONDS]
set -eu

pm=static children=4 max_requests=500 mib=8 requests=200 seconds=20
while getopts p:c:m:r:n:t: o; do
	case $o in
	p) pm=$OPTARG ;;
	c) children=$OPTARG ;;
	m) max_requests=$OPTARG ;;
	r) mib=$OPTARG ;;
	n) requests=$OPTARG ;;
	t) seconds=$OPTARG ;;
	*) exit 2 ;;
	esac
done
for v in "$children" "$max_requests" "$mib" "$requests" "$seconds"; do
	case $v in
	'' | *[!0-9]*) echo "php-fpm-pool: not a number: '$v'" >&2 && exit 2 ;;
	esac
done
case $pm in static | dynamic) ;; *) echo "php-fpm-pool: -p static or dynamic" >&2 && exit 2 ;; esac
for tool in php-fpm8.2 cgi-fcgi; do
	command -v "$tool" >/dev/null || { echo "php-fpm-pool: $tool is not installed (make deps)" >&2 && exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/mph-php-fpm.XXXXXX")
sock=$dir/php-fpm.sock
fpm=
# The end, however it comes: the master stopped (a SIGTERM to the group does not reach
# it: php-fpm makes a session of its own) and waited for, what it logged shown, the
# directory removed. Exit 0 only when php-fpm ran until it was stopped and then ended
# well; 1 when it ended before (its own exit status is printed).
# shellcheck disable=SC2317 # called from the traps
finish() {
	code=$1
	trap - TERM INT HUP EXIT
	if [ -n "$fpm" ]; then
		kill -TERM "$fpm" 2>/dev/null || true
		status=0
		wait "$fpm" || status=$?
		echo "php-fpm-pool: stopped; php-fpm8.2 (pid $fpm) ended with status $status"
		[ "$code" -ne 0 ] || code=$status
	fi
	if [ -s "$dir/php-fpm.log" ]; then
		echo "php-fpm-pool: php-fpm's log:"
		sed 's/^/  /' "$dir/php-fpm.log"
	fi
	rm -rf "$dir"
	exit "$code"
}
trap 'finish 0' TERM INT HUP
trap 'finish $?' EXIT

# pm dynamic starts half the children and keeps one or two spare
start=$(((children + 1) / 2))
cat >"$dir/php-fpm.conf" <<EOF
[global]
pid = $dir/php-fpm.pid
error_log = $dir/php-fpm.log
log_level = notice

[mph]
listen = $sock
listen.mode = 0600
pm = $pm
pm.max_children = $children
pm.start_servers = $start
pm.min_spare_servers = 1
pm.max_spare_servers = $start
pm.max_requests = $max_requests
catch_workers_output = yes
php_admin_value[error_log] = $dir/php-error.log
php_admin_value[ffi.enable] = 1
php_admin_value[memory_limit] = 64M
EOF
# PHP frees a request's own memory when the request ends (a static or global array
# does not outlive it); memory malloc'd through FFI as persistent and never freed does,
# as in a leaking extension. Every page of it is written, so it is resident.
cat >"$dir/grow.php" <<'EOF'
<?php
$n = (int)($_GET['mib'] ?? 1) << 20;
$kept = FFI::new("char[$n]", false, true);
FFI::memset($kept, 0x5a, $n);
echo getmypid(), "\n";
EOF

php-fpm8.2 -F -R -y "$dir/php-fpm.conf" &
fpm=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ]; do # 5 s at most for the socket
	sleep 0.1
	i=$((i + 1))
done
[ -S "$sock" ] || { echo "php-fpm-pool: no socket after 5 s" >&2 && exit 1; }
echo "php-fpm-pool: php-fpm8.2 pid $fpm, pm $pm, $children children, max_requests $max_requests, $mib MiB kept a request"

# The load: one request at a time (each at most 10 s), at most $requests of them
# and for at most $seconds. cgi-fcgi passes its environment as the FastCGI params.
# A request whose worker was killed fails (the connection closes without a reply).
end=$(($(date +%s) + seconds))
n=0 ok=0
while [ $n -lt "$requests" ] && [ "$(date +%s)" -lt $end ]; do
	n=$((n + 1))
	if SCRIPT_FILENAME=$dir/grow.php REQUEST_METHOD=GET QUERY_STRING=mib=$mib \
		timeout --foreground 10 cgi-fcgi -bind -connect "$sock" >/dev/null 2>&1; then
		ok=$((ok + 1))
	fi
done
echo "php-fpm-pool: $n requests sent, $ok answered, $((n - ok)) failed; the pool runs until stopped"
# until mph's SIGTERM at `duration` (the trap above), or the master's own end
status=0
wait "$fpm" || status=$?
echo "php-fpm-pool: php-fpm8.2 (pid $fpm) ended with status $status before it was stopped" >&2
fpm=
exit 1
