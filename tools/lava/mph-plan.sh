#!/bin/sh
# mph-plan.sh - the steps of tools/lava/mph.yaml. Builds mph (MPH_REVISION of MPH_REPO,
# or the tree this script is in), runs MPH_SCENARIO as a plan, and hands every job x
# assertion to lava-test-case with its measured value and unit, from the file that
# `mph run --lava` writes (one case a line: NAME RESULT MEASUREMENT UNITS, `-` for
# none). Then it packs the plan's directory for collection. It needs nothing of LAVA
# but a lava-test-case on PATH, so it runs outside a lab as well.
#
# Test cases besides the plan's: mph-build (the build), mph-plan (pass when the plan
# was carried out, whatever its verdicts: they are the cases above it; skip when the
# device cannot run the scenario; fail otherwise, measured as mph's exit code).
# The script exits 0 once the cases are reported, so that later steps still run.
set -eu

tree=$(cd "$(dirname "$0")/../.." && pwd)
work=${MPH_WORK:-$(pwd)/mph-lava}
mkdir -p "$work"

src=$tree
if [ -n "${MPH_REPO:-}" ]; then
	src=$(realpath -m "${MPH_SRC:-mph-src}")
	if [ -d "$src/.git" ]; then
		git -C "$src" fetch -q --tags "$MPH_REPO" '+refs/heads/*:refs/remotes/origin/*'
	else
		git clone -q --no-checkout "$MPH_REPO" "$src"
	fi
	rev=${MPH_REVISION:-HEAD}
	# a branch names what was just fetched; a commit or tag is taken as it is
	commit=$(git -C "$src" rev-parse -q --verify "origin/$rev^{commit}" ||
		git -C "$src" rev-parse --verify "$rev^{commit}")
	git -C "$src" checkout -q --detach "$commit"
	echo "mph: $MPH_REPO at $commit"
elif [ -n "${MPH_REVISION:-}" ]; then
	git -C "$src" checkout -q --detach "$MPH_REVISION"
fi
cd "$src"

if make deps && make -j"$(nproc)" all; then
	lava-test-case mph-build --result pass
else
	lava-test-case mph-build --result fail
	exit 1
fi

mkdir -p "$MPH_RESULTS"
cases=$work/cases.txt
rm -f "$cases" "$work/rc"
# MPH_ARGS is a list of words on purpose
# shellcheck disable=SC2086
{
	rc=0
	./mph run --wait "${MPH_WAIT:-10m}" --results "$MPH_RESULTS" --lava "$cases" ${MPH_ARGS:-} "$MPH_SCENARIO" || rc=$?
	echo "$rc" >"$work/rc"
} | tee "$work/run.out"
rc=$(cat "$work/rc")

if [ -f "$cases" ]; then
	while read -r name result value units; do
		if [ "$value" = - ]; then
			lava-test-case "$name" --result "$result"
		elif [ "$units" = - ]; then
			lava-test-case "$name" --result "$result" --measurement "$value"
		else
			lava-test-case "$name" --result "$result" --measurement "$value" --units "$units"
		fi
	done <"$cases"
fi
case $rc in
0 | 1) result=pass ;;
3) result=skip ;;
*) result=fail ;;
esac
lava-test-case mph-plan --result "$result" --measurement "$rc" --units exit-code

# The plan's directory (plan.json's, the last line mph printed) for collection
plan=$(tail -n 1 "$work/run.out")
case $plan in
*/plan.json)
	dir=$(dirname "$plan")
	tarball=$work/mph-$(basename "$(dirname "$dir")")-$(basename "$dir").tar.gz
	tar -C "$(dirname "$(dirname "$dir")")" -czf "$tarball" "$(basename "$(dirname "$dir")")/$(basename "$dir")"
	echo "mph: results in $dir, packed in $tarball"
	if [ -n "${MPH_UPLOAD:-}" ]; then
		# MPH_UPLOAD is a command line on purpose
		# shellcheck disable=SC2086
		$MPH_UPLOAD "$tarball"
	fi
	;;
esac
