# Sourced by the integration scripts: the ok/FAIL lines and the closing "N passed, N failed".
#   ok TEXT                 a check that held
#   bad TEXT [DETAIL]       a check that did not (DETAIL: the last 25 lines, indented)
#   expect_eq TEXT GOT WANT
#   finish                  prints the counts; returns 1 when a check failed
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | tail -25 | sed 's/^/       /'; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }
finish() { echo "${1:+$1: }$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
