/*
 * csv — a CSV attachment into a grid (RFC 4180 via libcsv): quoted cells may hold
 * commas, doubled quotes and line breaks.  The bytes are decoded first: a UTF-8 BOM
 * is dropped, valid UTF-8 is taken as is, UTF-16 with a BOM (Excel's "Unicode text")
 * is converted, anything else is sniffed via charset.c (CP932 from Excel).  Delimiter:
 * comma, or TAB/semicolon when the first line that has any of them has no comma.
 */
#ifndef DEFECTD_CSV_H
#define DEFECTD_CSV_H

#include "grid.h"
#include "util.h"

#include <stddef.h>

/*
 * Read at most `max_rows` rows into `out` (empty grid on entry).  Returns 0, or -1
 * with *err set (caller frees) and `out` emptied when the data is not CSV (NUL bytes:
 * binary) or exceeds max_rows.
 * Undecodable bytes are reported in `warnings` (may be NULL).
 */
int csv_read(const char *bytes, size_t len, size_t max_rows, grid *out, char **err,
	     strlist *warnings) WUR;

#endif
