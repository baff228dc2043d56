#!/bin/sh
# library.sh - run the seed library (scenarios/library.list) and print a verdict table:
# scenario, where, kernel, verdict, assertions passed/total, and the first failing
# assertion with the value it measured. `make library` and `make check` drive it.
#
# Usage: tools/library.sh [--fast] [--list FILE] [--out DIR] [--kernels "host 6.1 6.12"]
#                         [--mph PATH] [--wait T]
#   --fast      only the entries marked fast = yes (what make check runs)
#   --list      the list (default scenarios/library.list): `file where fast` per line,
#               # starts a comment; a relative file is relative to the list's directory
#   --out       where JUnit files (<scenario>[@kernel].xml), logs and plan directories
#               go (default results/library)
#   --kernels   a matrix: each scenario once per kernel (`host` or what mph run
#               --kernel takes). A host scenario under a guest kernel that mph refuses
#               there ([swap], v1-only keys) is shown as n/a with mph's reason; a guest
#               scenario under `host` runs with its own [machine] kernel
#   --wait      passed to mph run (default 20m): mph's machine-wide lock is shared
# Exit: 0 every scenario passed; 1 one failed or a listed file is missing; 2 a usage or
# setup error (a bad list line, mph refused a file or could not run it here).
set -u

usage() {
	echo "usage: tools/library.sh [--fast] [--list FILE] [--out DIR] [--kernels \"K ...\"] [--mph PATH] [--wait T]" >&2
	exit 2
}
die() {
	echo "library.sh: $*" >&2
	exit 2
}

fast=no list=scenarios/library.list out=results/library kernels="" mph=./mph wait=20m
while [ $# -gt 0 ]; do
	case "$1" in
	--fast) fast=yes ;;
	--list|--out|--kernels|--mph|--wait)
		[ $# -ge 2 ] || usage
		case "$1" in
		--list) list=$2 ;; --out) out=$2 ;; --kernels) kernels=$2 ;; --mph) mph=$2 ;; --wait) wait=$2 ;;
		esac
		shift ;;
	-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
	shift
done
command -v jq >/dev/null 2>&1 || die "jq is missing (make deps installs it)"
[ -x "$mph" ] || die "$mph: not built (make all)"
[ -r "$list" ] || die "$list: cannot read the list"
for k in $kernels; do
	case "$k" in *[!A-Za-z0-9._:/+-]*) die "--kernels: '$k' is not a kernel name" ;; esac
done

# Check the whole list before running anything: a bad line is an error at its line.
dir=$(dirname "$list")
n=0 bad=0 entries=""
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	line=${line%%#*}
	set -f; set -- $line; set +f
	[ $# -eq 0 ] && continue
	if [ $# -ne 3 ]; then
		echo "$list:$n: want 'file where fast', got $# field(s)" >&2; bad=1; continue
	fi
	case "$2" in host|guest) ;; *) echo "$list:$n: where: '$2' is not host or guest" >&2; bad=1; continue ;; esac
	case "$3" in yes|no) ;; *) echo "$list:$n: fast: '$3' is not yes or no" >&2; bad=1; continue ;; esac
	case "$1" in *.ini) ;; *) echo "$list:$n: file: '$1' is not a .ini file" >&2; bad=1; continue ;; esac
	[ "$fast" = yes ] && [ "$3" = no ] && continue
	entries="$entries$1 $2
"
done < "$list"
[ $bad -eq 0 ] || exit 2
[ -n "$entries" ] || die "$list: no scenario to run"

mkdir -p "$out/logs" || die "$out: cannot create it"
table=$(mktemp) || die "mktemp failed"
trap 'rm -f "$table"' EXIT
failed=0 setup=0

# row SCENARIO WHERE KERNEL VERDICT PASSED/TOTAL DETAIL
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >> "$table"
}

# the first assertion that did not pass (job, variant or trend scope) with what it
# measured, or the reason a job could not be carried out
first_failure() {
	jq -r '
		[.jobs[] as $j
		 | ($j.assertions[]? | select(.verdict != "pass")
		    | "\(.name) [\(if $j.variant != "" then "\($j.variant) " else "" end)r\($j.repeat)]: \(.message)"),
		   ($j | select(.status != "done")
		    | "job \(.variant) r\(.repeat): \(.status)\(if .reason then ": \(.reason)" else "" end)")]
		+ [.aggregates[]? | select(.verdict != "pass") | "\(.name): \(.message)"]
		| first // "" | gsub("[\t\n]"; " ")' "$1" 2>/dev/null
}

run_one() { # FILE NAME WHERE KERNEL
	f=$1 name=$2 where=$3 k=$4
	tag=$name kflag=""
	if [ -n "$k" ]; then
		tag="$name@$k"
		if [ "$k" != host ]; then
			kflag="--kernel $k"
		fi
	fi
	log="$out/logs/$tag.log" junit="$out/$tag.xml"
	if [ -n "$kflag" ]; then
		# a host scenario mph cannot carry into a guest is not a failure of the kernel
		if ! "$mph" run --dry-run $kflag "$f" > "$log" 2>&1; then
			why=$(grep -m1 ': \[' "$log" || tail -n 1 "$log")
			row "$name" "$where" "$k" "n/a" "-" "not runnable on $k: ${why#*: }"
			return
		fi
	fi
	echo "library: $tag ($where)" >&2
	"$mph" run --wait "$wait" --results "$out/runs" --junit "$junit" $kflag "$f" > "$log" 2>&1
	rc=$?
	plan=$(tail -n 1 "$log")
	case "$plan" in */plan.json) [ -r "$plan" ] || plan="" ;; *) plan="" ;; esac
	kern=${k:-$where}
	counts="-" detail=""
	if [ -n "$plan" ]; then
		counts=$(jq -r '"\(.counts.passed)/\(.counts.assertions)"' "$plan")
		jd=$(jq -r '.jobs[0].dir // empty' "$plan")
		rel=$(jq -r '.host.kernel // empty' "$(dirname "$plan")/$jd/run.json" 2>/dev/null)
		[ -n "$rel" ] && kern=$rel
		detail=$(first_failure "$plan")
	fi
	case $rc in
	0) verdict=pass ;;
	1) verdict=FAIL; failed=1 ;;
	*) verdict="error($rc)"; setup=1
	   [ -n "$detail" ] || detail=$(grep -m1 -e '^mph: ' -e ': \[' "$log" | tr '\t' ' ') ;;
	esac
	row "$name" "$where" "$kern" "$verdict" "$counts" "$detail"
}

echo "$entries" | while read -r file where; do
	[ -n "$file" ] && echo "$file $where"
done > "$table.list"
while read -r file where; do
	case "$file" in /*) f=$file ;; *) f="$dir/$file" ;; esac
	name=$(basename "$file" .ini)
	if [ ! -e "$f" ]; then
		row "$name" "$where" "-" "missing" "-" "$f does not exist"
		failed=1
		continue
	fi
	if [ -z "$kernels" ]; then
		run_one "$f" "$name" "$where" ""
	else
		for k in $kernels; do run_one "$f" "$name" "$where" "$k"; done
	fi
done < "$table.list"
rm -f "$table.list"

printf 'scenario\twhere\tkernel\tverdict\tpassed\tfailing assertion (measured)\n' | cat - "$table" |
	awk -F '\t' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i] && i < NF) w[i] = length($i) } n = NR; nf[NR] = NF }
		END { for (r = 1; r <= n; r++) { s = ""; for (i = 1; i <= nf[r]; i++) s = s sprintf(i < nf[r] ? "%-" w[i] "s  " : "%s", c[r, i]); sub(/ +$/, "", s); print s } }'
total=$(wc -l < "$table")
npass=$(awk -F '\t' '$4 == "pass"' "$table" | wc -l)
echo "library: $npass of $total passed; JUnit files and logs in $out"
[ $setup -eq 0 ] || exit 2
[ $failed -eq 0 ] || exit 1
exit 0
