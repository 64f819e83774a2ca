#!/usr/bin/env bash
# Golden tests: every tests/corpus/cases/NAME.eml must yield NAME.json exactly as
# graded by the shared grade-corpus tool (field-F1 1.0, every kind right), plus the
# configuration case and the shared corpus when ../shared is present.
set -u
bin=${1:-build/san/defectd}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
grade="$top/../shared/tools/grade-corpus"
if [ ! -x "$grade" ]; then
	echo "corpus: ../shared/tools/grade-corpus is not beside the project; golden tests skipped"
	echo "corpus: 0 passed, 0 failed"
	exit 0
fi
pass=0 fail=0
check() { # name, command...
	local name=$1; shift
	if out=$("$@" 2>&1); then
		pass=$((pass + 1)); echo "ok   $name: $(printf '%s\n' "$out" | tail -1)"
	else
		fail=$((fail + 1)); printf '%s\n' "$out" | grep -v '^[a-z_]* *[0-9]* *0 *0 *1.000$' | tail -40
		echo "FAIL $name"
	fi
}
check "own golden cases" "$grade" --cmd "$bin parse" --min-f1 1.0 "$here/cases"
if [ -d "$here/config-case" ]; then
	check "config adds labels" "$grade" --cmd "$bin parse -c $here/config-case/config.yaml" --min-f1 1.0 "$here/config-case"
	# without the configuration the same mail must NOT read the new label
	tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
	for e in "$here"/config-case/*.eml; do
		cp "$e" "$tmp/"; cp "$here/config-case/expected.noconf.json" "$tmp/$(basename "${e%.eml}").json"
	done
	check "built-in vocabulary only" "$grade" --cmd "$bin parse" --min-f1 1.0 "$tmp"
fi
if [ -d "$top/../shared/corpus" ]; then
	check "shared corpus" "$grade" --cmd "$bin parse" --min-f1 1.0 "$top/../shared/corpus"
fi
echo "corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
