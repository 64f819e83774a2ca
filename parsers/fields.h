/*
 * fields — field lines of a mail body into a record (SPEC.md §4 "Layouts",
 * "Multi-line text", "Quoted and forwarded text", "Signatures"), and the label
 * look-up shared with tables.
 */
#ifndef DEFECTD_FIELDS_H
#define DEFECTD_FIELDS_H

#include "record.h"
#include "vocab.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct fields_ctx {
	const vocab *v;
	bool reply;		/* the subject is a reply (Re:, 返信:) */
	bool forward;		/* the subject is a forward (Fwd:, FW:, 転送:) */
	int default_year;	/* year of the Date header, 0 when unknown */
	strlist *warnings;	/* "key: reason" are appended here */
} fields_ctx;

/*
 * Read the body text (UTF-8, lines separated by LF or CRLF) into rec.
 * *defect_ref receives the first MD-YYYY-NNNNN of the unquoted text read (caller
 * frees; NULL when none).  Returns the number of fields set.
 */
size_t fields_read(const fields_ctx *c, const char *text, size_t len, record *rec,
		   char **defect_ref);

/* Normalise a raw value and set it (first value wins); a value that does not parse
 * becomes a warning "key: reason".  Returns true when the field was set. */
bool fields_set_raw(const fields_ctx *c, record *rec, int field, const char *raw, size_t n);

/* The field a label (a table cell or a line's label part, decorations allowed)
 * names: a field index, VOCAB_DEFECT_REF, or -1.  `suffix` allows a label that
 * ends with a known one (不具合品の発送日 → shipped_date). */
int fields_label(const vocab *v, const char *s, size_t n, bool suffix);

#endif
