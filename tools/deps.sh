#!/bin/sh
# deps.sh - install the Debian packages mph needs, only those missing (apt-get, as root).
# Usage: tools/deps.sh [--check]   (--check: list what is missing, install nothing)
# lava-common (its job schemas), prometheus-node-exporter and prometheus (promtool) are
# for the tests of tools/lava and `mph run --prom`; php8.2-fpm and libfcgi-bin
# (cgi-fcgi) for a real php-fpm pool under the exec workload (scenarios/exec-php-fpm.ini).
# Their services must not start on install: the tests run their own node_exporter on
# loopback and their own php-fpm on a unix socket, and stop them. jq reads plan.json for
# the seed library's verdict table (tools/library.sh).
set -eu
PKGS="gcc make pkg-config util-linux libcgroup-dev libnuma-dev libinih-dev libjansson-dev libcmocka-dev libarchive-dev libgsl-dev stress-ng numactl kmod busybox-static qemu-system-x86 qemu-utils libxml2-utils lava-common prometheus-node-exporter prometheus gnuplot-nox chromium zlib1g-dev php8.2-fpm libfcgi-bin jq"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "${1:-}" = "--check" ]; then
	echo "missing:$missing"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: these Debian packages are missing:$missing" >&2
	echo "deps.sh: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
php_before=$(pidof php-fpm8.2 || true)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# Packages with services (prometheus, prometheus-node-exporter, php8.2-fpm) start them from their
# maintainer scripts through invoke-rc.d unless policy-rc.d says no (exit 101). When the
# machine has no policy of its own, one that refuses is in place for the install only.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	trap 'rm -f "$policy"' EXIT
	printf '#!/bin/sh\n# mph tools/deps.sh: no services started while it installs\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
# ... and they would start at the next boot (node_exporter on every address): services
# this script brought in for the tests stay disabled
for svc in prometheus prometheus-node-exporter php8.2-fpm; do
	case " $missing " in
	*" $svc "*) systemctl disable "$svc" >/dev/null 2>&1 || true ;;
	esac
done
# A machine's own policy-rc.d may allow starts: a php-fpm this install started (none ran
# before it) is stopped by the pid its service wrote
case " $missing " in
*" php8.2-fpm "*)
	pidf=/run/php/php8.2-fpm.pid
	pid=$(cat "$pidf" 2>/dev/null || true)
	if [ -z "$php_before" ] && [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = php-fpm8.2 ]; then
		echo "deps.sh: stopping the php8.2-fpm service its install started (pid $pid)" >&2
		kill "$pid" 2>/dev/null || true
	fi
	;;
esac
