/*
 * vocab — field keys, labels, synonyms and keywords, from YAML (config/vocabulary.yaml
 * compiled in, plus whatever the configuration adds).  Look-ups are by match key
 * (text_match_key).  Labels live in a hash table for exact matches and a list for
 * the suffix rule; the lists are small (hundreds), so linear synonym scans are fine.
 */
#include "vocab.h"
#include "text.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vocab_default.h"

typedef struct label {
	char *key;	/* match key */
	size_t len;
	int field;	/* field index or VOCAB_DEFECT_REF */
} label;

typedef struct enum_code {
	char *code;
	strlist syn;	/* match keys */
} enum_code;

typedef struct enum_table {
	char *name;
	char *fallback;
	bool warn;
	enum_code *codes;
	size_t ncodes, cap;
} enum_table;

typedef struct kind_rule {
	record_kind kind;
	strlist keywords;
} kind_rule;

struct vocab {
	field_def *fields;
	size_t nfields, fcap;
	label *labels;
	size_t nlabels, lcap;
	int *slots;	/* open addressing: label index + 1, 0 = empty */
	uint32_t *ends;	/* sorted last code points of the labels */
	size_t nends;
	size_t nslots;
	size_t max_label;
	enum_table *enums;
	size_t nenums, ecap;
	enum_table booleans;
	kind_rule kinds[4];
	size_t nkinds;
	strlist autoreply;
};

static const char *const kind_names[] = { "none", "defect_report", "repair_report",
					  "shipment_notice", "part_receipt" };
static const char *const class_names[] = { "text", "code", "date", "phone",
					   "tracking", "bool", "enum", "carrier" };

const char *vocab_kind_name(record_kind k)
{
	return (unsigned)k < ARRAY_LEN(kind_names) ? kind_names[k] : "none";
}

record_kind vocab_kind_parse(const char *name)
{
	for (size_t i = 1; i < ARRAY_LEN(kind_names); i++)
		if (strcmp(kind_names[i], name) == 0)
			return (record_kind)i;
	return KIND_NONE;
}

const char *vocab_class_name(value_class c)
{
	return (unsigned)c < ARRAY_LEN(class_names) ? class_names[c] : "text";
}

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void collect_ends(vocab *v)
{
	free(v->ends);
	v->ends = xcalloc(v->nlabels ? v->nlabels : 1, sizeof *v->ends);
	v->nends = 0;
	for (size_t i = 0; i < v->nlabels; i++) {
		const char *k = v->labels[i].key;
		size_t n = v->labels[i].len, start = n - 1;
		while (start > 0 && ((unsigned char)k[start] & 0xC0) == 0x80)
			start--;
		uint32_t cp;
		utf8_next(k + start, n - start, &cp);
		v->ends[v->nends++] = cp;
	}
	qsort(v->ends, v->nends, sizeof *v->ends, cmp_u32);
}

bool vocab_label_may_end_with(const vocab *v, uint32_t cp)
{
	return bsearch(&cp, v->ends, v->nends, sizeof cp, cmp_u32) != NULL;
}

static void rehash(vocab *v)
{
	collect_ends(v);
	free(v->slots);
	v->nslots = 64;
	while (v->nslots < v->nlabels * 2)
		v->nslots *= 2;
	v->slots = xcalloc(v->nslots, sizeof *v->slots);
	for (size_t i = 0; i < v->nlabels; i++) {
		size_t j = hash(v->labels[i].key) & (v->nslots - 1);
		while (v->slots[j])
			j = (j + 1) & (v->nslots - 1);
		v->slots[j] = (int)i + 1;
	}
}

static label *find_label(const vocab *v, const char *key)
{
	if (!v->nslots)
		return NULL;
	size_t j = hash(key) & (v->nslots - 1);
	while (v->slots[j]) {
		label *l = &v->labels[v->slots[j] - 1];
		if (strcmp(l->key, key) == 0)
			return l;
		j = (j + 1) & (v->nslots - 1);
	}
	return NULL;
}

/* a later definition of the same label re-assigns it (configuration overrides) */
static void add_label(vocab *v, const char *text, int field)
{
	char *key = text_match_key(text, strlen(text));
	if (!*key) {
		free(key);
		return;
	}
	for (size_t i = 0; i < v->nlabels; i++)
		if (strcmp(v->labels[i].key, key) == 0) {
			v->labels[i].field = field;
			free(key);
			return;
		}
	v->labels = xgrow(v->labels, &v->lcap, v->nlabels + 1, sizeof *v->labels);
	size_t len = strlen(key);
	v->labels[v->nlabels++] = (label){ key, len, field };
	if (len > v->max_label)
		v->max_label = len;
}

static int bad(char **err, const char *name, const ynode *n, const char *fmt, ...) PRINTF(4, 5);
static int bad(char **err, const char *name, const ynode *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	*err = xasprintf("%s:%d: %s", name, n ? n->line : 0, msg);
	free(msg);
	return -1;
}

/* a scalar or a sequence of scalars, each passed to fn */
typedef void (*scalar_fn)(vocab *v, const char *s, void *ctx);
static int each_scalar(vocab *v, const ynode *n, const char *name, const char *what, scalar_fn fn,
		       void *ctx, char **err)
{
	if (n->type == YN_SCALAR) {
		fn(v, n->value, ctx);
		return 0;
	}
	if (n->type != YN_SEQ)
		return bad(err, name, n, "%s: expected a list of words", what);
	for (size_t i = 0; i < n->n; i++) {
		if (n->items[i]->type != YN_SCALAR)
			return bad(err, name, n->items[i], "%s: expected a word", what);
		fn(v, n->items[i]->value, ctx);
	}
	return 0;
}

static void label_cb(vocab *v, const char *s, void *ctx)
{
	add_label(v, s, *(int *)ctx);
}

static void push_key_cb(vocab *v, const char *s, void *ctx)
{
	char *k = text_match_key(s, strlen(s));
	if (*k)
		sl_push(ctx, k);
	else
		free(k);
}

static int parse_bool(const ynode *n, bool *out)
{
	if (n->type != YN_SCALAR)
		return -1;
	const char *s = n->value;
	if (!ascii_strcasecmp(s, "true") || !ascii_strcasecmp(s, "yes") || !strcmp(s, "1"))
		*out = true;
	else if (!ascii_strcasecmp(s, "false") || !ascii_strcasecmp(s, "no") || !strcmp(s, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static int parse_class(const char *s, value_class *out)
{
	for (size_t i = 0; i < ARRAY_LEN(class_names); i++)
		if (strcmp(class_names[i], s) == 0) {
			*out = (value_class)i;
			return 0;
		}
	return -1;
}

int vocab_field_index(const vocab *v, const char *key)
{
	for (size_t i = 0; i < v->nfields; i++)
		if (strcmp(v->fields[i].key, key) == 0)
			return (int)i;
	return -1;
}

static int merge_field(vocab *v, const char *key, const ynode *def, const char *name, char **err)
{
	int idx = vocab_field_index(v, key);
	if (def->type == YN_SEQ || def->type == YN_SCALAR) {
		/* shorthand: key: [labels] */
		if (idx < 0)
			return bad(err, name, def, "field %s: unknown field (give it a class)", key);
		return each_scalar(v, def, name, key, label_cb, &idx, err);
	}
	const ynode *cls = ytree_get(def, "class");
	for (size_t i = 0; i < def->n; i++) {
		const char *k = def->keys[i];
		if (strcmp(k, "class") && strcmp(k, "labels") && strcmp(k, "personal") &&
		    strcmp(k, "upper") && strcmp(k, "enum"))
			return bad(err, name, def->items[i], "unknown field option '%s'", k);
	}
	if (idx < 0) {
		if (!cls)
			return bad(err, name, def, "field %s: a new field needs a class", key);
		v->fields = xgrow(v->fields, &v->fcap, v->nfields + 1, sizeof *v->fields);
		idx = (int)v->nfields++;
		v->fields[idx] = (field_def){ xstrdup(key), VC_TEXT, false, false, NULL };
	}
	field_def *f = &v->fields[idx];
	if (cls && (cls->type != YN_SCALAR || parse_class(cls->value, &f->cls) < 0))
		return bad(err, name, cls, "unknown class '%s' (code, date, text, phone, tracking, bool, enum, carrier)",
			   cls->type == YN_SCALAR ? cls->value : "?");
	const ynode *n;
	if ((n = ytree_get(def, "personal")) && parse_bool(n, &f->personal) < 0)
		return bad(err, name, n, "%s: personal must be true or false", key);
	if ((n = ytree_get(def, "upper")) && parse_bool(n, &f->upper) < 0)
		return bad(err, name, n, "%s: upper must be true or false", key);
	if ((n = ytree_get(def, "enum"))) {
		if (n->type != YN_SCALAR)
			return bad(err, name, n, "%s: enum must name a table", key);
		free(f->enum_name);
		f->enum_name = xstrdup(n->value);
	}
	if ((f->cls == VC_ENUM || f->cls == VC_CARRIER) && !f->enum_name)
		f->enum_name = xstrdup(f->cls == VC_CARRIER ? "carrier" : key);
	if ((n = ytree_get(def, "labels")))
		return each_scalar(v, n, name, key, label_cb, &idx, err);
	return 0;
}

static enum_table *find_enum(const vocab *v, const char *name)
{
	for (size_t i = 0; i < v->nenums; i++)
		if (strcmp(v->enums[i].name, name) == 0)
			return &v->enums[i];
	return NULL;
}

static enum_code *enum_code_get(enum_table *t, const char *code)
{
	for (size_t i = 0; i < t->ncodes; i++)
		if (strcmp(t->codes[i].code, code) == 0)
			return &t->codes[i];
	t->codes = xgrow(t->codes, &t->cap, t->ncodes + 1, sizeof *t->codes);
	t->codes[t->ncodes] = (enum_code){ xstrdup(code), STRLIST_INIT };
	return &t->codes[t->ncodes++];
}

static int merge_codes(vocab *v, enum_table *t, const ynode *codes, const char *name, char **err)
{
	if (codes->type != YN_MAP)
		return bad(err, name, codes, "%s: codes must map a code to its synonyms", t->name);
	for (size_t i = 0; i < codes->n; i++) {
		enum_code *c = enum_code_get(t, codes->keys[i]);
		if (each_scalar(v, codes->items[i], name, codes->keys[i], push_key_cb, &c->syn, err) < 0)
			return -1;
	}
	return 0;
}

static int merge_enum(vocab *v, const char *ename, const ynode *def, const char *name, char **err)
{
	if (def->type != YN_MAP)
		return bad(err, name, def, "enum %s: expected fallback/warn/codes", ename);
	enum_table *t = find_enum(v, ename);
	if (!t) {
		v->enums = xgrow(v->enums, &v->ecap, v->nenums + 1, sizeof *v->enums);
		t = &v->enums[v->nenums++];
		*t = (enum_table){ xstrdup(ename), xstrdup("OTHER"), false, NULL, 0, 0 };
	}
	for (size_t i = 0; i < def->n; i++) {
		const char *k = def->keys[i];
		const ynode *n = def->items[i];
		if (!strcmp(k, "fallback")) {
			if (n->type != YN_SCALAR)
				return bad(err, name, n, "enum %s: fallback must be a code", ename);
			free(t->fallback);
			t->fallback = xstrdup(n->value);
		} else if (!strcmp(k, "warn")) {
			if (parse_bool(n, &t->warn) < 0)
				return bad(err, name, n, "enum %s: warn must be true or false", ename);
		} else if (!strcmp(k, "codes")) {
			if (merge_codes(v, t, n, name, err) < 0)
				return -1;
		} else {
			return bad(err, name, n, "unknown enum option '%s'", k);
		}
	}
	return 0;
}

static int merge_kinds(vocab *v, const ynode *n, const char *name, char **err)
{
	if (n->type != YN_SEQ)
		return bad(err, name, n, "%s must be a list of {kind, keywords}", "kinds");
	for (size_t i = 0; i < n->n; i++) {
		const ynode *r = n->items[i], *k = ytree_get(r, "kind"), *kw = ytree_get(r, "keywords");
		record_kind kind;
		if (!k || k->type != YN_SCALAR || (kind = vocab_kind_parse(k->value)) == KIND_NONE)
			return bad(err, name, r, "%s: need kind: defect_report|repair_report|shipment_notice|part_receipt", "kinds");
		if (!kw)
			return bad(err, name, r, "%s: need keywords", "kinds");
		kind_rule *rule = NULL;
		for (size_t j = 0; j < v->nkinds; j++)
			if (v->kinds[j].kind == kind)
				rule = &v->kinds[j];
		if (!rule) {
			rule = &v->kinds[v->nkinds++];
			*rule = (kind_rule){ kind, STRLIST_INIT };
		}
		if (each_scalar(v, kw, name, "keywords", push_key_cb, &rule->keywords, err) < 0)
			return -1;
	}
	return 0;
}

int vocab_merge_tree(vocab *v, const ynode *root, const char *name, char **err)
{
	*err = NULL;
	if (root->type != YN_MAP)
		return bad(err, name, root, "%s: expected a mapping", "vocabulary");
	for (size_t i = 0; i < root->n; i++) {
		const char *k = root->keys[i];
		const ynode *n = root->items[i];
		int rc = 0;
		if (!strcmp(k, "fields")) {
			if (n->type != YN_MAP)
				return bad(err, name, n, "%s: expected a mapping of field keys", k);
			for (size_t j = 0; j < n->n && rc == 0; j++)
				rc = merge_field(v, n->keys[j], n->items[j], name, err);
		} else if (!strcmp(k, "defect_ref_labels")) {
			int ref = VOCAB_DEFECT_REF;
			rc = each_scalar(v, n, name, k, label_cb, &ref, err);
		} else if (!strcmp(k, "enums")) {
			if (n->type != YN_MAP)
				return bad(err, name, n, "%s: expected a mapping of enum tables", k);
			for (size_t j = 0; j < n->n && rc == 0; j++)
				rc = merge_enum(v, n->keys[j], n->items[j], name, err);
		} else if (!strcmp(k, "booleans")) {
			rc = merge_codes(v, &v->booleans, n, name, err);
		} else if (!strcmp(k, "kinds")) {
			rc = merge_kinds(v, n, name, err);
		} else if (!strcmp(k, "autoreply_subjects")) {
			rc = each_scalar(v, n, name, k, push_key_cb, &v->autoreply, err);
		} else {
			return bad(err, name, n, "unknown vocabulary section '%s'", k);
		}
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < v->nfields; i++) {
		field_def *f = &v->fields[i];
		if (f->enum_name && !find_enum(v, f->enum_name))
			return bad(err, name, root, "no enum table '%s'", f->enum_name);
	}
	rehash(v);
	return 0;
}

int vocab_merge_yaml(vocab *v, const char *text, size_t len, const char *name, char **err)
{
	ynode *root = ytree_parse(text, len, name, err);
	if (!root)
		return -1;
	int rc = vocab_merge_tree(v, root, name, err);
	ytree_free(root);
	return rc;
}

vocab *vocab_default(char **err)
{
	vocab *v = xcalloc(1, sizeof *v);
	v->booleans.name = xstrdup("booleans");
	v->booleans.fallback = xstrdup("");
	if (vocab_merge_yaml(v, vocab_default_yaml, vocab_default_yaml_len, "vocabulary.yaml", err) < 0) {
		vocab_free(v);
		return NULL;
	}
	return v;
}

static void enum_free(enum_table *t)
{
	for (size_t j = 0; j < t->ncodes; j++) {
		free(t->codes[j].code);
		sl_free(&t->codes[j].syn);
	}
	free(t->codes);
	free(t->name);
	free(t->fallback);
}

void vocab_free(vocab *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nfields; i++) {
		free(v->fields[i].key);
		free(v->fields[i].enum_name);
	}
	free(v->fields);
	for (size_t i = 0; i < v->nlabels; i++)
		free(v->labels[i].key);
	free(v->labels);
	free(v->slots);
	free(v->ends);
	for (size_t i = 0; i < v->nenums; i++)
		enum_free(&v->enums[i]);
	free(v->enums);
	enum_free(&v->booleans);
	for (size_t i = 0; i < v->nkinds; i++)
		sl_free(&v->kinds[i].keywords);
	sl_free(&v->autoreply);
	free(v);
}

size_t vocab_nfields(const vocab *v)
{
	return v->nfields;
}

const field_def *vocab_field_at(const vocab *v, size_t i)
{
	return i < v->nfields ? &v->fields[i] : NULL;
}

int vocab_label_exact(const vocab *v, const char *key)
{
	label *l = find_label(v, key);
	return l ? l->field : -1;
}

int vocab_label_suffix(const vocab *v, const char *key, size_t *label_bytes)
{
	size_t klen = strlen(key), best = 0;
	int field = -1;
	for (size_t i = 0; i < v->nlabels; i++) {
		const label *l = &v->labels[i];
		/* two characters at least: "型式" yes, "s/n" yes, a lone "詳細" too */
		if (l->len > klen || l->len <= best || l->len < 4)
			continue;
		if (memcmp(key + klen - l->len, l->key, l->len) == 0) {
			best = l->len;
			field = l->field;
		}
	}
	if (label_bytes)
		*label_bytes = best;
	return field;
}

size_t vocab_max_label_bytes(const vocab *v)
{
	return v->max_label;
}

static bool is_latin(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* where `syn` occurs in `key` as a word: a Latin synonym ("no") must not be part of a
 * longer Latin word ("unknown"); Japanese has no word boundaries to check */
static bool contains_word(const char *key, const char *syn, size_t len)
{
	bool latin = is_latin(syn[0]) || is_latin(syn[len - 1]);
	for (const char *p = strstr(key, syn); p; p = strstr(p + 1, syn)) {
		if (!latin)
			return true;
		if ((p == key || !is_latin(p[-1])) && !is_latin(p[len]))
			return true;
	}
	return false;
}

static const char *table_lookup(const enum_table *t, const char *key)
{
	const char *code = NULL;
	size_t best = 0;
	for (size_t i = 0; i < t->ncodes; i++)
		for (size_t j = 0; j < t->codes[i].syn.n; j++) {
			const char *s = t->codes[i].syn.v[j];
			size_t len = strlen(s);
			if (len > best && contains_word(key, s, len)) {
				best = len;
				code = t->codes[i].code;
			}
		}
	return code;
}

const char *vocab_enum_lookup(const vocab *v, const char *enum_name, const char *key)
{
	const enum_table *t = find_enum(v, enum_name);
	return t ? table_lookup(t, key) : NULL;
}

const char *vocab_enum_fallback(const vocab *v, const char *enum_name, bool *warn)
{
	const enum_table *t = find_enum(v, enum_name);
	if (warn)
		*warn = t ? t->warn : true;
	return t ? t->fallback : "OTHER";
}

int vocab_bool_lookup(const vocab *v, const char *key)
{
	const char *c = table_lookup(&v->booleans, key);
	if (!c)
		return -1;
	return strcmp(c, "true") == 0 ? 1 : 0;
}

record_kind vocab_kind_for_subject(const vocab *v, const char *subject_key)
{
	/* rule order is the order of the vocabulary's kinds list */
	for (size_t i = 0; i < v->nkinds; i++)
		for (size_t j = 0; j < v->kinds[i].keywords.n; j++)
			if (strstr(subject_key, v->kinds[i].keywords.v[j]))
				return v->kinds[i].kind;
	return KIND_NONE;
}

bool vocab_autoreply_subject(const vocab *v, const char *subject_key)
{
	for (size_t i = 0; i < v->autoreply.n; i++)
		if (strncmp(subject_key, v->autoreply.v[i], strlen(v->autoreply.v[i])) == 0)
			return true;
	return false;
}
