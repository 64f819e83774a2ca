#!/usr/bin/env bash
# make valgrind: the parser (and its worker process) over every golden mail, and the
# unit tests built without sanitizers, under memcheck; any error or leak fails.
set -u
cd "$(dirname "$0")/../.."
# the release binary takes malloc from mimalloc: valgrind must replace that one
VG="valgrind -q --soname-synonyms=somalloc=libmimalloc.so* --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --suppressions=tests/valgrind.supp"
pass=0 fail=0
run() { # name, command...
	local name=$1; shift
	# the command's own exit status does not matter (parse exits 1 on a broken mail);
	# valgrind's 9 and any error summary do
	$VG --trace-children=yes "$@" >/dev/null 2>/tmp/defectd-vg.log
	if [ $? -ne 9 ] && ! grep -q "ERROR SUMMARY: [1-9]" /tmp/defectd-vg.log; then
		pass=$((pass + 1)); echo "ok   $name"
	else
		fail=$((fail + 1)); echo "FAIL $name"; head -40 /tmp/defectd-vg.log
	fi
}
run "defectd parse, golden cases" build/defectd parse tests/corpus/cases/*.eml
run "defectd parse, sample mailbox" build/defectd parse tests/fixtures/sample-maildir/new/*
for t in build/vg/tests/test_*; do
	run "$(basename "$t")" "$t"
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
