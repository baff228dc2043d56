#!/bin/sh
# library-list.sh - tools/library.sh's own checks, without running a scenario: a bad
# line of the list is an error at its line (exit 2, nothing run); a listed file that
# does not exist is a "missing" row and fails the library (exit 1).
set -u
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
fail=0
check() { # WHAT WANT GOT
	if [ "$2" != "$3" ]; then echo "library-list: $1: expected $2, got $3" >&2; fail=1; fi
}

printf '# a comment\nseed-a.ini host\nseed-b.ini moon yes\nseed-c.txt host yes\nseed-d.ini host maybe\n' > "$t/bad.list"
tools/library.sh --list "$t/bad.list" --out "$t/out" > "$t/bad.out" 2>&1
check "bad list: exit" 2 $?
for want in "bad.list:2: want 'file where fast'" "bad.list:3: where: 'moon'" "bad.list:4: file: 'seed-c.txt'" "bad.list:5: fast: 'maybe'"; do
	grep -qF "$want" "$t/bad.out" || { echo "library-list: bad list: no '$want' in:" >&2; cat "$t/bad.out" >&2; fail=1; }
done
[ -e "$t/out" ] && { echo "library-list: bad list: $t/out was made" >&2; fail=1; }

printf 'seed-not-yet.ini guest no   # written on another branch\n' > "$t/missing.list"
tools/library.sh --list "$t/missing.list" --out "$t/out" > "$t/missing.out" 2>&1
check "missing file: exit" 1 $?
grep -q "^seed-not-yet  *guest  *-  *missing  *-  *$t/seed-not-yet.ini does not exist" "$t/missing.out" ||
	{ echo "library-list: missing file: no missing row in:" >&2; cat "$t/missing.out" >&2; fail=1; }

tools/library.sh --kernels '6.1;rm' --list "$t/missing.list" > "$t/k.out" 2>&1
check "bad kernel name: exit" 2 $?
[ $fail -eq 0 ] && echo "library-list: 3 checks passed"
exit $fail
