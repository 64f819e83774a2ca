/*
 * track — correlation, defect numbering, applying records and the three tracks
 * (SPEC.md §6), by the server's functions (sql/008).  Runs inside the caller's transaction;
 * every value is a parameter.
 *
 * Must never: commit, write a personal field outside personal_data, or derive a status
 * from anything but the stored history (so that re-parsing and hand assignment agree with
 * what ingestion would have produced).
 */
#include "track.h"
#include "db.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_required[] = {
	"dealer_code", "product_model", "serial_no", "occurred_date", "defect_type", "symptom",
};
static const track_conf default_conf = { default_required, ARRAY_LEN(default_required) };

const track_conf *track_conf_default(void)
{
	return &default_conf;
}

track_conf track_conf_from_config(const config *c)
{
	return (track_conf){ (const char *const *)c->required_fields.v, c->required_fields.n };
}

/* ---- SQL ------------------------------------------------------------------------------- */

static const char SQL_APPLY[] =
	"SELECT defect_id, ref, outcome FROM defectd.apply_record($1::bigint, $2::integer, $3::text,"
	" $4::text[], $5::integer, $6::text, $7::text, $8::jsonb, $9::text[], $10::text[], $11::text[],"
	" $12::bigint, $13::bigint[], $14::bigint)";

static const char SQL_RECOMPUTE[] = "SELECT defectd.recompute($1::bigint, $2::text[])";

/* personal data: current = the latest value of each field (message arrival, record order,
 * insertion), from scratch (after rows were removed).  Every scan starts from defect_id = $1. */
static const char SQL_PD_CURRENT[] =
	"UPDATE defectd.personal_data p SET current = (p.id = l.id) FROM ("
	"  SELECT DISTINCT ON (field) field, id FROM defectd.personal_data WHERE defect_id = $1"
	"  ORDER BY field, message_id DESC, record_index DESC, id DESC) l"
	" WHERE p.defect_id = $1 AND p.field = l.field AND p.current IS DISTINCT FROM (p.id = l.id)";

/* ---- helpers --------------------------------------------------------------------------- */

char *track_required(const track_conf *tc)
{
	if (!tc)
		tc = track_conf_default();
	return db_text_array(tc->required_fields, tc->nrequired);
}

/* {"key":"value",…} of kv[0..n-1] (a later key wins); NULL with *err on invalid UTF-8 */
static char *fields_json(const track_kv *kv, size_t n, char **err)
{
	char *s = NULL;
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_string(kv[i].value);
		if (!v || json_object_set_new(o, kv[i].key, v) < 0) {
			*err = xasprintf("field %s: not valid UTF-8", kv[i].key);
			goto out;
		}
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		*err = xstrdup("out of memory");
out:
	json_decref(o);
	return s;
}

/* the keys and values of kv[0..n-1] as text[] literals (caller frees) */
static void kv_arrays(const track_kv *kv, size_t n, char **keys, char **vals)
{
	const char **k = xcalloc(n ? n : 1, sizeof *k), **v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		k[i] = kv[i].key, v[i] = kv[i].value;
	*keys = db_text_array(k, n);
	*vals = db_text_array(v, n);
	free(k);
	free(v);
}

static char *id_array(const int64_t *ids, size_t n)
{
	strbuf sb = STRBUF_INIT;
	sb_addc(&sb, '{');
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "%s%lld", i ? "," : "", (long long)ids[i]);
	sb_addc(&sb, '}');
	return sb_steal(&sb);
}

void track_msg_free(track_msg *m)
{
	sl_free(&m->refs);
}

/* ---- recomputing ------------------------------------------------------------------------ */

void track_queue_recompute(db_batch *b, int64_t defect, const track_conf *tc)
{
	char d[24];
	char *req = track_required(tc);
	const char *p[2] = { db_int_param(d, defect), req };
	db_batch_add(b, SQL_PD_CURRENT, 1, p, NULL);
	db_batch_add(b, SQL_RECOMPUTE, 2, p, NULL);
	free(req);
}

int track_recompute(PGconn *c, int64_t defect, const track_conf *tc, char **err)
{
	db_batch b = DB_BATCH_INIT;
	track_queue_recompute(&b, defect, tc);
	int rc = db_batch_run(c, &b, err);
	db_batch_free(&b);
	return rc;
}

/* ---- applying -------------------------------------------------------------------------- */

static void touched(track_msg *m, const char *ref)
{
	for (size_t i = 0; i < m->refs.n; i++)
		if (!strcmp(m->refs.v[i], ref))
			return;
	sl_push(&m->refs, xstrdup(ref));
}

int track_apply(track_msg *m, const track_rec *rec, int64_t forced_defect, char **err)
{
	int rc = -1;
	PGresult *r = NULL;
	char *json = fields_json(rec->fields, rec->nfields, err), *keys = NULL, *vals = NULL;
	char *thread = NULL, *req = NULL, *reuse = NULL;
	char msg[24], mb[24], idx[24], forced[24], assigned[24];
	if (!json)
		goto out;
	kv_arrays(rec->personal, rec->npersonal, &keys, &vals);
	thread = db_text_array(m->thread, m->nthread);
	req = track_required(m->tc);
	reuse = m->nreuse ? id_array(m->reuse, m->nreuse) : NULL;
	int64_t hand = rec->index >= 0 && (size_t)rec->index < m->nassigned ? m->assigned[rec->index] : 0;
	const char *p[14] = { db_int_param(msg, m->message), m->mailbox ? db_int_param(mb, m->mailbox) : NULL,
			      m->source_key, thread, db_int_param(idx, rec->index), vocab_kind_name(rec->kind),
			      rec->defect_ref, json, keys, vals, req,
			      forced_defect ? db_int_param(forced, forced_defect) : NULL, reuse,
			      hand ? db_int_param(assigned, hand) : NULL };
	db_batch_add(m->q, SQL_APPLY, 14, p, &r);
	if (db_batch_run(m->c, m->q, err) < 0)
		goto out;
	const char *ref = db_value(r, 0, 1), *outcome = db_value(r, 0, 2);
	if (!outcome) {
		*err = xstrdup("defectd.apply_record gave no outcome");
		goto out;
	}
	if (!strcmp(outcome, "uncorrelated")) {
		m->uncorrelated++;
	} else if (!strcmp(outcome, "opened")) {
		m->opened++;
		if (m->reused < m->nreuse)
			m->reused++;	/* the server takes the defects to reuse first */
	} else {
		m->applied++;
	}
	if (ref)
		touched(m, ref);
	rc = 0;
out:
	PQclear(r);
	free(json);
	free(keys);
	free(vals);
	free(thread);
	free(req);
	free(reuse);
	return rc;
}
