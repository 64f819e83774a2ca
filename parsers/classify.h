/*
 * classify — the rules of SPEC.md §2: subject prefixes and tags, kind by subject
 * keywords or by fields, auto-replies and bounces, defect_ref look-up.
 */
#ifndef DEFECTD_CLASSIFY_H
#define DEFECTD_CLASSIFY_H

#include "record.h"
#include "vocab.h"

#include <stdbool.h>
#include <stddef.h>

/* The subject with Re:/Fwd:/転送:… prefixes (repeated) and [MD-…] tags removed, as a
 * match key (text_match_key).  *reply / *forward tell which prefix came first
 * (the outermost).  Caller frees. */
char *classify_subject(const char *subject, bool *reply, bool *forward);

/* kind from the fields present (received_date/analysis_result → part_receipt, …) */
record_kind classify_by_fields(const record *rec, const vocab *v);

/* first MD-YYYY-NNNNN in n bytes of UTF-8 (full-width and dash-like forms accepted),
 * as "MD-YYYY-NNNNN" (caller frees), or NULL */
char *classify_find_ref(const char *s, size_t n);

/* Header facts needed for noise detection. */
typedef struct noise_facts {
	const char *auto_submitted;	/* header values or NULL */
	const char *x_autoreply;
	const char *x_autorespond;
	const char *precedence;
	const char *from;		/* bare address */
	const char *subject_key;	/* match key of the whole subject (prefixes kept) */
	bool multipart_report;		/* top-level Content-Type multipart/report */
} noise_facts;

/* "auto-reply" or "bounce" (static strings) when the message yields no records by
 * design, else NULL */
const char *classify_noise(const noise_facts *f, const vocab *v);

#endif
