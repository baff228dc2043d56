#!/bin/sh
# tests/fuzz/run.sh SECONDS - build the libFuzzer targets (tests/fuzz/fuzz_*.c) with
# clang, ASan and UBSan in build/fuzz, run each for SECONDS on a working corpus
# (build/fuzz/corpus/TARGET, grown by libFuzzer) seeded from tests/fuzz/corpus/TARGET
# (read only), and print the executions per target. A crash fails with the input
# kept in build/fuzz/artifacts/. Prints SKIP and succeeds when clang or libFuzzer is
# missing. `make fuzz FUZZ_TIME=S` and `make fuzz-smoke` (3 s each) call it.
set -eu
secs=${1:-60}
make=${MAKE:-make}
out=build/fuzz
mkdir -p "$out"

if ! command -v clang >/dev/null 2>&1; then
	echo "SKIP: fuzz: clang is not installed (apt-get install clang)"
	exit 0
fi
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$out/probe.c"
if ! clang -fsanitize=fuzzer,address,undefined -o "$out/probe" "$out/probe.c" >"$out/probe.log" 2>&1; then
	echo "SKIP: fuzz: clang cannot link libFuzzer with ASan+UBSan: $(head -n 1 "$out/probe.log")"
	exit 0
fi

$make --no-print-directory BUILD="$out" CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize=fuzzer-no-link" fuzz-bins >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log"; echo "FAIL: fuzz: building the targets (see $out/build.log)"; exit 1; }

# the targets' stand-in files: on tmpfs where there is one (the journal fsyncs)
tmpbase="$(pwd)/$out/tmp"
[ -d /dev/shm ] && [ -w /dev/shm ] && tmpbase=/dev/shm
# seeds beside the target's own: the repository's scenarios
extra_scenario="scenarios tests/scenarios"
status=0
for bin in "$out"/fuzzers/fuzz_*; do
	case $bin in *.d) continue ;; esac
	t=${bin##*/fuzz_}
	work="$out/corpus/$t" tmp="$tmpbase/mph-fuzz-$t-$$"
	rm -rf "$tmp"
	mkdir -p "$work" "$tmp" "$out/artifacts"
	eval "extra=\${extra_$t:-}"
	[ -f "tests/fuzz/$t.dict" ] && extra="-dict=tests/fuzz/$t.dict $extra"
	# bounded memory (no pressure on the host), a slow input counts as a finding
	# shellcheck disable=SC2086
	if TMPDIR="$tmp" "$bin" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=1024 -malloc_limit_mb=512 \
		-timeout=10 -artifact_prefix="$out/artifacts/$t-" "$work" "tests/fuzz/corpus/$t" $extra >"$out/$t.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
		cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -n 1)
		printf '%-9s %10s execs in %ss (%s/s), %s, corpus %s inputs\n' "$t" "$execs" "$secs" \
			"$((execs / secs))" "$cov" "$(ls "$work" | wc -l)"
	else
		status=1
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|^journal:|^kmsg:|^scenario:' "$out/$t.log" | head -n 20
		echo "FAIL: fuzz: $t (log $out/$t.log)"
	fi
	rm -rf "$tmp"
done
exit $status
