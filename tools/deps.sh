#!/bin/sh
# deps.sh - install the Debian packages mph needs, only those missing (apt-get, as root).
# Usage: tools/deps.sh [--check]   (--check: list what is missing, install nothing)
set -eu
PKGS="gcc make pkg-config util-linux libcgroup-dev libnuma-dev libinih-dev libjansson-dev libcmocka-dev libarchive-dev stress-ng numactl kmod busybox-static qemu-system-x86 qemu-utils libxml2-utils gnuplot-nox chromium zlib1g-dev"
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
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
