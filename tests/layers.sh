#!/bin/sh
# layers.sh - harness/ is in layers (docs/design.md, "Module map"): a file may include
# headers of its own folder and of the layers below it, never above. report/ reads
# result files only: it may include core/ and nothing else of the harness.
# Prints every include that breaks this and exits 1; prints a count and exits 0 otherwise.
set -eu
cd "$(dirname "$0")/.."
rank() {
	case "$1" in
	core) echo 0 ;; host) echo 1 ;; report) echo 1 ;; scenario) echo 2 ;;
	runner) echo 3 ;; plan) echo 4 ;; cmd) echo 5 ;; *) echo "" ;;
	esac
}
bad=0 n=0
for f in harness/*/*.[ch]; do
	from=$(basename "$(dirname "$f")")
	rf=$(rank "$from")
	if [ -z "$rf" ]; then
		echo "layers: $f: folder $from is not a known layer" >&2
		bad=$((bad + 1))
		continue
	fi
	for inc in $(sed -n 's/^#include "\.\.\/\([a-z]*\)\/.*"/\1/p' "$f"); do
		n=$((n + 1))
		[ "$inc" = "$from" ] && continue
		[ "$inc" = ".." ] && continue
		ri=$(rank "$inc")
		if [ -z "$ri" ]; then
			echo "layers: $f includes from ../$inc/, which is not a layer" >&2
			bad=$((bad + 1))
		elif [ "$from" = report ] && [ "$inc" != core ]; then
			echo "layers: $f (report/) includes $inc/: report/ may use core/ only" >&2
			bad=$((bad + 1))
		elif [ "$inc" = report ] && [ "$rf" -le 1 ]; then
			echo "layers: $f ($from/) includes report/, which is not below it" >&2
			bad=$((bad + 1))
		elif [ "$ri" -ge "$rf" ] && [ "$inc" != report ]; then
			echo "layers: $f ($from/) includes $inc/, a layer at or above its own" >&2
			bad=$((bad + 1))
		fi
	done
done
if [ "$bad" -gt 0 ]; then
	echo "layers: $bad include(s) point the wrong way" >&2
	exit 1
fi
echo "layers: $n includes between harness/ folders, all pointing down"
