/*
 * track — correlation, defect numbering, applying records and the three tracks
 * (SPEC.md §6).  Runs inside the caller's transaction; every value is a parameter.
 *
 * Must never: commit, write a personal field outside personal_data, or derive a status
 * from anything but the stored history (so that re-parsing and hand assignment agree with
 * what ingestion would have produced).
 *
 * The statements of one step are queued on a db_batch and sent as one pipeline; what a later
 * statement needs from an earlier one's result (the defect a record goes to) decides where
 * one round trip ends.  Per record: the correlation look-ups (with any pending recomputes
 * they depend on), opening a defect when needed, then everything the record writes.
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

/*
 * Correlation (sent together, only those that apply): the defect_ref the record states; the
 * thread ($1: In-Reply-To, then References newest first; the first of them that has applied
 * records, other than this message $2, gives its defects: more than one and the thread does
 * not decide); the open defect with the serial_no, then the report_no (the most recently
 * updated).  The caller takes the first that decides.
 */
static const char SQL_BY_REF[] =
	"SELECT id, ref FROM defectd.defects WHERE ref = $1";

static const char SQL_BY_THREAD[] =
	"WITH hit AS ("
	"  SELECT t.n, r.defect_id FROM unnest($1::text[]) WITH ORDINALITY AS t(mid, n)"
	"  JOIN defectd.messages m ON m.message_id = t.mid AND m.id <> $2::bigint"
	"   AND m.message_id IS DISTINCT FROM $3::text"
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
 * locked until commit, so numbers are handed out in commit order without gaps.  The
 * serial and report numbers ($3, $4: the opening record's) are the values the recompute
 * will find, so that update leaves every indexed column as it is and can be HOT. */
static const char SQL_OPEN[] =
	"WITH y AS ("
	"  SELECT coalesce(extract(year FROM defectd.to_date_or_null($1::text))::int,"
	"                  extract(year FROM m.sent_day)::int, extract(year FROM now())::int) AS year"
	"  FROM defectd.messages m WHERE m.id = $2::bigint),"
	" n AS (INSERT INTO defectd.defect_numbers AS dn (year, last) SELECT year, 1 FROM y"
	"  ON CONFLICT (year) DO UPDATE SET last = dn.last + 1 RETURNING year, last)"
	" INSERT INTO defectd.defects (ref, opened_by, serial_no, report_no)"
	" SELECT format('MD-%s-%s', lpad(n.year::text, 4, '0'), lpad(n.last::text, 5, '0')), $2::bigint,"
	" $3::text, $4::text FROM n RETURNING id, ref";

static const char SQL_REF_OF[] =
	"SELECT ref FROM defectd.defects WHERE id = $1";

/* applying to an existing defect: wait for another transaction applying to it, so that the
 * history this one reads (current flags, tracks) includes what that one commits */
static const char SQL_LOCK[] =
	"SELECT 1 FROM defectd.defects WHERE id = $1 FOR NO KEY UPDATE";

static const char SQL_RECORD[] =
	"INSERT INTO defectd.records (message_id, idx, kind, defect_ref, defect_id, outcome,"
	" matched_by, note, fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)";

/*
 * Personal data, with the current flag kept right while inserting the values ($4 fields, $5
 * values) of record $3 of message $2 for defect $1: first the current rows of those fields
 * that are older (by message, then record) lose the flag; then a new value is current when
 * no current row is left for its field (the one left would be later) and it is the last of
 * its field in the record ($6, computed by the caller: the latest is the last inserted).
 * The other fields' history is the records' own (records.fields; the field_values view).
 */
static const char SQL_PD_UNSET_OLDER[] =
	"UPDATE defectd.personal_data o SET current = false"
	" WHERE o.defect_id = $1::bigint AND o.current AND o.field = ANY ($4::text[])"
	" AND (o.message_id, o.record_index) <= ($2::bigint, $3::int)";
static const char SQL_PD_INSERT[] =
	"INSERT INTO defectd.personal_data (defect_id, field, value, message_id, record_index, current)"
	" SELECT $1::bigint, u.f, u.v, $2::bigint, $3::int, u.last AND NOT EXISTS ("
	"  SELECT 1 FROM defectd.personal_data o WHERE o.defect_id = $1::bigint AND o.field = u.f AND o.current)"
	" FROM unnest($4::text[], $5::text[], $6::bool[]) AS u(f, v, last)";
/* an uncorrelated record's personal fields: no defect, not current, until it is assigned */
static const char SQL_PD_LOOSE[] =
	"INSERT INTO defectd.personal_data (defect_id, field, value, message_id, record_index)"
	" SELECT NULL, u.f, u.v, $1::bigint, $2::int FROM unnest($3::text[], $4::text[]) AS u(f, v)";

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

/* personal data: current = the latest value of each field (message arrival, record order,
 * insertion), from scratch (after rows were removed).  Every scan starts from defect_id = $1. */
static const char SQL_PD_CURRENT[] =
	"UPDATE defectd.personal_data p SET current = (p.id = l.id) FROM ("
	"  SELECT DISTINCT ON (field) field, id FROM defectd.personal_data WHERE defect_id = $1"
	"  ORDER BY field, message_id DESC, record_index DESC, id DESC) l"
	" WHERE p.defect_id = $1 AND p.field = l.field AND p.current IS DISTINCT FROM (p.id = l.id)";

/*
 * A defect's columns and tracks from its history ($1 the defect, $2 the required fields).
 * The current values are its records' fields merged in arrival order (a later record's value
 * of a field wins).  Every part is MATERIALIZED so that each look-up runs once (inlined, the
 * event look-ups were repeated for every column that uses them), and reads one index range
 * of the defect.
 */
#define CUR(f) "cur.v->>'" f "'"
#define LATEST " ORDER BY e.message_id DESC, e.record_index DESC, e.id DESC"
static const char SQL_RECOMPUTE[] =
	"WITH cur AS MATERIALIZED (SELECT defectd.jsonb_merge(fields ORDER BY message_id, idx) AS v"
	"  FROM defectd.records WHERE defect_id = $1),"
	" pd AS MATERIALIZED (SELECT coalesce(array_agg(field), '{}'::text[]) AS fields"
	"  FROM defectd.personal_data WHERE defect_id = $1 AND current),"
	" miss AS MATERIALIZED (SELECT coalesce(array_agg(u.f ORDER BY u.n), '{}'::text[]) AS fields"
	"  FROM unnest($2::text[]) WITH ORDINALITY AS u(f, n), cur, pd"
	"  WHERE NOT cur.v ? u.f AND u.f <> ALL (pd.fields)),"
	" rep AS MATERIALIZED (SELECT coalesce(e.repair_date, e.reported_on) AS repaired_at"
	"  FROM defectd.repairs e WHERE e.defect_id = $1" LATEST " LIMIT 1),"
	/* the record that gave the current part_return: its repair date, else its mail's */
	" pend AS MATERIALIZED (SELECT coalesce(defectd.to_date_or_null(r.fields->>'repair_date'),"
	"   m.sent_day, m.received_at::date) AS pending_at"
	"  FROM (SELECT message_id, fields FROM defectd.records WHERE defect_id = $1 AND fields ? 'part_return'"
	"   ORDER BY message_id DESC, idx DESC LIMIT 1) r JOIN defectd.messages m ON m.id = r.message_id"
	"  WHERE r.fields->>'part_return' = 'true'),"
	" ev AS MATERIALIZED (SELECT"
	"  (array_agg(coalesce(e.shipped_date, e.reported_on)" LATEST ") FILTER (WHERE e.kind = 'shipment'))[1] AS shipped_at,"
	"  (array_agg(coalesce(e.received_date, e.reported_on)" LATEST ") FILTER (WHERE e.kind = 'receipt'))[1] AS received_at,"
	"  (array_agg(e.reported_on" LATEST ") FILTER (WHERE e.kind = 'receipt' AND e.analysis_result IS NOT NULL))[1]"
	"   AS analyzed_at"
	"  FROM defectd.part_events e WHERE e.defect_id = $1),"
	" st AS MATERIALIZED (SELECT miss.fields AS missing, rep.repaired_at, pend.pending_at,"
	"  ev.shipped_at, ev.received_at, ev.analyzed_at,"
	"  CASE WHEN ev.analyzed_at IS NOT NULL THEN 'analyzed' WHEN ev.received_at IS NOT NULL THEN 'received'"
	"   WHEN ev.shipped_at IS NOT NULL THEN 'shipped' WHEN " CUR("part_return") " = 'true' THEN 'pending'"
	"   ELSE 'not_required' END AS part_status"
	"  FROM cur CROSS JOIN miss CROSS JOIN ev LEFT JOIN rep ON true LEFT JOIN pend ON true),"
	" fin AS MATERIALIZED (SELECT st.*, (st.repaired_at IS NOT NULL"
	"   AND st.part_status IN ('not_required', 'analyzed')) AS closed FROM st)"
	" UPDATE defectd.defects d SET"
	"  report_no = " CUR("report_no") ", report_date = defectd.to_date_or_null(" CUR("report_date") "),"
	"  dealer_code = " CUR("dealer_code") ", dealer_name = " CUR("dealer_name") ","
	"  dealer_contact = " CUR("dealer_contact") ", product_model = " CUR("product_model") ","
	"  serial_no = " CUR("serial_no") ", supplier = " CUR("supplier") ", vin = " CUR("vin") ","
	"  install_date = defectd.to_date_or_null(" CUR("install_date") "),"
	"  occurred_date = defectd.to_date_or_null(" CUR("occurred_date") "), defect_type = " CUR("defect_type") ","
	"  error_code = " CUR("error_code") ", symptom = " CUR("symptom") ", installer = " CUR("installer") ","
	"  replaced_part = " CUR("replaced_part") ", cause = " CUR("cause") ", carrier = " CUR("carrier") ","
	"  tracking_no = " CUR("tracking_no") ", analysis_result = " CUR("analysis_result") ","
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
#undef LATEST

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

/* the key, value and "last of its key" arrays of kv[0..n-1], as text[] literals (caller frees) */
static void kv_arrays(const track_kv *kv, size_t n, char **keys, char **vals, char **last)
{
	const char **k = xcalloc(n ? n : 1, sizeof *k), **v = xcalloc(n ? n : 1, sizeof *v);
	const char **l = xcalloc(n ? n : 1, sizeof *l);
	for (size_t i = 0; i < n; i++) {
		k[i] = kv[i].key, v[i] = kv[i].value, l[i] = "t";
		for (size_t j = i + 1; j < n; j++)
			if (!strcmp(kv[i].key, kv[j].key))
				l[i] = "f";
	}
	*keys = db_text_array(k, n);
	*vals = db_text_array(v, n);
	*last = db_text_array(l, n);
	free(k);
	free(v);
	free(l);
}

/* queue the personal data rows of kv for defect (0: none, an uncorrelated record's, kept for
 * the hand assignment; fresh: opened by this record, so it has no rows yet) */
static void queue_personal(db_batch *b, track_msg *m, int64_t defect, bool fresh,
			 const track_kv *kv, size_t n, int index)
{
	if (!n)
		return;
	char *keys, *vals, *last, d[24], msg[24], idx[24];
	kv_arrays(kv, n, &keys, &vals, &last);
	db_int_param(msg, m->message);
	db_int_param(idx, index);
	if (!defect) {
		const char *p[4] = { msg, idx, keys, vals };
		db_batch_add(b, SQL_PD_LOOSE, 4, p, NULL);
	} else {
		const char *p[6] = { db_int_param(d, defect), msg, idx, keys, vals, last };
		if (!fresh)
			db_batch_add(b, SQL_PD_UNSET_OLDER, 4, p, NULL);
		db_batch_add(b, SQL_PD_INSERT, 6, p, NULL);
	}
	free(keys);
	free(vals);
	free(last);
}

/* the queued statements, then `sql`, in one round trip; its result in *r */
static int query_after_queue(track_msg *m, const char *sql, int n, const char *const *p, PGresult **r,
			     char **err)
{
	db_batch_add(m->q, sql, n, p, r);
	return db_batch_run(m->c, m->q, err);
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
		if (query_after_queue(m, SQL_REF_OF, 1, p, &r, err) < 0)
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
	free(m->dirty);
	m->dirty = NULL;
	m->ndirty = m->dirty_cap = 0;
	sl_free(&m->refs);
}

/* ---- recomputing ------------------------------------------------------------------------ */

static void queue_recompute(db_batch *b, int64_t defect, const track_conf *tc, bool full)
{
	if (!tc)
		tc = track_conf_default();
	char d[24];
	char *req = db_text_array(tc->required_fields, tc->nrequired);
	const char *p[2] = { db_int_param(d, defect), req };
	if (full)
		db_batch_add(b, SQL_PD_CURRENT, 1, p, NULL);
	db_batch_add(b, SQL_RECOMPUTE, 2, p, NULL);
	free(req);
}

void track_queue_recompute(db_batch *b, int64_t defect, const track_conf *tc)
{
	queue_recompute(b, defect, tc, true);
}

int track_recompute(PGconn *c, int64_t defect, const track_conf *tc, char **err)
{
	db_batch b = DB_BATCH_INIT;
	queue_recompute(&b, defect, tc, true);
	int rc = db_batch_run(c, &b, err);
	db_batch_free(&b);
	return rc;
}

void track_queue_flush(track_msg *m, db_batch *b)
{
	for (size_t i = 0; i < m->ndirty; i++)
		queue_recompute(b, m->dirty[i], m->tc, false);
	m->ndirty = 0;
}

/* queue the pending recompute of one defect, if it has one */
static void queue_flush_one(track_msg *m, db_batch *b, int64_t defect)
{
	for (size_t i = 0; i < m->ndirty; i++)
		if (m->dirty[i] == defect) {
			queue_recompute(b, defect, m->tc, false);
			m->dirty[i] = m->dirty[--m->ndirty];
			return;
		}
}

static void mark_dirty(track_msg *m, int64_t defect)
{
	for (size_t i = 0; i < m->ndirty; i++)
		if (m->dirty[i] == defect)
			return;
	m->dirty = xgrow(m->dirty, &m->dirty_cap, m->ndirty + 1, sizeof *m->dirty);
	m->dirty[m->ndirty++] = defect;
}

/* ---- correlation ----------------------------------------------------------------------- */

typedef struct match {
	int64_t defect;		/* 0 = none */
	char *ref;
	const char *by;		/* records.matched_by */
	strbuf note;		/* what did not work, for records.note */
	bool fresh;		/* opened by this transaction (nobody else can see it yet) */
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

/* the first row (id, ref) -> the match */
static void take(match *mt, const PGresult *r, const char *by)
{
	mt->defect = db_int(r, 0, 0);
	mt->ref = xstrdup(db_value(r, 0, 1));
	mt->by = by;
}

/*
 * The defect_ref the record states; then, with `rest`, the thread, serial_no and report_no of
 * an open defect: the look-ups that apply, in one round trip.  Pending recomputes go first
 * when serial_no or report_no will be looked up (they read the defects' current values).
 */
static int correlate(track_msg *m, const track_rec *rec, bool rest, match *mt, char **err)
{
	int rc = -1;
	PGresult *by_ref = NULL, *by_thread = NULL, *by_serial = NULL, *by_report = NULL;
	db_batch *b = m->q;
	const char *serial = rest ? kv_get(rec->fields, rec->nfields, "serial_no") : NULL;
	const char *report_no = rest ? kv_get(rec->fields, rec->nfields, "report_no") : NULL;
	if (serial || report_no)
		track_queue_flush(m, b);
	if (rec->defect_ref)
		db_batch_add(b, SQL_BY_REF, 1, (const char *const[]){ rec->defect_ref }, &by_ref);
	if (rest && m->nthread) {
		char *thread = db_text_array(m->thread, m->nthread), msg[24];
		const char *p[3] = { thread, db_int_param(msg, m->message), m->own_message_id };
		db_batch_add(b, SQL_BY_THREAD, 3, p, &by_thread);
		free(thread);
	}
	if (serial)
		db_batch_add(b, SQL_BY_SERIAL, 1, (const char *const[]){ serial }, &by_serial);
	if (report_no)
		db_batch_add(b, SQL_BY_REPORT_NO, 1, (const char *const[]){ report_no }, &by_report);
	if (db_batch_run(m->c, b, err) < 0)
		goto out;
	if (!m->message && m->message_stored && (rc = m->message_stored(m, err)) != 0)
		goto out;	/* stored before (1), or an error */

	if (rec->defect_ref) {
		if (PQntuples(by_ref) == 1) {
			take(mt, by_ref, "ref");
			rc = 0;
			goto out;
		}
		char *s = xasprintf("defect_ref %s unknown", rec->defect_ref);
		note(mt, s);
		free(s);
	}
	if (by_thread && PQntuples(by_thread) == 1)
		take(mt, by_thread, "thread");
	else if (by_thread && PQntuples(by_thread) > 1)
		note(mt, "the thread leads to several defects");
	if (!mt->defect && by_serial && PQntuples(by_serial) == 1)
		take(mt, by_serial, "serial_no");
	else if (!mt->defect && by_report && PQntuples(by_report) == 1)
		take(mt, by_report, "report_no");
	rc = 0;
out:
	PQclear(by_ref);
	PQclear(by_thread);
	PQclear(by_serial);
	PQclear(by_report);
	return rc;
}

/* the ref of defect id, or NULL when there is none (*err untouched); -1 on error */
static int ref_of(track_msg *m, int64_t id, char **ref, char **err)
{
	char d[24];
	const char *p[1] = { db_int_param(d, id) };
	PGresult *r = NULL;
	if (query_after_queue(m, SQL_REF_OF, 1, p, &r, err) < 0)
		return -1;
	*ref = PQntuples(r) == 1 ? xstrdup(db_value(r, 0, 0)) : NULL;
	PQclear(r);
	return 0;
}

/* a new defect, or (re-parse) the next one this message opened before */
static int open_defect(track_msg *m, const track_rec *rec, match *mt, char **err)
{
	int rc = -1;
	PGresult *r = NULL;
	char msg[24];
	if (m->reused < m->nreuse) {
		int64_t id = m->reuse[m->reused++];
		if (ref_of(m, id, &mt->ref, err) < 0)
			goto out;
		if (!mt->ref) {
			*err = xasprintf("defect %lld vanished during re-parse", (long long)id);
			goto out;
		}
		mt->defect = id;
	} else {
		const char *p[4] = { kv_get(rec->fields, rec->nfields, "report_date"), db_int_param(msg, m->message),
				     kv_get(rec->fields, rec->nfields, "serial_no"),
				     kv_get(rec->fields, rec->nfields, "report_no") };
		if (query_after_queue(m, SQL_OPEN, 4, p, &r, err) < 0)
			goto out;
		if (PQntuples(r) != 1) {
			*err = xasprintf("message %s not found: cannot open a defect", msg);
			goto out;
		}
		take(mt, r, "new");
		mt->fresh = true;
	}
	mt->by = "new";
	rc = 0;
out:
	PQclear(r);
	return rc;
}

/* ---- applying -------------------------------------------------------------------------- */

static void queue_repair(db_batch *b, track_msg *m, const track_rec *rec, int64_t defect)
{
	char d[24], msg[24], idx[24];
	const track_kv *f = rec->fields;
	size_t n = rec->nfields;
	const char *p[9] = { db_int_param(d, defect), db_int_param(msg, m->message),
			     db_int_param(idx, rec->index), kv_get(f, n, "repair_date"),
			     kv_get(f, n, "repair_action"), kv_get(f, n, "replaced_part"),
			     kv_get(f, n, "cause"), kv_get(f, n, "technician"),
			     kv_get(f, n, "part_return") };
	db_batch_add(b, SQL_REPAIR, 9, p, NULL);
}

static void queue_part_event(db_batch *b, track_msg *m, const track_rec *rec, int64_t defect, const char *kind)
{
	char d[24], msg[24], idx[24];
	const track_kv *f = rec->fields;
	size_t n = rec->nfields;
	const char *p[10] = { db_int_param(d, defect), db_int_param(msg, m->message),
			      db_int_param(idx, rec->index), kind, kv_get(f, n, "shipped_date"),
			      kv_get(f, n, "carrier"), kv_get(f, n, "tracking_no"),
			      kv_get(f, n, "destination"), kv_get(f, n, "received_date"),
			      kv_get(f, n, "analysis_result") };
	db_batch_add(b, SQL_PART_EVENT, 10, p, NULL);
}

/*
 * The part's way back.  The kind decides, and so do the fields: a repair report that
 * already states the tracking number of the returned part is a shipment too, or the
 * dealer would be reminded of a part they have sent.
 */
static void event_kinds(const track_rec *rec, bool *ship, bool *recv)
{
	static const char *const ship_keys[] = { "tracking_no", "shipped_date" };
	static const char *const recv_keys[] = { "received_date", "analysis_result" };
	*ship = rec->kind == KIND_SHIPMENT_NOTICE || kv_has_any(rec, ship_keys, ARRAY_LEN(ship_keys));
	*recv = rec->kind == KIND_PART_RECEIPT || kv_has_any(rec, recv_keys, ARRAY_LEN(recv_keys));
}

/* queue the records row; -1 with *err when the fields are not valid UTF-8 */
static int queue_record_row(db_batch *b, track_msg *m, const track_rec *rec, const match *mt,
			    const char *outcome, char **err)
{
	char msg[24], idx[24], d[24];
	char *json = fields_json(rec, err);
	if (!json)
		return -1;
	const char *p[9] = { db_int_param(msg, m->message), db_int_param(idx, rec->index),
			     vocab_kind_name(rec->kind), rec->defect_ref,
			     mt->defect ? db_int_param(d, mt->defect) : NULL, outcome, mt->by,
			     mt->note.len ? mt->note.s : NULL, json };
	db_batch_add(b, SQL_RECORD, 9, p, NULL);
	free(json);
	return 0;
}

static void queue_uncorrelated(db_batch *b, track_msg *m, const track_rec *rec, const match *mt)
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
	db_batch_add(b, SQL_UNCORRELATED, 5, p, NULL);
	sb_free(&why);
}

int track_apply(track_msg *m, const track_rec *rec, int64_t forced_defect, char **err)
{
	int rc = -1;
	match mt = { 0, NULL, NULL, STRBUF_INIT, false };
	const char *outcome = "applied";
	db_batch *b = m->q;

	if (forced_defect) {
		if (ref_of(m, forced_defect, &mt.ref, err) < 0)
			goto out;
		if (!mt.ref) {
			*err = xasprintf("defect %lld does not exist", (long long)forced_defect);
			goto out;
		}
		mt.defect = forced_defect;
		mt.by = "hand";
		outcome = "assigned";
	} else {
		/* re-parse: the message's own defect reports stay its defects (same numbers),
		 * whatever serial or report number they now share with another open defect */
		bool own = rec->kind == KIND_DEFECT_REPORT && m->reused < m->nreuse;
		if ((rc = correlate(m, rec, !own, &mt, err)) != 0) {
			if (rc > 0)
				goto out;	/* the message was stored before */
			rc = -1;
			goto out;
		}
		rc = -1;
		if (!mt.defect && rec->kind == KIND_DEFECT_REPORT) {
			if (open_defect(m, rec, &mt, err) < 0)
				goto out;
			outcome = "opened";
		} else if (!mt.defect && rec->index >= 0 && (size_t)rec->index < m->nassigned &&
			   m->assigned[rec->index]) {
			/* re-parse: keep the hand assignment */
			if (ref_of(m, m->assigned[rec->index], &mt.ref, err) < 0)
				goto out;
			if (mt.ref) {
				mt.defect = m->assigned[rec->index];
				mt.by = "hand";
				outcome = "assigned";
			}
		}
		if (!mt.defect)
			outcome = "uncorrelated";
	}

	if (!mt.defect) {
		/* keep the personal fields for the hand assignment, with no defect yet */
		if (queue_record_row(b, m, rec, &mt, outcome, err) < 0)
			goto out;
		queue_personal(b, m, 0, false, rec->personal, rec->npersonal, rec->index);
		queue_uncorrelated(b, m, rec, &mt);
		m->uncorrelated++;
		rc = 0;
		goto out;
	}
	if (!mt.fresh) {
		char d[24];
		const char *p[1] = { db_int_param(d, mt.defect) };
		db_batch_add(b, SQL_LOCK, 1, p, NULL);
	}
	bool ship, recv;
	event_kinds(rec, &ship, &recv);
	/* a part event's note reads the defect's part status as the records before left it */
	if (ship || recv)
		queue_flush_one(m, b, mt.defect);
	if (queue_record_row(b, m, rec, &mt, outcome, err) < 0)
		goto out;
	queue_personal(b, m, mt.defect, mt.fresh, rec->personal, rec->npersonal, rec->index);
	if (rec->kind == KIND_REPAIR_REPORT)
		queue_repair(b, m, rec, mt.defect);
	if (ship)
		queue_part_event(b, m, rec, mt.defect, "shipment");
	if (recv)
		queue_part_event(b, m, rec, mt.defect, "receipt");
	if (track_touch(m, mt.defect, mt.ref, err) < 0)
		goto out;
	mark_dirty(m, mt.defect);
	if (!strcmp(outcome, "opened"))
		m->opened++;
	else
		m->applied++;
	rc = 0;
out:
	match_free(&mt);
	return rc;
}
