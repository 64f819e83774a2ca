#!/usr/bin/env bash
# make bench: parser throughput and memory (and end-to-end ingestion when available).
set -eu
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tests/bench/bench.py "$@"
