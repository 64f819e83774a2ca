/*
 * xlsx — the first worksheet of an XLSX attachment into a grid (libzip + libxml2).
 *
 * Shared strings and inline strings are read; rich text runs are joined; a number
 * cell whose number format is a date format (built-in ids 14–22, 27–36, 45–47,
 * 50–58, or a custom format containing y/m/d outside quotes and brackets) becomes
 * "YYYY-MM-DD" (Excel serial days, 1900 system with the 1900-02-29 bug, or 1904
 * when the workbook says so), with " HH:MM" when it has a time part; other numbers
 * are printed in their shortest form ("12", "3.5").  A time-only format (h:mm, built-in
 * 18–21, 32, 33, 45–47) on a value below 1 gives "HH:MM" alone; an elapsed-time format
 * ([h]:mm) is a number.  Columns are placed by their cell reference (A1, C7), so
 * skipped empty cells stay empty; skipped rows stay as empty rows.  "First worksheet"
 * is the first visible <sheet> of the workbook that is a worksheet (not a chartsheet).
 */
#ifndef DEFECTD_XLSX_H
#define DEFECTD_XLSX_H

#include "grid.h"
#include "util.h"

#include <stddef.h>

/*
 * Read into `out`.  Limits: at most `max_rows` rows; the sum of uncompressed sizes
 * of the zip members read must stay below `max_unzipped` bytes (checked against the
 * declared size before inflating and against the bytes actually inflated).
 * Returns 0, or -1 with *err (caller frees) and `out` emptied.
 */
int xlsx_read(const char *bytes, size_t len, size_t max_rows, size_t max_unzipped, grid *out,
	      char **err) WUR;

#endif
