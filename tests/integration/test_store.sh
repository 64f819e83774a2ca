#!/bin/bash
# The database layer against a throwaway PostgreSQL 15: builds tests/integration/test_store.c
# with daemon/{db,store,track}.c and the parsers, starts a private cluster (tests/env/pg.sh)
# in a temp dir, runs the test (migrations twice, roles, ingestion, tracks, privileges …),
# and stops the cluster on exit whatever happened.
#
#   tests/integration/test_store.sh        from the repository root (or anywhere)
#   CC=clang SAN=1 tests/integration/test_store.sh   with ASan/UBSan
set -euo pipefail
cd "$(dirname "$0")/../.."

CC=${CC:-cc}
T=$(mktemp -d /tmp/dstore.XXXXXX)
chmod 755 "$T"
cleanup() {
	tests/env/pg.sh stop "$T/pg" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT

make -s build/gen/vocab_default.c

FLAGS=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes
	-Wmissing-prototypes -Wno-unused-parameter -Werror -g -O1)
if [ "${SAN:-0}" = 1 ]; then
	FLAGS+=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
fi
# shellcheck disable=SC2046  # pkg-config output is meant to split
"$CC" "${FLAGS[@]}" -iquote parsers -iquote daemon -iquote build/gen -o "$T/test_store" \
	tests/integration/test_store.c daemon/db.c daemon/store.c daemon/track.c daemon/log.c daemon/config.c daemon/fileio.c parsers/*.c \
	build/gen/vocab_default.c \
	$(pkg-config --cflags --libs libpq libetpan libutf8proc yaml-0.1 jansson libxml-2.0 libzip) \
	-lcsv -lm

eval "$(tests/env/pg.sh start "$T/pg")"
export PGHOST PGPORT PGUSER
"$T/test_store" sql
