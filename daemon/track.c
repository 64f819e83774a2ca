/*
 * track — correlation, defect numbering, applying records and the three tracks
 * (SPEC.md §6).  Runs inside the caller's transaction; every value is a parameter.
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

/* ---- SQL ------------------------------------------------------------------------------- */

static const char SQL_BY_REF[] =
	"SELECT id, ref FROM defectd.defects WHERE ref = $1";

/* The first message of the thread list (In-Reply-To, then References newest first) that has
 * applied records; its defects.  More than one defect there: the thread does not decide. */
static const char SQL_BY_THREAD[] =
	"WITH hit AS ("
	"  SELECT t.n, r.defect_id FROM unnest($1::text[]) WITH ORDINALITY AS t(mid, n)"
	"  JOIN defectd.messages m ON m.message_id = t.mid AND m.id <> $2::bigint"
	"  JOIN defectd.records r ON r.message_id = m.id AND r.defect_id IS NOT NULL)"
	" SELECT DISTINCT d.id, d.ref FROM hit JOIN defectd.defects d ON d.id = hit.defect_id"
	" WHERE hit.n = (SELECT min(n) FROM hit) ORDER BY d.id";

static const char SQL_BY_SERIAL[] =
	"SELECT id, ref FROM defectd.defects WHERE serial_no = $1 AND NOT closed"
	" ORDER BY updated_at DESC, id DESC LIMIT 1";

static const char SQL_BY_REPORT_NO[] =
	"SELECT id, ref FROM defectd.defects WHERE report_no = $1 AND NOT closed"
	" ORDER BY updated_at DESC, id DESC LIMIT 1";

/* year of the report date, else of the message's Date, else now; the counter row stays
 * locked until commit, so numbers are handed out in commit order without gaps */
static const char SQL_OPEN[] =
	"WITH y AS ("
	"  SELECT coalesce(extract(year FROM defectd.to_date_or_null($1::text))::int,"
	"                  extract(year FROM m.sent_day)::int, extract(year FROM now())::int) AS year"
	"  FROM defectd.messages m WHERE m.id = $2::bigint),"
	" n AS (INSERT INTO defectd.defect_numbers AS dn (year, last) SELECT year, 1 FROM y"
	"  ON CONFLICT (year) DO UPDATE SET last = dn.last + 1 RETURNING year, last)"
	" INSERT INTO defectd.defects (ref, opened_by)"
	" SELECT format('MD-%s-%s', lpad(n.year::text, 4, '0'), lpad(n.last::text, 5, '0')), $2::bigint"
	" FROM n RETURNING id, ref";

static const char SQL_REF_OF[] =
	"SELECT ref FROM defectd.defects WHERE id = $1";

static const char SQL_RECORD[] =
	"INSERT INTO defectd.records (message_id, idx, kind, defect_ref, defect_id, outcome,"
	" matched_by, note, fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)";

static const char SQL_FIELD_VALUES[] =
	"INSERT INTO defectd.field_values (defect_id, field, value, message_id, record_index)"
	" SELECT $1::bigint, u.f, u.v, $2::bigint, $3::int FROM unnest($4::text[], $5::text[]) AS u(f, v)";

static const char SQL_PERSONAL[] =
	"INSERT INTO defectd.personal_data (defect_id, field, value, message_id, record_index)"
	" SELECT $1::bigint, u.f, u.v, $2::bigint, $3::int FROM unnest($4::text[], $5::text[]) AS u(f, v)";

static const char SQL_REPAIR[] =
	"INSERT INTO defectd.repairs (defect_id, message_id, record_index, reported_on, repair_date,"
	" repair_action, replaced_part, cause, technician, part_return)"
	" SELECT $1::bigint, m.id, $3::int, coalesce(m.sent_day, m.received_at::date),"
	" defectd.to_date_or_null($4::text), $5::text, $6::text, $7::text, $8::text,"
	" CASE $9::text WHEN 'true' THEN true WHEN 'false' THEN false END"
	" FROM defectd.messages m WHERE m.id = $2::bigint";

/* the note says when a late event did not move the part status (SPEC: never silently) */
static const char SQL_PART_EVENT[] =
	"INSERT INTO defectd.part_events (defect_id, message_id, record_index, kind, reported_on,"
	" shipped_date, carrier, tracking_no, destination, received_date, analysis_result, note)"
	" SELECT d.id, m.id, $3::int, $4::text, coalesce(m.sent_day, m.received_at::date),"
	" defectd.to_date_or_null($5::text), $6::text, $7::text, $8::text,"
	" defectd.to_date_or_null($9::text), $10::text,"
	" CASE WHEN $4::text = 'shipment' AND d.part_status IN ('received', 'analyzed')"
	"   THEN 'late shipment notice: the part was already ' || d.part_status || '; status kept'"
	"  WHEN $4::text = 'receipt' AND $10::text IS NULL AND d.part_status = 'analyzed'"
	"   THEN 'late receipt: the part was already analyzed; status kept' END"
	" FROM defectd.defects d, defectd.messages m WHERE d.id = $1::bigint AND m.id = $2::bigint";

static const char SQL_UNCORRELATED[] =
	"INSERT INTO defectd.quarantine (message_id, mailbox_id, source_key, record_index,"
	" reason_kind, reason) VALUES ($1, $2, $3, $4, 'uncorrelated', $5)";

/* current = the latest value of each field (message arrival, record order, insertion);
 * two steps because field_values_current is unique and checked row by row */
static const char SQL_FV_UNSET[] =
	"UPDATE defectd.field_values f SET current = false"
	" WHERE f.defect_id = $1 AND f.current AND f.id NOT IN ("
	"  SELECT DISTINCT ON (field) id FROM defectd.field_values WHERE defect_id = $1"
	"  ORDER BY field, message_id DESC, record_index DESC, id DESC)";
static const char SQL_FV_SET[] =
	"UPDATE defectd.field_values f SET current = true FROM ("
	"  SELECT DISTINCT ON (field) id FROM defectd.field_values WHERE defect_id = $1"
	"  ORDER BY field, message_id DESC, record_index DESC, id DESC) l"
	" WHERE f.id = l.id AND NOT f.current";
static const char SQL_PD_CURRENT[] =
	"UPDATE defectd.personal_data p SET current = (p.id = l.id) FROM ("
	"  SELECT DISTINCT ON (field) field, id FROM defectd.personal_data WHERE defect_id = $1"
	"  ORDER BY field, message_id DESC, record_index DESC, id DESC) l"
	" WHERE p.defect_id = $1 AND p.field = l.field AND p.current IS DISTINCT FROM (p.id = l.id)";

#define CUR(f) "max(value) FILTER (WHERE field = '" f "') AS " f ","
#define EVENT_ORDER " ORDER BY e.message_id DESC, e.record_index DESC, e.id DESC LIMIT 1"
static const char SQL_RECOMPUTE[] =
	"WITH cur AS (SELECT "
	CUR("report_no") CUR("report_date") CUR("dealer_code") CUR("dealer_name")
	CUR("dealer_contact") CUR("product_model") CUR("serial_no") CUR("supplier") CUR("vin")
	CUR("install_date") CUR("occurred_date") CUR("defect_type") CUR("error_code") CUR("symptom")
	CUR("installer") CUR("replaced_part") CUR("cause") CUR("carrier") CUR("tracking_no")
	"  max(value) FILTER (WHERE field = 'analysis_result') AS analysis_result"
	"  FROM defectd.field_values WHERE defect_id = $1 AND current),"
	" have AS (SELECT field FROM defectd.field_values WHERE defect_id = $1 AND current"
	"  UNION SELECT field FROM defectd.personal_data WHERE defect_id = $1 AND current),"
	" miss AS (SELECT coalesce(array_agg(u.f ORDER BY u.n), '{}'::text[]) AS fields"
	"  FROM unnest($2::text[]) WITH ORDINALITY AS u(f, n) WHERE u.f NOT IN (SELECT field FROM have)),"
	" ev AS (SELECT"
	"  (SELECT coalesce(r.repair_date, r.reported_on) FROM defectd.repairs r WHERE r.defect_id = $1"
	"   ORDER BY r.message_id DESC, r.record_index DESC, r.id DESC LIMIT 1) AS repaired_at,"
	"  (SELECT v.value = 'true' FROM defectd.field_values v"
	"   WHERE v.defect_id = $1 AND v.field = 'part_return' AND v.current) AS part_required,"
	"  (SELECT coalesce(defectd.to_date_or_null(rd.value), m.sent_day, m.received_at::date)"
	"   FROM defectd.field_values v JOIN defectd.messages m ON m.id = v.message_id"
	"   LEFT JOIN defectd.field_values rd ON rd.defect_id = v.defect_id AND rd.message_id = v.message_id"
	"    AND rd.record_index = v.record_index AND rd.field = 'repair_date'"
	"   WHERE v.defect_id = $1 AND v.field = 'part_return' AND v.current AND v.value = 'true'"
	"   LIMIT 1) AS pending_at,"
	"  (SELECT coalesce(e.shipped_date, e.reported_on) FROM defectd.part_events e"
	"   WHERE e.defect_id = $1 AND e.kind = 'shipment'" EVENT_ORDER ") AS shipped_at,"
	"  (SELECT coalesce(e.received_date, e.reported_on) FROM defectd.part_events e"
	"   WHERE e.defect_id = $1 AND e.kind = 'receipt'" EVENT_ORDER ") AS received_at,"
	"  (SELECT e.reported_on FROM defectd.part_events e"
	"   WHERE e.defect_id = $1 AND e.kind = 'receipt' AND e.analysis_result IS NOT NULL"
	EVENT_ORDER ") AS analyzed_at),"
	" st AS (SELECT ev.*, miss.fields AS missing,"
	"  CASE WHEN ev.analyzed_at IS NOT NULL THEN 'analyzed' WHEN ev.received_at IS NOT NULL THEN 'received'"
	"   WHEN ev.shipped_at IS NOT NULL THEN 'shipped' WHEN ev.part_required THEN 'pending'"
	"   ELSE 'not_required' END AS part_status FROM ev, miss),"
	" fin AS (SELECT st.*, (st.repaired_at IS NOT NULL"
	"   AND st.part_status IN ('not_required', 'analyzed')) AS closed FROM st)"
	" UPDATE defectd.defects d SET"
	"  report_no = cur.report_no, report_date = defectd.to_date_or_null(cur.report_date),"
	"  dealer_code = cur.dealer_code, dealer_name = cur.dealer_name, dealer_contact = cur.dealer_contact,"
	"  product_model = cur.product_model, serial_no = cur.serial_no, supplier = cur.supplier,"
	"  vin = cur.vin, install_date = defectd.to_date_or_null(cur.install_date),"
	"  occurred_date = defectd.to_date_or_null(cur.occurred_date), defect_type = cur.defect_type,"
	"  error_code = cur.error_code, symptom = cur.symptom, installer = cur.installer,"
	"  replaced_part = cur.replaced_part, cause = cur.cause, carrier = cur.carrier,"
	"  tracking_no = cur.tracking_no, analysis_result = cur.analysis_result,"
	"  data_status = CASE WHEN cardinality(fin.missing) = 0 THEN 'complete' ELSE 'missing' END,"
	"  missing_fields = fin.missing,"
	"  data_complete_at = CASE WHEN cardinality(fin.missing) = 0 THEN coalesce(d.data_complete_at, now()) END,"
	"  repair_status = CASE WHEN fin.repaired_at IS NULL THEN 'open' ELSE 'repaired' END,"
	"  repaired_at = fin.repaired_at, part_status = fin.part_status, pending_at = fin.pending_at,"
	"  shipped_at = fin.shipped_at, received_at = fin.received_at, analyzed_at = fin.analyzed_at,"
	"  closed = fin.closed, closed_at = CASE WHEN fin.closed THEN coalesce(d.closed_at, now()) END,"
	"  updated_at = now()"
	" FROM cur, fin WHERE d.id = $1";
#undef CUR
#undef EVENT_ORDER

/* ---- helpers --------------------------------------------------------------------------- */

static const char *kv_get(const track_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

static bool kv_has_any(const track_rec *r, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (kv_get(r->fields, r->nfields, keys[i]))
			return true;
	return false;
}

/* run a statement whose result we only check */
static int run(PGconn *c, const char *sql, int n, const char *const *p, char **err)
{
	PGresult *r = db_query(c, sql, n, p, err);
	PQclear(r);
	return r ? 0 : -1;
}

/* {"key":"value",…} of the non-personal fields; NULL with *err on invalid UTF-8 */
static char *fields_json(const track_rec *r, char **err)
{
	char *s = NULL;
	json_t *o = json_object();
	for (size_t i = 0; i < r->nfields; i++) {
		json_t *v = json_string(r->fields[i].value);
		if (!v || json_object_set_new(o, r->fields[i].key, v) < 0) {
			*err = xasprintf("field %s: not valid UTF-8", r->fields[i].key);
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

/* insert the key/value pairs into field_values or personal_data */
static int insert_values(track_msg *m, const char *sql, int64_t defect, const track_kv *kv, size_t n,
			 int index, char **err)
{
	int rc = -1;
	const char **keys = xcalloc(n ? n : 1, sizeof *keys);
	const char **vals = xcalloc(n ? n : 1, sizeof *vals);
	for (size_t i = 0; i < n; i++)
		keys[i] = kv[i].key, vals[i] = kv[i].value;
	char *ka = db_text_array(keys, n), *va = db_text_array(vals, n);
	char d[24], msg[24], idx[24];
	const char *p[5] = { defect ? db_int_param(d, defect) : NULL, db_int_param(msg, m->message),
			     db_int_param(idx, index), ka, va };
	if (n && run(m->c, sql, 5, p, err) < 0)
		goto out;
	rc = 0;
out:
	free(ka);
	free(va);
	free(keys);
	free(vals);
	return rc;
}

int track_touch(track_msg *m, int64_t defect, const char *ref, char **err)
{
	int rc = -1;
	PGresult *r = NULL;
	for (size_t i = 0; i < m->ntouched; i++)
		if (m->touched[i] == defect) {
			rc = 0;
			goto out;
		}
	if (!ref) {
		char d[24];
		const char *p[1] = { db_int_param(d, defect) };
		if (!(r = db_query(m->c, SQL_REF_OF, 1, p, err)))
			goto out;
		ref = db_value(r, 0, 0);
		if (!ref) {
			*err = xasprintf("defect %s does not exist", d);
			goto out;
		}
	}
	m->touched = xgrow(m->touched, &m->touched_cap, m->ntouched + 1, sizeof *m->touched);
	m->touched[m->ntouched++] = defect;
	sl_push(&m->refs, xstrdup(ref));
	rc = 0;
out:
	PQclear(r);
	return rc;
}

void track_msg_free(track_msg *m)
{
	free(m->touched);
	m->touched = NULL;
	m->ntouched = m->touched_cap = 0;
	sl_free(&m->refs);
}

/* ---- correlation ----------------------------------------------------------------------- */

typedef struct match {
	int64_t defect;		/* 0 = none */
	char *ref;
	const char *by;		/* records.matched_by */
	strbuf note;		/* what did not work, for records.note */
} match;

static void match_free(match *mt)
{
	free(mt->ref);
	sb_free(&mt->note);
}

static void note(match *mt, const char *s)
{
	if (mt->note.len)
		sb_adds(&mt->note, "; ");
	sb_adds(&mt->note, s);
}

/* one row (id, ref) -> the match */
static void take(match *mt, const PGresult *r, const char *by)
{
	mt->defect = db_int(r, 0, 0);
	mt->ref = xstrdup(db_value(r, 0, 1));
	mt->by = by;
}

/* step 1: the defect_ref the record states */
static int correlate_ref(track_msg *m, const track_rec *rec, match *mt, char **err)
{
	int rc = -1;
	PGresult *r = NULL;
	if (rec->defect_ref) {
		const char *p[1] = { rec->defect_ref };
		if (!(r = db_query(m->c, SQL_BY_REF, 1, p, err)))
			goto out;
		if (PQntuples(r) == 1) {
			take(mt, r, "ref");
		} else {
			char *s = xasprintf("defect_ref %s unknown", rec->defect_ref);
			note(mt, s);
			free(s);
		}
	}
	rc = 0;
out:
	PQclear(r);
	return rc;
}

/* steps 2-4: the thread, then serial_no, then report_no of an open defect */
static int correlate_rest(track_msg *m, const track_rec *rec, match *mt, char **err)
{
	int rc = -1;
	PGresult *r = NULL;
	if (m->nthread) {
		char *arr = db_text_array(m->thread, m->nthread), msg[24];
		const char *p[2] = { arr, db_int_param(msg, m->message) };
		r = db_query(m->c, SQL_BY_THREAD, 2, p, err);
		free(arr);
		if (!r)
			goto out;
		if (PQntuples(r) == 1) {
			take(mt, r, "thread");
			rc = 0;
			goto out;
		}
		if (PQntuples(r) > 1)
			note(mt, "the thread leads to several defects");
		PQclear(r);
		r = NULL;
	}
	static const struct {
		const char *key, *sql;
	} by_field[] = { { "serial_no", SQL_BY_SERIAL }, { "report_no", SQL_BY_REPORT_NO } };
	for (size_t i = 0; i < ARRAY_LEN(by_field); i++) {
		const char *v = kv_get(rec->fields, rec->nfields, by_field[i].key);
		if (!v)
			continue;
		const char *p[1] = { v };
		if (!(r = db_query(m->c, by_field[i].sql, 1, p, err)))
			goto out;
		if (PQntuples(r) == 1) {
			take(mt, r, by_field[i].key);
			rc = 0;
			goto out;
		}
		PQclear(r);
		r = NULL;
	}
	rc = 0;
out:
	PQclear(r);
	return rc;
}

/* a new defect, or (re-parse) the next one this message opened before */
static int open_defect(track_msg *m, const track_rec *rec, match *mt, char **err)
{
	int rc = -1;
	PGresult *r = NULL;
	char msg[24];
	if (m->reused < m->nreuse) {
		int64_t id = m->reuse[m->reused++];
		char d[24];
		const char *p[1] = { db_int_param(d, id) };
		if (!(r = db_query(m->c, SQL_REF_OF, 1, p, err)))
			goto out;
		if (PQntuples(r) != 1) {
			*err = xasprintf("defect %s vanished during re-parse", d);
			goto out;
		}
		mt->defect = id;
		mt->ref = xstrdup(db_value(r, 0, 0));
	} else {
		const char *p[2] = { kv_get(rec->fields, rec->nfields, "report_date"),
				     db_int_param(msg, m->message) };
		if (!(r = db_query(m->c, SQL_OPEN, 2, p, err)))
			goto out;
		if (PQntuples(r) != 1) {
			*err = xasprintf("message %s not found: cannot open a defect", msg);
			goto out;
		}
		take(mt, r, "new");
	}
	mt->by = "new";
	rc = 0;
out:
	PQclear(r);
	return rc;
}

/* ---- applying -------------------------------------------------------------------------- */

static int add_repair(track_msg *m, const track_rec *rec, int64_t defect, char **err)
{
	char d[24], msg[24], idx[24];
	const track_kv *f = rec->fields;
	size_t n = rec->nfields;
	const char *p[9] = { db_int_param(d, defect), db_int_param(msg, m->message),
			     db_int_param(idx, rec->index), kv_get(f, n, "repair_date"),
			     kv_get(f, n, "repair_action"), kv_get(f, n, "replaced_part"),
			     kv_get(f, n, "cause"), kv_get(f, n, "technician"),
			     kv_get(f, n, "part_return") };
	return run(m->c, SQL_REPAIR, 9, p, err);
}

static int add_part_event(track_msg *m, const track_rec *rec, int64_t defect, const char *kind,
			  char **err)
{
	char d[24], msg[24], idx[24];
	const track_kv *f = rec->fields;
	size_t n = rec->nfields;
	const char *p[10] = { db_int_param(d, defect), db_int_param(msg, m->message),
			      db_int_param(idx, rec->index), kind, kv_get(f, n, "shipped_date"),
			      kv_get(f, n, "carrier"), kv_get(f, n, "tracking_no"),
			      kv_get(f, n, "destination"), kv_get(f, n, "received_date"),
			      kv_get(f, n, "analysis_result") };
	return run(m->c, SQL_PART_EVENT, 10, p, err);
}

/*
 * The part's way back.  The kind decides, and so do the fields: a repair report that
 * already states the tracking number of the returned part is a shipment too, or the
 * dealer would be reminded of a part they have sent.
 */
static int add_events(track_msg *m, const track_rec *rec, int64_t defect, char **err)
{
	static const char *const ship_keys[] = { "tracking_no", "shipped_date" };
	static const char *const recv_keys[] = { "received_date", "analysis_result" };
	int rc = -1;
	if (rec->kind == KIND_REPAIR_REPORT && add_repair(m, rec, defect, err) < 0)
		goto out;
	if ((rec->kind == KIND_SHIPMENT_NOTICE || kv_has_any(rec, ship_keys, ARRAY_LEN(ship_keys))) &&
	    add_part_event(m, rec, defect, "shipment", err) < 0)
		goto out;
	if ((rec->kind == KIND_PART_RECEIPT || kv_has_any(rec, recv_keys, ARRAY_LEN(recv_keys))) &&
	    add_part_event(m, rec, defect, "receipt", err) < 0)
		goto out;
	rc = 0;
out:
	return rc;
}

static int add_record_row(track_msg *m, const track_rec *rec, const match *mt, const char *outcome,
			  char **err)
{
	int rc = -1;
	char msg[24], idx[24], d[24];
	char *json = fields_json(rec, err);
	if (!json)
		goto out;
	const char *p[9] = { db_int_param(msg, m->message), db_int_param(idx, rec->index),
			     vocab_kind_name(rec->kind), rec->defect_ref,
			     mt->defect ? db_int_param(d, mt->defect) : NULL, outcome, mt->by,
			     mt->note.len ? mt->note.s : NULL, json };
	if (run(m->c, SQL_RECORD, 9, p, err) < 0)
		goto out;
	rc = 0;
out:
	free(json);
	return rc;
}

static int quarantine_uncorrelated(track_msg *m, const track_rec *rec, const match *mt, char **err)
{
	strbuf why = STRBUF_INIT;
	sb_addf(&why, "%s (record %d): no defect matches", vocab_kind_name(rec->kind), rec->index);
	static const char *const shown[] = { "serial_no", "report_no" };
	for (size_t i = 0; i < ARRAY_LEN(shown); i++) {
		const char *v = kv_get(rec->fields, rec->nfields, shown[i]);
		if (v)
			sb_addf(&why, "; %s %s", shown[i], v);
	}
	if (mt->note.len)
		sb_addf(&why, "; %s", mt->note.s);
	char msg[24], mb[24], idx[24];
	const char *p[5] = { db_int_param(msg, m->message), m->mailbox ? db_int_param(mb, m->mailbox) : NULL,
			     m->source_key, db_int_param(idx, rec->index), sb_str(&why) };
	int rc = run(m->c, SQL_UNCORRELATED, 5, p, err);
	sb_free(&why);
	return rc;
}

int track_apply(track_msg *m, const track_rec *rec, int64_t forced_defect, char **err)
{
	int rc = -1;
	match mt = { 0, NULL, NULL, STRBUF_INIT };
	const char *outcome = "applied";
	PGresult *r = NULL;

	if (forced_defect) {
		char d[24];
		const char *p[1] = { db_int_param(d, forced_defect) };
		if (!(r = db_query(m->c, SQL_REF_OF, 1, p, err)))
			goto out;
		if (PQntuples(r) != 1) {
			*err = xasprintf("defect %s does not exist", d);
			goto out;
		}
		mt.defect = forced_defect;
		mt.ref = xstrdup(db_value(r, 0, 0));
		mt.by = "hand";
		outcome = "assigned";
	} else {
		/* re-parse: the message's own defect reports stay its defects (same numbers),
		 * whatever serial or report number they now share with another open defect */
		bool own = rec->kind == KIND_DEFECT_REPORT && m->reused < m->nreuse;
		if (correlate_ref(m, rec, &mt, err) < 0 ||
		    (!mt.defect && !own && correlate_rest(m, rec, &mt, err) < 0))
			goto out;
		if (!mt.defect && rec->kind == KIND_DEFECT_REPORT) {
			if (open_defect(m, rec, &mt, err) < 0)
				goto out;
			outcome = "opened";
		} else if (!mt.defect && rec->index >= 0 && (size_t)rec->index < m->nassigned &&
			   m->assigned[rec->index]) {
			/* re-parse: keep the hand assignment */
			PQclear(r);
			r = NULL;
			char d[24];
			const char *p[1] = { db_int_param(d, m->assigned[rec->index]) };
			if (!(r = db_query(m->c, SQL_REF_OF, 1, p, err)))
				goto out;
			if (PQntuples(r) == 1) {
				mt.defect = m->assigned[rec->index];
				mt.ref = xstrdup(db_value(r, 0, 0));
				mt.by = "hand";
				outcome = "assigned";
			}
		}
		if (!mt.defect)
			outcome = "uncorrelated";
	}

	if (add_record_row(m, rec, &mt, outcome, err) < 0)
		goto out;
	if (!mt.defect) {
		/* keep the personal fields for the hand assignment, with no defect yet */
		if (insert_values(m, SQL_PERSONAL, 0, rec->personal, rec->npersonal, rec->index, err) < 0 ||
		    quarantine_uncorrelated(m, rec, &mt, err) < 0)
			goto out;
		m->uncorrelated++;
		rc = 0;
		goto out;
	}
	if (insert_values(m, SQL_FIELD_VALUES, mt.defect, rec->fields, rec->nfields, rec->index, err) < 0 ||
	    insert_values(m, SQL_PERSONAL, mt.defect, rec->personal, rec->npersonal, rec->index, err) < 0 ||
	    add_events(m, rec, mt.defect, err) < 0 ||
	    track_recompute(m->c, mt.defect, m->tc, err) < 0 ||
	    track_touch(m, mt.defect, mt.ref, err) < 0)
		goto out;
	if (!strcmp(outcome, "opened"))
		m->opened++;
	else
		m->applied++;
	rc = 0;
out:
	PQclear(r);
	match_free(&mt);
	return rc;
}

int track_recompute(PGconn *c, int64_t defect, const track_conf *tc, char **err)
{
	int rc = -1;
	if (!tc)
		tc = track_conf_default();
	char d[24];
	char *req = db_text_array(tc->required_fields, tc->nrequired);
	const char *p[2] = { db_int_param(d, defect), req };
	if (run(c, SQL_FV_UNSET, 1, p, err) < 0 || run(c, SQL_FV_SET, 1, p, err) < 0 ||
	    run(c, SQL_PD_CURRENT, 1, p, err) < 0 || run(c, SQL_RECOMPUTE, 2, p, err) < 0)
		goto out;
	rc = 0;
out:
	free(req);
	return rc;
}
