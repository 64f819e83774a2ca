#!/usr/bin/env bash
# Integration suites against real servers on loopback (PostgreSQL, Dovecot).
# Each prints "N passed, N failed"; exit 77 means it cannot run on this machine.
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0 skipped=0
for t in tests/integration/test_store.sh tests/integration/test_security.sh tests/integration/test_attack.sh tests/integration/test_upgrade.sh tests/integration/test_source_imap.sh tests/integration/test_daemon.sh tests/integration/test_reconnect.sh; do
	[ -x "$t" ] || continue
	echo "-- $t"
	log=$(mktemp)
	"$t" 2>&1 | tee "$log" | grep -E '^(FAIL|SKIP)|passed, [0-9]+ failed' -A6
	rc=${PIPESTATUS[0]}
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	p=$(printf '%s' "$line" | sed -n 's/.*\b\([0-9]\+\) passed.*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.*passed, \([0-9]\+\) failed.*/\1/p')
	rm -f "$log"
	if [ "$rc" -eq 77 ]; then skipped=$((skipped + 1)); continue; fi
	p=${p:-0} f=${f:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	pass=$((pass + p)) fail=$((fail + f))
done
echo "integration: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
