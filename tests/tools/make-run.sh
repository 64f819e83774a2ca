#!/usr/bin/env bash
# make run: parse the bundled sample mailbox and print what was found.
set -eu
cd "$(dirname "$0")/../.."
box=tests/fixtures/sample-maildir
files=$(ls "$box"/new/* "$box"/cur/* 2>/dev/null | sort)
echo "== defectd parse on the sample mailbox ($box)"
# exit status 1 is expected: the sample holds one deliberately broken message
build/defectd parse $files | python3 tests/tools/summarize.py || true
