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

static void set_str(json_t *o, const char *key, const char *val)
{
	if (val)
		json_object_set_new(o, key, json_string(val));
}

static json_t *strlist_json(const strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

/* fields in vocabulary order, so output is stable whatever order the mail used */
static json_t *fields_json(const record *rec, const vocab *v)
{
	json_t *f = json_object();
	size_t nf = vocab_nfields(v);
	for (size_t k = 0; k < nf; k++) {
		const char *val = record_get(rec, (int)k);
		if (!val)
			continue;
		const field_def *def = vocab_field_at(v, k);
		if (def->cls == VC_BOOL)
			json_object_set_new(f, def->key, json_boolean(strcmp(val, "true") == 0));
		else
			json_object_set_new(f, def->key, json_string(val));
	}
	return f;
}

char *result_to_json(const parse_result *r, const vocab *v, const char *file)
{
	json_t *o = json_object();
	set_str(o, "file", file);
	set_str(o, "message_id", r->message_id);
	set_str(o, "from", r->from);
	set_str(o, "subject", r->subject);
	set_str(o, "date", r->date);
	set_str(o, "in_reply_to", r->in_reply_to);
	if (r->references.n)
		json_object_set_new(o, "references", strlist_json(&r->references));
	json_t *recs = json_array();
	for (size_t i = 0; i < r->nrecords; i++) {
		const record *rec = &r->records[i];
		json_t *jr = json_object();
		json_object_set_new(jr, "kind", json_string(vocab_kind_name(rec->kind)));
		set_str(jr, "defect_ref", rec->defect_ref);
		json_object_set_new(jr, "fields", fields_json(rec, v));
		json_array_append_new(recs, jr);
	}
	json_object_set_new(o, "records", recs);
	if (r->warnings.n)
		json_object_set_new(o, "warnings", strlist_json(&r->warnings));
	set_str(o, "noise", r->noise);
	set_str(o, "error", r->error);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return xstrdup("{\"records\":[],\"error\":\"cannot encode the result as JSON\"}");
	char *copy = xstrdup(s);
	free(s);
	return copy;
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
