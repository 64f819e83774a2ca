#!/usr/bin/env bash
# A short libFuzzer run of the parser (make fuzz runs longer).  Needs clang.
set -u
cd "$(dirname "$0")/../.."
if ! make -s build/fuzz/fuzz_parse >/tmp/defectd-fuzz-build.log 2>&1; then
	cat /tmp/defectd-fuzz-build.log | tail -20
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
mkdir -p build/fuzz/corpus
if build/fuzz/fuzz_parse -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -timeout=10 \
	-dict=tests/fuzz/mail.dict build/fuzz/corpus tests/fuzz/seeds >build/fuzz/smoke.log 2>&1; then
	echo "$(grep -E '^#[0-9]+.*(DONE|pulse)' build/fuzz/smoke.log | tail -1)"
	echo "fuzz: 1 passed, 0 failed"
else
	tail -40 build/fuzz/smoke.log
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
