/*
 * csv — a CSV attachment into a grid.  libcsv does the RFC 4180 state machine
 * (quotes, doubled quotes, delimiters and line breaks inside quoted cells); this file
 * only decodes the bytes to UTF-8 first, picks the delimiter, normalises line breaks
 * inside cells to '\n' and enforces the row limit.
 * Must never allocate more than a constant factor of the input, and never fail on
 * odd bytes: undecodable input is replaced and reported, not refused.
 */
#include "csv.h"

#include "charset.h"

/*
 * libcsv's header is also called csv.h, and the build puts parsers/ on the -I path, so
 * <csv.h> would find this module's own header.  The Makefile already requires libcsv at
 * /usr/include/csv.h (Debian's libcsv-dev has no pkg-config file).
 */
#include <csv.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* libcsv is fed in slices so that a table over the row limit stops early. */
#define CSV_SLICE 65536
/* how far the delimiter sniffer looks for a line that has any delimiter at all */
#define SNIFF_LINES 20
#define SNIFF_BYTES 65536

typedef struct csv_state {
	grid *g;
	size_t max_rows;
	size_t rows;	 /* rows started so far */
	bool row_open;	 /* a cell of the current row was seen */
	bool too_many;	 /* max_rows exceeded: ignore everything after */
	strbuf cell;	 /* scratch for line-break normalisation */
} csv_state;

/* libcsv field callback: one cell of the current row. */
static void on_cell(void *data, size_t len, void *arg)
{
	csv_state *st = arg;
	if (st->too_many)
		return;
	if (!st->row_open) {
		if (st->rows >= st->max_rows) {
			st->too_many = true;
			return;
		}
		grid_add_row(st->g);
		st->rows++;
		st->row_open = true;
	}
	const char *s = data ? data : "";
	if (!memchr(s, '\r', len)) {
		grid_add_cell(st->g, s, len);
		return;
	}
	/* a quoted cell written on Windows keeps CRLF: the consumer wants '\n' only */
	sb_reset(&st->cell);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r') {
			sb_addc(&st->cell, '\n');
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else {
			sb_addc(&st->cell, s[i]);
		}
	}
	grid_add_cell(st->g, sb_str(&st->cell), st->cell.len);
}

/* libcsv row callback: the current row ended (at CR, LF or the end of the data). */
static void on_row_end(int term, void *arg)
{
	(void)term;
	csv_state *st = arg;
	st->row_open = false;
}

/* UTF-16 with a BOM is what Excel's "Unicode text" export writes (TAB-separated). */
static char *utf16_to_utf8(const unsigned char *s, size_t len, bool big_endian, size_t *out_len,
			   size_t *replaced)
{
	strbuf b = STRBUF_INIT;
	size_t i = 2; /* past the BOM */
	while (i + 1 < len) {
		uint32_t u = big_endian ? (uint32_t)(s[i] << 8 | s[i + 1])
					: (uint32_t)(s[i + 1] << 8 | s[i]);
		i += 2;
		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < len) {
			uint32_t lo = big_endian ? (uint32_t)(s[i] << 8 | s[i + 1])
						 : (uint32_t)(s[i + 1] << 8 | s[i]);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				i += 2;
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			}
		}
		if (u >= 0xD800 && u <= 0xDFFF) {
			u = 0xFFFD;
			(*replaced)++;
		}
		sb_add_utf8(&b, u);
	}
	if (i < len)
		(*replaced)++; /* odd trailing byte */
	*out_len = b.len;
	return sb_steal(&b);
}

static bool is_utf16(const char *bytes, size_t len)
{
	const unsigned char *u = (const unsigned char *)bytes;
	return len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF));
}

/*
 * The bytes as UTF-8.  Returns a pointer into `bytes` (when they already are UTF-8) or
 * a new buffer stored in *owned (caller frees).  *replaced counts undecodable bytes.
 */
static const char *to_utf8(const char *bytes, size_t len, size_t *out_len, char **owned,
			   size_t *replaced)
{
	const unsigned char *u = (const unsigned char *)bytes;
	*owned = NULL;
	*replaced = 0;
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		bytes += 3;
		len -= 3;
	} else if (is_utf16(bytes, len)) {
		*owned = utf16_to_utf8(u, len, u[0] == 0xFE, out_len, replaced);
		return *owned;
	}
	if (utf8_valid(bytes, len)) {
		*out_len = len;
		return bytes;
	}
	*owned = charset_decode(bytes, len, NULL, out_len, NULL, replaced);
	return *owned;
}

/*
 * Comma unless the first line that has any candidate delimiter (outside quotes) has no
 * comma: then TAB or semicolon, whichever it has more of.  Title lines written without
 * any delimiter ("市場不具合報告") are looked past.
 */
static unsigned char pick_delimiter(const char *s, size_t len)
{
	size_t commas = 0, tabs = 0, semis = 0, lines = 0;
	bool quoted = false;
	if (len > SNIFF_BYTES)
		len = SNIFF_BYTES;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '"') {
			quoted = !quoted;
		} else if (quoted) {
			continue;
		} else if (c == ',') {
			commas++;
		} else if (c == '\t') {
			tabs++;
		} else if (c == ';') {
			semis++;
		} else if (c == '\n' || c == '\r') {
			if (commas || tabs || semis || ++lines >= SNIFF_LINES)
				break;
		}
	}
	if (commas || (!tabs && !semis))
		return CSV_COMMA;
	return tabs >= semis ? CSV_TAB : ';';
}

int csv_read(const char *bytes, size_t len, size_t max_rows, grid *out, char **err,
	     strlist *warnings)
{
	int rc = -1;
	char *owned = NULL;
	size_t n = 0, replaced = 0;
	struct csv_parser p;
	csv_state st = { out, max_rows, 0, false, false, STRBUF_INIT };
	bool inited = false;
	const char *text;

	*err = NULL;
	if (!bytes) {
		bytes = "";
		len = 0;
	}
	if (!is_utf16(bytes, len)) {
		while (len && bytes[len - 1] == '\0') /* padding some exporters leave behind */
			len--;
		if (memchr(bytes, '\0', len)) {
			/* a spreadsheet or archive that only calls itself CSV */
			*err = xstrdup("not a CSV file: binary data");
			goto out;
		}
	}
	text = to_utf8(bytes, len, &n, &owned, &replaced);
	if (replaced && warnings)
		sl_pushf(warnings, "attachment: %zu bytes could not be decoded", replaced);

	if (csv_init(&p, CSV_APPEND_NULL) != 0) {
		*err = xstrdup("CSV parser could not be initialised");
		goto out;
	}
	inited = true;
	csv_set_delim(&p, pick_delimiter(text, n));

	for (size_t off = 0; off < n && !st.too_many; off += CSV_SLICE) {
		size_t k = n - off < CSV_SLICE ? n - off : CSV_SLICE;
		if (csv_parse(&p, text + off, k, on_cell, on_row_end, &st) != k) {
			*err = xasprintf("CSV: %s", csv_strerror(csv_error(&p)));
			goto out;
		}
	}
	if (!st.too_many && csv_fini(&p, on_cell, on_row_end, &st) != 0) {
		*err = xasprintf("CSV: %s", csv_strerror(csv_error(&p)));
		goto out;
	}
	if (st.too_many) {
		*err = xasprintf("table has more than %zu rows", max_rows);
		goto out;
	}
	rc = 0;
out:
	if (inited)
		csv_free(&p);
	if (rc != 0)
		grid_free(out); /* no half tables */
	sb_free(&st.cell);
	free(owned);
	return rc;
}
