/*
 * record — the records a message yields, and their JSON form (jansson).  The same
 * JSON is what `defectd parse` prints and what the parse worker sends to the daemon,
 * so result_from_json must accept everything result_to_json writes.
 */
#include "record.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

record *result_add_record(parse_result *r)
{
	r->records = xgrow(r->records, &r->cap, r->nrecords + 1, sizeof *r->records);
	record *rec = &r->records[r->nrecords++];
	memset(rec, 0, sizeof *rec);
	return rec;
}

static void record_free(record *rec)
{
	for (size_t i = 0; i < rec->nfields; i++)
		free(rec->fields[i].value);
	free(rec->fields);
	free(rec->defect_ref);
	memset(rec, 0, sizeof *rec);
}

void result_drop_last(parse_result *r)
{
	if (r->nrecords)
		record_free(&r->records[--r->nrecords]);
}

bool record_has(const record *rec, int field)
{
	return record_get(rec, field) != NULL;
}

const char *record_get(const record *rec, int field)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (rec->fields[i].field == field)
			return rec->fields[i].value;
	return NULL;
}

void record_set(record *rec, int field, char *value)
{
	if (record_has(rec, field)) {
		free(value);
		return;
	}
	rec->fields = xgrow(rec->fields, &rec->cap, rec->nfields + 1, sizeof *rec->fields);
	rec->fields[rec->nfields++] = (field_value){ field, value };
}

void parse_result_free(parse_result *r)
{
	free(r->message_id);
	free(r->from);
	free(r->subject);
	free(r->date);
	free(r->in_reply_to);
	sl_free(&r->references);
	for (size_t i = 0; i < r->nrecords; i++)
		record_free(&r->records[i]);
	free(r->records);
	sl_free(&r->warnings);
	free(r->noise);
	free(r->error);
	memset(r, 0, sizeof *r);
}

/*
 * The writer is a few lines of escaping rather than jansson: building jansson
 * objects and dumping them cost more than the rest of a typical parse.  Strings
 * are emitted as UTF-8; invalid bytes (possible in raw header values) become
 * U+FFFD so the output is always valid JSON.
 */
/* the ASCII bytes a JSON string cannot hold as they are (a table: this runs for
 * every byte of the output) */
static const bool json_special[128] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1, [0x7f] = 1,
};

static void json_str(strbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s), run = 0;
	sb_addc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		bool plain = c < 0x80 && !json_special[c];
		if (c >= 0x80) {
			uint32_t cp;
			size_t k = utf8_next(s + i, n - i, &cp);
			if (!(cp == 0xFFFD && k == 1)) {
				i += k;
				continue; /* valid UTF-8 joins the run */
			}
			plain = false;
		}
		if (plain) {
			i++;
			continue;
		}
		/* flush the run of bytes that need no escaping */
		sb_add(b, s + run, i - run);
		if (c >= 0x80)
			sb_add_utf8(b, 0xFFFD);
		else if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_add(b, e, 2);
		} else if (c == '\n')
			sb_add(b, "\\n", 2);
		else if (c == '\t')
			sb_add(b, "\\t", 2);
		else if (c == '\r')
			sb_add(b, "\\r", 2);
		else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			sb_add(b, e, 6);
		}
		run = ++i;
	}
	sb_add(b, s + run, n - run);
	sb_addc(b, '"');
}

char *json_quote(const char *s)
{
	strbuf b = STRBUF_INIT;
	json_str(&b, s);
	return sb_steal(&b);
}

static void member(strbuf *b, bool *first, const char *key)
{
	if (!*first)
		sb_addc(b, ',');
	*first = false;
	json_str(b, key);
	sb_addc(b, ':');
}

static void str_member(strbuf *b, bool *first, const char *key, const char *val)
{
	if (!val)
		return;
	member(b, first, key);
	json_str(b, val);
}

static void list_member(strbuf *b, bool *first, const char *key, const strlist *l)
{
	member(b, first, key);
	sb_addc(b, '[');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			sb_addc(b, ',');
		json_str(b, l->v[i]);
	}
	sb_addc(b, ']');
}

/* fields in vocabulary order, so output is stable whatever order the mail used */
static void fields_json(strbuf *b, const record *rec, const vocab *v)
{
	bool first = true;
	size_t nf = vocab_nfields(v);
	sb_addc(b, '{');
	for (size_t k = 0; k < nf; k++) {
		const char *val = record_get(rec, (int)k);
		if (!val)
			continue;
		const field_def *def = vocab_field_at(v, k);
		member(b, &first, def->key);
		if (def->cls == VC_BOOL)
			sb_adds(b, strcmp(val, "true") == 0 ? "true" : "false");
		else
			json_str(b, val);
	}
	sb_addc(b, '}');
}

char *result_to_json(const parse_result *r, const vocab *v, const char *file)
{
	strbuf b = STRBUF_INIT;
	bool first = true;
	sb_grow(&b, 1024); /* a typical result, in one allocation */
	sb_addc(&b, '{');
	str_member(&b, &first, "file", file);
	str_member(&b, &first, "message_id", r->message_id);
	str_member(&b, &first, "from", r->from);
	str_member(&b, &first, "subject", r->subject);
	str_member(&b, &first, "date", r->date);
	str_member(&b, &first, "in_reply_to", r->in_reply_to);
	if (r->references.n)
		list_member(&b, &first, "references", &r->references);
	member(&b, &first, "records");
	sb_addc(&b, '[');
	for (size_t i = 0; i < r->nrecords; i++) {
		const record *rec = &r->records[i];
		bool rf = true;
		if (i)
			sb_addc(&b, ',');
		sb_addc(&b, '{');
		str_member(&b, &rf, "kind", vocab_kind_name(rec->kind));
		str_member(&b, &rf, "defect_ref", rec->defect_ref);
		member(&b, &rf, "fields");
		fields_json(&b, rec, v);
		sb_addc(&b, '}');
	}
	sb_addc(&b, ']');
	if (r->warnings.n)
		list_member(&b, &first, "warnings", &r->warnings);
	str_member(&b, &first, "noise", r->noise);
	str_member(&b, &first, "error", r->error);
	sb_addc(&b, '}');
	return sb_steal(&b);
}

static char *get_str(json_t *o, const char *key)
{
	json_t *s = json_object_get(o, key);
	return json_is_string(s) ? xstrdup(json_string_value(s)) : NULL;
}

static void get_list(json_t *o, const char *key, strlist *out)
{
	json_t *a = json_object_get(o, key), *it;
	size_t i;
	if (!json_is_array(a))
		return;
	json_array_foreach(a, i, it)
		if (json_is_string(it))
			sl_push(out, xstrdup(json_string_value(it)));
}

int result_from_json(const char *text, size_t len, const vocab *v, parse_result *out, char **err)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, 0, &je);
	int rc = -1;
	*err = NULL;
	if (!json_is_object(o)) {
		*err = xasprintf("bad result JSON: %s", o ? "not an object" : je.text);
		goto out;
	}
	out->message_id = get_str(o, "message_id");
	out->from = get_str(o, "from");
	out->subject = get_str(o, "subject");
	out->date = get_str(o, "date");
	out->in_reply_to = get_str(o, "in_reply_to");
	get_list(o, "references", &out->references);
	get_list(o, "warnings", &out->warnings);
	out->noise = get_str(o, "noise");
	out->error = get_str(o, "error");
	json_t *recs = json_object_get(o, "records"), *jr;
	size_t i;
	json_array_foreach(recs, i, jr) {
		record *rec = result_add_record(out);
		json_t *kind = json_object_get(jr, "kind");
		rec->kind = json_is_string(kind) ? vocab_kind_parse(json_string_value(kind)) : KIND_NONE;
		rec->defect_ref = get_str(jr, "defect_ref");
		json_t *fields = json_object_get(jr, "fields"), *val;
		const char *key;
		json_object_foreach(fields, key, val) {
			int idx = vocab_field_index(v, key);
			if (idx < 0)
				continue;
			if (json_is_boolean(val))
				record_set(rec, idx, xstrdup(json_is_true(val) ? "true" : "false"));
			else if (json_is_string(val))
				record_set(rec, idx, xstrdup(json_string_value(val)));
		}
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}
