#!/usr/bin/env bash
# Run unit-test binaries; print one line per binary and a closing "N passed, N failed".
set -u
pass=0 fail=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)) fail=$((fail + f))
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$out" | grep -E 'FAILED|ERROR|error|Sanitizer|runtime error' | head -30
		echo "FAIL $(basename "$t") ($p passed, $f failed)"
	else
		echo "ok   $(basename "$t") ($p tests)"
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
