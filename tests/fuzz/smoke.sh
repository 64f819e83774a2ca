#!/usr/bin/env bash
# Short libFuzzer runs of the parser and of the IMAP answer reader (make fuzz runs the
# parser longer).  Needs clang.
set -u
cd "$(dirname "$0")/../.."
if ! make -s build/fuzz/fuzz_parse build/fuzz/fuzz_imap_wire >/tmp/defectd-fuzz-build.log 2>&1; then
	cat /tmp/defectd-fuzz-build.log | tail -20
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
mkdir -p build/fuzz/corpus build/fuzz/corpus_wire
passed=0 failed=0
run() { # NAME SECONDS ARGS...
	local name=$1 secs=$2
	shift 2
	if "build/fuzz/$name" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 "$@" >"build/fuzz/$name.log" 2>&1; then
		echo "$name: $(grep -E '^#[0-9]+.*(DONE|pulse)' "build/fuzz/$name.log" | tail -1)"
		passed=$((passed + 1))
	else
		tail -40 "build/fuzz/$name.log"
		failed=$((failed + 1))
	fi
}
run fuzz_parse "${FUZZ_SECONDS:-20}" -dict=tests/fuzz/mail.dict build/fuzz/corpus tests/fuzz/seeds
run fuzz_imap_wire "${FUZZ_WIRE_SECONDS:-10}" build/fuzz/corpus_wire tests/fuzz/seeds_wire
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
