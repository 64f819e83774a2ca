/*
 * message — one raw RFC 5322 message in, a parse_result out: the guard against
 * hostile structure, MIME walking (libetpan), choice of the body part, attachments
 * (CSV, XLSX, HTML tables), noise detection and the kind rules.
 * Pure: no sockets, no database, no clock, no files.
 */
#ifndef DEFECTD_MESSAGE_H
#define DEFECTD_MESSAGE_H

#include "record.h"
#include "vocab.h"

#include <stddef.h>

typedef struct parse_limits {
	size_t max_message_bytes;	/* whole message */
	size_t max_header_bytes;	/* one header section */
	size_t max_parts;		/* MIME parts in all */
	size_t max_depth;		/* multipart nesting */
	size_t max_table_rows;		/* rows of one CSV/XLSX/HTML table */
	size_t max_xlsx_bytes;		/* uncompressed bytes read from one XLSX */
} parse_limits;

void parse_limits_default(parse_limits *lim);

/* Parse `len` bytes.  Always fills `out` (zeroed by the caller): on failure
 * out->error says why and the return is -1; otherwise 0. */
int message_parse(const char *bytes, size_t len, const vocab *v, const parse_limits *lim,
		  parse_result *out);

#endif
