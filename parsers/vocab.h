/*
 * vocab — the words defectd reads: field keys with their value class, the labels
 * that name them, defect_ref column labels, enum and carrier synonyms, yes/no words,
 * the subject keywords of each kind and auto-reply subject prefixes.
 *
 * The built-in defaults are config/vocabulary.yaml, compiled in; a configuration
 * adds to them (same schema), so a new dealer format is a config line, not code.
 * All look-ups take match keys (text_match_key): NFKC, Latin lower-cased, spaces
 * removed, dashes folded.
 */
#ifndef DEFECTD_VOCAB_H
#define DEFECTD_VOCAB_H

#include "ytree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum value_class {
	VC_TEXT,
	VC_CODE,
	VC_DATE,
	VC_PHONE,
	VC_TRACKING,
	VC_BOOL,
	VC_ENUM,
	VC_CARRIER,
} value_class;

typedef enum record_kind {
	KIND_NONE = 0,
	KIND_DEFECT_REPORT,
	KIND_REPAIR_REPORT,
	KIND_SHIPMENT_NOTICE,
	KIND_PART_RECEIPT,
} record_kind;

typedef struct field_def {
	char *key;		/* "serial_no" */
	value_class cls;
	bool personal;		/* customer personal data */
	bool upper;		/* code values upper-cased (vin) */
	char *enum_name;	/* VC_ENUM / VC_CARRIER: the synonym table to use */
} field_def;

typedef struct vocab vocab;

/* the label look-up result for a defect_ref column (不具合管理番号, 管理番号, MD番号) */
#define VOCAB_DEFECT_REF (-2)

/* The compiled-in defaults; NULL with *err only if the embedded file is broken. */
vocab *vocab_default(char **err);
/* Add a YAML document of the vocabulary schema (see config/vocabulary.yaml).
 * Returns 0, or -1 with *err = "name:line: message" (caller frees). */
int vocab_merge_yaml(vocab *v, const char *text, size_t len, const char *name, char **err);
/* Same, from an already parsed tree (a section of the configuration). */
int vocab_merge_tree(vocab *v, const ynode *root, const char *name, char **err);
void vocab_free(vocab *v);

size_t vocab_nfields(const vocab *v);
const field_def *vocab_field_at(const vocab *v, size_t i);
/* index of a field key, or -1 */
int vocab_field_index(const vocab *v, const char *key);
const char *vocab_kind_name(record_kind k);
record_kind vocab_kind_parse(const char *name);
const char *vocab_class_name(value_class c);

/* field index whose label equals `key`, VOCAB_DEFECT_REF, or -1 */
int vocab_label_exact(const vocab *v, const char *key);
/* field index of the longest label that ends `key` (labels of 2+ characters only),
 * or -1; *label_bytes receives the matched length in bytes */
int vocab_label_suffix(const vocab *v, const char *key, size_t *label_bytes);
/* Could a label end with code point `cp` (already folded: Latin lower-case,
 * full-width to ASCII, dashes to '-')?  A cheap test before building a match key. */
bool vocab_label_may_end_with(const vocab *v, uint32_t cp);
/* length in bytes of the longest label (match key) — to skip long lines fast */
size_t vocab_max_label_bytes(const vocab *v);

/* the code of table `enum_name` whose synonym `key` contains (longest synonym wins), or NULL */
const char *vocab_enum_lookup(const vocab *v, const char *enum_name, const char *key);
/* the code to use when nothing matched ("OTHER"), and whether that deserves a warning */
const char *vocab_enum_fallback(const vocab *v, const char *enum_name, bool *warn);
/* 1 for a yes word, 0 for a no word (longest contained word wins), -1 neither */
int vocab_bool_lookup(const vocab *v, const char *key);

/* the kind named by the first kind rule whose keyword `subject_key` contains, or KIND_NONE */
record_kind vocab_kind_for_subject(const vocab *v, const char *subject_key);
/* true when the (NFKC'd) subject starts with an auto-reply prefix (自動応答, Out of Office …) */
bool vocab_autoreply_subject(const vocab *v, const char *subject_key);

#endif
