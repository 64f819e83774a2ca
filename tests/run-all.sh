#!/usr/bin/env bash
# make check: every suite, each printing its own "N passed, N failed"; a total last.
set -u
cd "$(dirname "$0")/.."
total_pass=0 total_fail=0
suite() { # name, command...
	local name=$1; shift
	echo "== $name"
	local log; log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	local line; line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	local p f
	p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	rm -f "$log"
}
UNITS=$(ls build/san/tests/test_* 2>/dev/null)
suite unit tests/tools/run-unit.sh $UNITS
suite corpus tests/corpus/run.sh build/san/defectd
suite hostile tests/hostile/run.sh build/san/defectd
suite docs tests/tools/check-docs.sh build/defectd
if command -v clang >/dev/null 2>&1 && [ -z "${SKIP_FUZZ:-}" ]; then
	suite fuzz tests/fuzz/smoke.sh
fi
if [ -x tests/integration/run.sh ] && [ -z "${SKIP_INTEGRATION:-}" ]; then
	suite integration tests/integration/run.sh
fi
echo
echo "check: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
