/*
 * table — a grid (CSV, XLSX, HTML table) into records: the header row is the first
 * row with at least two known labels; every following non-empty row is a record;
 * unknown columns are ignored; a defect_ref column gives the row's defect_ref.
 */
#ifndef DEFECTD_TABLE_H
#define DEFECTD_TABLE_H

#include "fields.h"
#include "grid.h"
#include "record.h"

#include <stddef.h>

/* index of the header row, or -1 when no row has two known labels */
long table_header_row(const grid *g, const vocab *v);

/*
 * Append one record per data row to out.  `subject_kind` (KIND_NONE when the
 * subject names none) wins over the row's fields.  `subject_ref` is used for rows
 * without a defect_ref column value.  `what` names the table in warnings
 * ("attachment 1"). Returns the number of records added.
 */
size_t table_records(const fields_ctx *c, const grid *g, record_kind subject_kind,
		     const char *subject_ref, const char *body_ref, const char *what,
		     parse_result *out);

#endif
