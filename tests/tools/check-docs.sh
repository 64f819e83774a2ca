#!/usr/bin/env bash
# The documentation stays true to the code: every option `defectd help` lists is in
# config/defectd.yaml.example, the example is a valid configuration, and the README
# shows the commands `defectd help` offers.
set -u
cd "$(dirname "$0")/../.."
bin=${1:-build/defectd}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
help=$("$bin" help)
for opt in $(printf '%s\n' "$help" | sed -n 's/^  \([a-z_]*\.[a-z_]*\) .*/\1/p'); do
	key=${opt#*.}
	grep -Eq "^ *#? *$key:" config/defectd.yaml.example && ok "example documents $opt" || bad "example lacks $opt"
done
for opt in $(printf '%s\n' "$help" | sed -n 's/^    \([a-z_]*\) .*/\1/p'); do
	grep -Eq "^ *#? *-? *$opt:" config/defectd.yaml.example && ok "example documents mailboxes[].$opt" || bad "example lacks mailboxes[].$opt"
done
out=$("$bin" -n -c config/defectd.yaml.example 2>&1)
[ "$out" = "configuration OK" ] && ok "the example configuration is valid" || bad "example invalid: $out"
for c in "defectd parse" "defectd run" "defectd -n" "defectd migrate" "defectctl" "make run" "make check"; do
	grep -q "$c" README.md && ok "README shows $c" || bad "README lacks $c"
done
# plain `make` builds the binaries and nothing else (the header of the Makefile says so)
[ "$(make -s -n -p 2>/dev/null | sed -n 's/^\.DEFAULT_GOAL := //p')" = all ] && ok "plain make builds all" || bad "plain make does not build all"
echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
