/*
 * record — what one message yields (SPEC.md §2, §5): message identity, the records
 * with their kind, defect_ref and normalised fields, warnings, and an error when the
 * message could not be read.  Also its JSON form, the one `defectd parse` prints and
 * the parse worker hands to the daemon.
 */
#ifndef DEFECTD_RECORD_H
#define DEFECTD_RECORD_H

#include "util.h"
#include "vocab.h"

#include <stddef.h>

typedef struct field_value {
	int field;	/* index into the vocabulary's fields */
	char *value;	/* normalised, owned; "true"/"false" for bool */
} field_value;

typedef struct record {
	record_kind kind;
	char *defect_ref;	/* MD-YYYY-NNNNN or NULL */
	field_value *fields;
	size_t nfields;
	size_t cap;
} record;

typedef struct parse_result {
	char *message_id;	/* "<...>" or NULL */
	char *from;		/* bare address or NULL */
	char *subject;		/* decoded UTF-8 or NULL */
	char *date;		/* ISO 8601 with the header's offset, or NULL */
	char *in_reply_to;	/* first msg-id of In-Reply-To, or NULL */
	strlist references;	/* msg-ids of References, in order */
	record *records;
	size_t nrecords;
	size_t cap;
	strlist warnings;
	char *noise;		/* why it yields no records by design ("auto-reply", "bounce"), or NULL */
	char *error;		/* why it could not be parsed, or NULL */
} parse_result;

/* a new, empty record at the end of r->records (borrowed pointer, valid until the next add) */
record *result_add_record(parse_result *r);
/* drop the last record (when it turned out empty) */
void result_drop_last(parse_result *r);
/* true when the record already has this field */
bool record_has(const record *rec, int field);
/* set a field; the first value stated wins (later ones are freed). Takes ownership of value. */
void record_set(record *rec, int field, char *value);
/* value of a field or NULL (borrowed) */
const char *record_get(const record *rec, int field);
void parse_result_free(parse_result *r);

/* One JSON object, no trailing newline, as SPEC.md §5 ("file" first when file != NULL).
 * Caller frees. */
char *result_to_json(const parse_result *r, const vocab *v, const char *file);
/* s as a JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD.
 * Caller frees. */
char *json_quote(const char *s);
/* Read a JSON object made by result_to_json back (the daemon's side of the worker pipe).
 * Returns 0, or -1 with *err (caller frees). */
int result_from_json(const char *json, size_t len, const vocab *v, parse_result *out, char **err);

#endif
