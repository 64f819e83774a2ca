/*
 * store — messages, mailbox state and the quarantine in PostgreSQL; each public function
 * is one transaction.  Correlation and the tracks are track.c's.
 *
 * Must never: splice a value into SQL, write a personal field outside personal_data, mark an
 * item done without its message being committed in the same transaction, or leave a
 * transaction open when it returns.
 */
#include "store.h"
#include "db.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const qkind_names[] = {
	[STORE_Q_UNPARSABLE] = "unparsable",	 [STORE_Q_UNCORRELATED] = "uncorrelated",
	[STORE_Q_POISON] = "poison",		 [STORE_Q_TOO_BIG] = "too_big",
	[STORE_Q_PARSER_CRASH] = "parser_crash", [STORE_Q_UIDVALIDITY] = "uidvalidity",
};

const char *store_qkind_name(store_qkind k)
{
	return (unsigned)k < ARRAY_LEN(qkind_names) ? qkind_names[k] : "poison";
}

void store_result_free(store_result *res)
{
	sl_free(&res->refs);
	PQclear(res->answer);
	memset(res, 0, sizeof *res);
}

/* ---- SQL ------------------------------------------------------------------------------- */

static const char SQL_MAILBOX_ADD[] =
	"INSERT INTO defectd.mailboxes (name) VALUES ($1) ON CONFLICT (name) DO NOTHING";
static const char SQL_MAILBOX_GET[] =
	"SELECT id, uidvalidity, last_uid, halted_reason FROM defectd.mailboxes WHERE name = $1";

/*
 * A fetched message in one statement (sql/008): its row (none for a duplicate), its records
 * or its unparsable entry, its mailbox item.  The answer is a JSON object (ingest_result).
 */
static const char SQL_INGEST[] =
	"SELECT defectd.ingest_message($1::text, $2::bytea, $3::text, $4::text, $5::text, $6::text,"
	" $7::text[], $8::text[], $9::text, $10::text, $11::bigint, $12::text, $13::text, $14::text[],"
	" $15::jsonb, $16::jsonb, $17::text[])";

/*
 * Ingestion runs the same few statements for every message: planning them each time (a
 * custom plan, which PostgreSQL keeps choosing when the values make it look cheaper, e.g. a
 * short array) costs more than running them.  Their generic plans are index look-ups from
 * the message or the defect; db.c prepares them afresh as the tables grow.
 */
static const char SQL_GENERIC_PLANS[] = "SET LOCAL plan_cache_mode = force_generic_plan";

static const char SQL_MESSAGE_UPDATE[] =
	"UPDATE defectd.messages SET message_id = $2, from_addr = $3, subject = $4,"
	" sent_at = defectd.to_timestamptz_or_null($5::text),"
	" sent_day = defectd.to_date_or_null(substr($5::text, 1, 10)), in_reply_to = $6,"
	" reference_ids = $7::text[], status = $8, reason = $9, warnings = $10::text[],"
	" parse_json = $11::jsonb, parsed_at = now() WHERE id = $1";

/* last_uid follows the settled items: mailbox ID, item uid UID (SQL expressions) */
#define LAST_UID_SQL(ID, UID) \
	"UPDATE defectd.mailboxes SET last_uid = GREATEST(last_uid, " UID "::bigint) WHERE id = " ID "::bigint"
static const char SQL_LAST_UID[] = LAST_UID_SQL("$1", "$2");

/* the item's final state, and the mailbox's last_uid follows it (uid 0: none) */
static const char SQL_ITEM_SETTLE[] =
	"WITH lu AS (" LAST_UID_SQL("$1", "$3") " AND $3::bigint > 0)"
	" INSERT INTO defectd.mailbox_items AS i (mailbox_id, source_key, uid, attempts, state,"
	" message_id, last_attempt_at, done_at) VALUES ($1, $2, $3, 1, $4, $5, now(), now())"
	" ON CONFLICT (mailbox_id, source_key) DO UPDATE SET state = EXCLUDED.state,"
	" message_id = coalesce(EXCLUDED.message_id, i.message_id), uid = EXCLUDED.uid, done_at = now()";

static const char SQL_ITEM_ATTEMPT[] =
	"INSERT INTO defectd.mailbox_items AS i (mailbox_id, source_key, uid, attempts, last_attempt_at)"
	" VALUES ($1, $2, $3, 1, now())"
	" ON CONFLICT (mailbox_id, source_key) DO UPDATE SET"
	" attempts = i.attempts + CASE WHEN i.state = 'pending' THEN 1 ELSE 0 END,"
	" last_attempt_at = CASE WHEN i.state = 'pending' THEN now() ELSE i.last_attempt_at END,"
	" uid = EXCLUDED.uid RETURNING attempts, state";

/* the same for a mailbox that exists (no row when it does not), in a statement of its own */
static const char SQL_ITEM_ATTEMPT_BY_NAME[] =
	"INSERT INTO defectd.mailbox_items AS i (mailbox_id, source_key, uid, attempts, last_attempt_at)"
	" SELECT b.id, $2, $3, 1, now() FROM defectd.mailboxes b WHERE b.name = $1"
	" ON CONFLICT (mailbox_id, source_key) DO UPDATE SET"
	" attempts = i.attempts + CASE WHEN i.state = 'pending' THEN 1 ELSE 0 END,"
	" last_attempt_at = CASE WHEN i.state = 'pending' THEN now() ELSE i.last_attempt_at END,"
	" uid = EXCLUDED.uid RETURNING attempts, state";

/* items never seen before get their row and first attempt; the others are left alone */
static const char SQL_ITEMS_FIRST_ATTEMPT[] =
	"INSERT INTO defectd.mailbox_items (mailbox_id, source_key, uid, attempts, last_attempt_at)"
	" SELECT b.id, u.k, u.uid, 1, now() FROM defectd.mailboxes b,"
	"  unnest($2::text[], $3::bigint[]) AS u(k, uid) WHERE b.name = $1"
	" ON CONFLICT (mailbox_id, source_key) DO NOTHING RETURNING source_key";

static const char SQL_ITEM_LOCK[] =
	"SELECT state FROM defectd.mailbox_items WHERE mailbox_id = $1 AND source_key = $2 FOR UPDATE";

static const char SQL_QUARANTINE[] =
	"INSERT INTO defectd.quarantine (message_id, mailbox_id, source_key, reason_kind, reason, raw)"
	" VALUES ($1, $2, $3, $4, $5, $6::bytea)";

static const char SQL_AUDIT[] =
	"INSERT INTO defectd.audit_log (action, object, detail) VALUES ($1, $2, $3::jsonb)";

/* what a message contributed to, and the defects it opened */
static const char SQL_CONTRIBUTED[] =
	"SELECT defect_id FROM defectd.records WHERE message_id = $1 AND defect_id IS NOT NULL"
	" UNION SELECT defect_id FROM defectd.personal_data WHERE message_id = $1 AND defect_id IS NOT NULL"
	" UNION SELECT defect_id FROM defectd.repairs WHERE message_id = $1"
	" UNION SELECT defect_id FROM defectd.part_events WHERE message_id = $1"
	" UNION SELECT id FROM defectd.defects WHERE opened_by = $1 ORDER BY 1";

static const char SQL_LOCK_DEFECTS[] =
	"SELECT id FROM defectd.defects WHERE id = ANY ($1::bigint[]) ORDER BY id FOR NO KEY UPDATE";

static const char SQL_OPENED_BY[] =
	"SELECT id FROM defectd.defects WHERE opened_by = $1 ORDER BY id";

static const char SQL_ASSIGNED[] =
	"SELECT record_index, defect_id FROM defectd.quarantine WHERE message_id = $1"
	" AND reason_kind = 'uncorrelated' AND resolved_at IS NOT NULL AND defect_id IS NOT NULL"
	" AND record_index IS NOT NULL AND record_index >= 0 AND record_index < $2";

static const char SQL_UNCONTRIBUTE[] =
	"WITH b AS (DELETE FROM defectd.personal_data WHERE message_id = $1),"
	" c AS (DELETE FROM defectd.repairs WHERE message_id = $1),"
	" d AS (DELETE FROM defectd.part_events WHERE message_id = $1),"
	" e AS (DELETE FROM defectd.records WHERE message_id = $1),"
	" f AS (DELETE FROM defectd.quarantine WHERE message_id = $1 AND resolved_at IS NULL"
	"  AND reason_kind IN ('uncorrelated', 'unparsable'))"
	" SELECT 1";

static const char SQL_DROP_UNUSED_DEFECT[] =
	"DELETE FROM defectd.defects d WHERE d.id = $1"
	" AND NOT EXISTS (SELECT 1 FROM defectd.records x WHERE x.defect_id = d.id)"
	" AND NOT EXISTS (SELECT 1 FROM defectd.personal_data x WHERE x.defect_id = d.id)"
	" AND NOT EXISTS (SELECT 1 FROM defectd.repairs x WHERE x.defect_id = d.id)"
	" AND NOT EXISTS (SELECT 1 FROM defectd.part_events x WHERE x.defect_id = d.id)"
	" AND NOT EXISTS (SELECT 1 FROM defectd.quarantine x WHERE x.defect_id = d.id)"
	" RETURNING id";

/* ---- helpers --------------------------------------------------------------------------- */

/* every public function ends here: roll back a failed transaction and classify the error */
static int finish(PGconn *c, bool ok, char **err)
{
	if (ok)
		return STORE_OK;
	db_rollback(c);
	if (!*err)
		*err = xstrdup("database: unknown error");
	return db_err_retryable(c, *err) ? STORE_TEMP : STORE_BAD;
}

static int run(PGconn *c, const char *sql, int n, const char *const *p, char **err)
{
	PGresult *r = db_query(c, sql, n, p, err);
	PQclear(r);
	return r ? 0 : -1;
}

/* the ids of a one-column query */
static int query_ids(PGconn *c, const char *sql, int n, const char *const *p, int64_t **ids,
		     size_t *nids, char **err)
{
	PGresult *r = db_query(c, sql, n, p, err);
	if (!r)
		return -1;
	size_t rows = (size_t)PQntuples(r);
	*ids = xcalloc(rows ? rows : 1, sizeof **ids);
	for (size_t i = 0; i < rows; i++)
		(*ids)[i] = db_int(r, (int)i, 0);
	*nids = rows;
	PQclear(r);
	return 0;
}

static int mailbox_ensure(PGconn *c, const char *name, int64_t *id, char **err)
{
	int rc = -1;
	const char *p[1] = { name };
	PGresult *r = NULL;
	if (!name || !*name) {
		*err = xstrdup("mailbox name missing");
		goto out;
	}
	/* usually there: one look-up (inserting first would use up a serial number each time) */
	if (!(r = db_query(c, SQL_MAILBOX_GET, 1, p, err)))
		goto out;
	if (PQntuples(r) != 1) {
		PQclear(r);
		r = NULL;
		if (run(c, SQL_MAILBOX_ADD, 1, p, err) < 0 || !(r = db_query(c, SQL_MAILBOX_GET, 1, p, err)))
			goto out;
	}
	if (PQntuples(r) != 1) {
		*err = xasprintf("mailbox %s: not found after insert", name);
		goto out;
	}
	*id = db_int(r, 0, 0);
	rc = 0;
out:
	PQclear(r);
	return rc;
}

/* the item reaches its final state in this transaction; last_uid follows it */
static void queue_item_settle(db_batch *b, int64_t mailbox, const char *source_key, uint64_t uid,
			      int64_t message, const char *state)
{
	char mb[24], u[24], msg[24];
	const char *p[5] = { db_int_param(mb, mailbox), source_key, db_int_param(u, (int64_t)uid),
			     state, message ? db_int_param(msg, message) : NULL };
	db_batch_add(b, SQL_ITEM_SETTLE, 5, p, NULL);
}

static int item_settle(PGconn *c, int64_t mailbox, const char *source_key, uint64_t uid,
		       int64_t message, const char *state, char **err)
{
	db_batch b = DB_BATCH_INIT;
	queue_item_settle(&b, mailbox, source_key, uid, message, state);
	int rc = db_batch_run(c, &b, err);
	db_batch_free(&b);
	return rc;
}

static int audit(PGconn *c, const char *action, const char *object, json_t *detail, char **err)
{
	char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	const char *p[3] = { action, object, d };
	int rc = run(c, SQL_AUDIT, 3, p, err);
	free(d);
	return rc;
}

static void queue_audit(db_batch *b, const char *action, const char *object, json_t *detail)
{
	char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	const char *p[3] = { action, object, d };
	db_batch_add(b, SQL_AUDIT, 3, p, NULL);
	free(d);
}

/* the first string member of r that is not valid UTF-8, or NULL */
static const char *bad_utf8(const parse_result *r)
{
	const struct {
		const char *name, *s;
	} hdr[] = { { "message_id", r->message_id }, { "from", r->from }, { "subject", r->subject },
		    { "date", r->date }, { "in_reply_to", r->in_reply_to }, { "noise", r->noise },
		    { "error", r->error } };
	for (size_t i = 0; i < ARRAY_LEN(hdr); i++)
		if (hdr[i].s && !utf8_valid(hdr[i].s, strlen(hdr[i].s)))
			return hdr[i].name;
	for (size_t i = 0; i < r->references.n; i++)
		if (!utf8_valid(r->references.v[i], strlen(r->references.v[i])))
			return "references";
	for (size_t i = 0; i < r->warnings.n; i++)
		if (!utf8_valid(r->warnings.v[i], strlen(r->warnings.v[i])))
			return "warnings";
	for (size_t i = 0; i < r->nrecords; i++) {
		const record *rec = &r->records[i];
		if (rec->defect_ref && !utf8_valid(rec->defect_ref, strlen(rec->defect_ref)))
			return "defect_ref";
		for (size_t j = 0; j < rec->nfields; j++)
			if (rec->fields[j].value && !utf8_valid(rec->fields[j].value, strlen(rec->fields[j].value)))
				return "a field value";
	}
	return NULL;
}

/* ---- the message row ------------------------------------------------------------------- */

/* what the messages row says about a parse result, personal data withheld */
typedef struct msg_fields {
	strlist warnings;	/* cleaned */
	char *warnings_arr;	/* text[] literal */
	char *references_arr;
	char *json;		/* parse_json */
	const char *status;
	const char *reason;	/* borrowed from the parse result, or static */
} msg_fields;

static void msg_fields_free(msg_fields *mf)
{
	sl_free(&mf->warnings);
	free(mf->warnings_arr);
	free(mf->references_arr);
	free(mf->json);
	memset(mf, 0, sizeof *mf);
}

/* a warning naming a personal field ("…customer_phone: not a phone number: 090…") loses its
 * value; the parser quotes the offending value in its warnings */
static char *clean_warning(const char *w, const vocab *v)
{
	for (size_t i = 0; i < vocab_nfields(v); i++) {
		const field_def *f = vocab_field_at(v, i);
		if (!f || !f->personal)
			continue;
		size_t kl = strlen(f->key);
		for (const char *p = strstr(w, f->key); p; p = strstr(p + 1, f->key))
			if ((p == w || p[-1] == ' ') && p[kl] == ':')
				return xasprintf("%.*s%s: value withheld (personal data)", (int)(p - w), w, f->key);
	}
	return xstrdup(w);
}

static void jset(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

static json_t *record_json(const record *rec, const vocab *v)
{
	json_t *o = json_object(), *fields = json_object();
	json_object_set_new(o, "kind", json_string(vocab_kind_name(rec->kind)));
	jset(o, "defect_ref", rec->defect_ref);
	for (size_t i = 0; i < rec->nfields; i++) {
		const field_def *f = vocab_field_at(v, (size_t)rec->fields[i].field);
		if (f && !f->personal && rec->fields[i].value)
			json_object_set_new(fields, f->key, json_string(rec->fields[i].value));
	}
	json_object_set_new(o, "fields", fields);
	return o;
}

static int msg_fields_build(const parse_result *r, const vocab *v, msg_fields *mf, char **err)
{
	int rc = -1;
	json_t *o = json_object(), *a;
	for (size_t i = 0; i < r->warnings.n; i++)
		sl_push(&mf->warnings, clean_warning(r->warnings.v[i], v));
	mf->warnings_arr = db_text_array((const char *const *)mf->warnings.v, mf->warnings.n);
	mf->references_arr = db_text_array((const char *const *)r->references.v, r->references.n);

	jset(o, "message_id", r->message_id);
	jset(o, "from", r->from);
	jset(o, "subject", r->subject);
	jset(o, "date", r->date);
	jset(o, "in_reply_to", r->in_reply_to);
	json_object_set_new(o, "references", a = json_array());
	for (size_t i = 0; i < r->references.n; i++)
		json_array_append_new(a, json_string(r->references.v[i]));
	json_object_set_new(o, "records", a = json_array());
	for (size_t i = 0; i < r->nrecords; i++)
		json_array_append_new(a, record_json(&r->records[i], v));
	json_object_set_new(o, "warnings", a = json_array());
	for (size_t i = 0; i < mf->warnings.n; i++)
		json_array_append_new(a, json_string(mf->warnings.v[i]));
	jset(o, "noise", r->noise);
	jset(o, "error", r->error);
	if (!(mf->json = json_dumps(o, JSON_COMPACT))) {
		*err = xstrdup("parse result: cannot encode as JSON");
		goto out;
	}
	if (r->error)
		mf->status = "quarantined", mf->reason = r->error;
	else if (r->noise)
		mf->status = "ignored", mf->reason = r->noise;
	else if (r->nrecords == 0)
		mf->status = "ignored", mf->reason = "no records";
	else
		mf->status = "parsed", mf->reason = NULL;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* check and describe a parse result; 0 or -1 with *err */
static int prepare(const parse_result *r, const vocab *v, msg_fields *mf, char **err)
{
	if (!r || !v) {
		*err = xstrdup("store: no parse result or vocabulary");
		return -1;
	}
	const char *bad = bad_utf8(r);
	if (bad) {
		*err = xasprintf("parse result: %s is not valid UTF-8", bad);
		return -1;
	}
	return msg_fields_build(r, v, mf, err);
}

/* ---- applying records ------------------------------------------------------------------ */

/* In-Reply-To, then References newest first (borrowed strings; caller frees the array) */
static const char **thread_of(const parse_result *r, size_t *n)
{
	const char **t = xcalloc(r->references.n + 1, sizeof *t);
	size_t k = 0;
	if (r->in_reply_to)
		t[k++] = r->in_reply_to;
	for (size_t i = r->references.n; i-- > 0;)
		t[k++] = r->references.v[i];
	*n = k;
	return t;
}

/* re-parse: each record through track_apply (one round trip each; ingestion sends them all
 * at once as records_json instead) */
static int apply_records(track_msg *tm, const parse_result *r, const vocab *v, char **err)
{
	int rc = -1;
	track_kv *f = NULL, *p = NULL;
	for (size_t i = 0; i < r->nrecords; i++) {
		const record *rec = &r->records[i];
		size_t nf = 0, np = 0;
		f = xcalloc(rec->nfields + 1, sizeof *f);
		p = xcalloc(rec->nfields + 1, sizeof *p);
		for (size_t j = 0; j < rec->nfields; j++) {
			const field_def *d = vocab_field_at(v, (size_t)rec->fields[j].field);
			if (!d || !rec->fields[j].value)
				continue;
			if (d->personal)
				p[np++] = (track_kv){ d->key, rec->fields[j].value };
			else
				f[nf++] = (track_kv){ d->key, rec->fields[j].value };
		}
		track_rec tr = { rec->kind, rec->defect_ref, (int)i, f, nf, p, np };
		if (track_apply(tm, &tr, 0, err) < 0)
			goto out;
		xfree(&f);
		xfree(&p);
	}
	rc = 0;
out:
	free(f);
	free(p);
	return rc;
}

static void take_counts(store_result *out, track_msg *tm)
{
	out->opened = tm->opened;
	out->applied = tm->applied;
	out->uncorrelated = tm->uncorrelated;
	out->refs = tm->refs;
	tm->refs = (strlist)STRLIST_INIT;
}

/* ---- mailboxes ------------------------------------------------------------------------- */

int store_mailbox_get(PGconn *c, const char *name, uint64_t *uidvalidity, uint64_t *last_uid,
		      char **halted_reason, char **err)
{
	int rc = -1;
	const char *p[1] = { name };
	PGresult *r = NULL;
	int64_t id;
	if (mailbox_ensure(c, name, &id, err) < 0 || !(r = db_query(c, SQL_MAILBOX_GET, 1, p, err)))
		goto out;
	*uidvalidity = (uint64_t)db_int(r, 0, 1);
	*last_uid = (uint64_t)db_int(r, 0, 2);
	if (halted_reason) {
		const char *h = db_value(r, 0, 3);
		*halted_reason = h ? xstrdup(h) : NULL;
	}
	rc = 0;
out:
	PQclear(r);
	return finish(c, rc == 0, err);
}

int store_mailbox_set_uidvalidity(PGconn *c, const char *name, uint64_t uidvalidity, char **err)
{
	int rc = -1;
	char v[24];
	const char *p[2] = { name, db_int_param(v, (int64_t)uidvalidity) };
	PGresult *r = NULL;
	int64_t id;
	if (mailbox_ensure(c, name, &id, err) < 0)
		goto out;
	r = db_query(c, "UPDATE defectd.mailboxes SET uidvalidity = $2::bigint WHERE name = $1"
			" AND (uidvalidity IS NULL OR uidvalidity = $2::bigint) RETURNING id", 2, p, err);
	if (!r)
		goto out;
	if (PQntuples(r) != 1) {
		*err = xasprintf("mailbox %s: UIDVALIDITY changed to %s; halt it and let an operator resume it",
				 name, v);
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	return finish(c, rc == 0, err);
}

int store_mailbox_halt(PGconn *c, const char *name, const char *reason, char **err)
{
	int rc = -1;
	int64_t id;
	const char *p[2] = { name, reason ? reason : "halted" };
	json_t *d = json_pack("{s:s}", "reason", p[1]);
	char *obj = xasprintf("mailbox:%s", name ? name : "");
	if (db_begin(c, err) < 0 || mailbox_ensure(c, name, &id, err) < 0 ||
	    run(c, "UPDATE defectd.mailboxes SET halted_reason = $2, halted_at = now(),"
		   " last_error = $2, last_error_at = now() WHERE name = $1", 2, p, err) < 0 ||
	    audit(c, "mailbox.halt", obj, d, err) < 0 || db_commit(c, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(d);
	free(obj);
	return finish(c, rc == 0, err);
}

int store_mailbox_resume(PGconn *c, const char *name, uint64_t uidvalidity, char **err)
{
	int rc = -1;
	int64_t id;
	char v[24];
	const char *p[2] = { name, uidvalidity ? db_int_param(v, (int64_t)uidvalidity) : NULL };
	json_t *d = json_pack("{s:I}", "uidvalidity", (json_int_t)uidvalidity);
	char *obj = xasprintf("mailbox:%s", name ? name : "");
	if (db_begin(c, err) < 0 || mailbox_ensure(c, name, &id, err) < 0 ||
	    run(c, "UPDATE defectd.mailboxes SET halted_reason = NULL, halted_at = NULL,"
		   " last_uid = CASE WHEN $2::bigint IS NOT NULL AND uidvalidity IS DISTINCT FROM $2::bigint"
		   "  THEN 0 ELSE last_uid END,"
		   " uidvalidity = coalesce($2::bigint, uidvalidity) WHERE name = $1", 2, p, err) < 0 ||
	    audit(c, "mailbox.resume", obj, d, err) < 0 || db_commit(c, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(d);
	free(obj);
	return finish(c, rc == 0, err);
}

int store_mailbox_poll_result(PGconn *c, const char *name, const char *error, char **err)
{
	int rc = -1;
	int64_t id;
	const char *p[2] = { name, error };
	if (mailbox_ensure(c, name, &id, err) < 0 ||
	    run(c, "UPDATE defectd.mailboxes SET last_poll_at = now(),"
		   " last_ok_at = CASE WHEN $2::text IS NULL THEN now() ELSE last_ok_at END,"
		   " last_error = coalesce($2::text, last_error),"
		   " last_error_at = CASE WHEN $2::text IS NULL THEN last_error_at ELSE now() END"
		   " WHERE name = $1", 2, p, err) < 0)
		goto out;
	rc = 0;
out:
	return finish(c, rc == 0, err);
}

/* ---- items and messages ---------------------------------------------------------------- */

int store_item_attempt(PGconn *c, const char *mailbox, const char *source_key, uint64_t uid,
		       int *attempts, bool *already_done, char **err)
{
	int rc = -1;
	int64_t id;
	char mb[24], u[24];
	PGresult *r = NULL;
	if (!source_key) {
		*err = xstrdup("store_item_attempt: no source key");
		goto out;
	}
	/* usually the mailbox exists: one statement, its own transaction */
	if (mailbox && *mailbox && PQtransactionStatus(c) == PQTRANS_IDLE) {
		const char *p[3] = { mailbox, source_key, db_int_param(u, (int64_t)uid) };
		if (!(r = db_query(c, SQL_ITEM_ATTEMPT_BY_NAME, 3, p, err)))
			goto out;
		if (PQntuples(r) == 1)
			goto done;
		PQclear(r);
		r = NULL;
	}
	if (db_begin(c, err) < 0 || mailbox_ensure(c, mailbox, &id, err) < 0)
		goto out;
	const char *p[3] = { db_int_param(mb, id), source_key, db_int_param(u, (int64_t)uid) };
	if (!(r = db_query(c, SQL_ITEM_ATTEMPT, 3, p, err)) || db_commit(c, err) < 0)
		goto out;
done:
	*attempts = (int)db_int(r, 0, 0);
	*already_done = strcmp(db_value(r, 0, 1), "pending") != 0;
	rc = 0;
out:
	PQclear(r);
	return finish(c, rc == 0, err);
}

int store_items_first_attempt(PGconn *c, const char *mailbox, const char *const *keys, const uint64_t *uids,
			      size_t n, bool *fresh, char **err)
{
	for (size_t i = 0; i < n; i++)
		fresh[i] = false;
	if (!n || !mailbox || !*mailbox || PQtransactionStatus(c) != PQTRANS_IDLE)
		return 0;
	char **u = xcalloc(n, sizeof *u);
	for (size_t i = 0; i < n; i++)
		u[i] = xasprintf("%" PRIu64, uids[i]);
	char *karr = db_text_array(keys, n), *uarr = db_text_array((const char *const *)u, n);
	const char *p[3] = { mailbox, karr, uarr };
	PGresult *r = db_query(c, SQL_ITEMS_FIRST_ATTEMPT, 3, p, err);
	for (int row = 0; r && row < PQntuples(r); row++) {
		const char *k = db_value(r, row, 0);
		for (size_t i = 0; i < n; i++)
			if (!fresh[i] && keys[i] && !strcmp(keys[i], k)) {
				fresh[i] = true;
				break;
			}
	}
	for (size_t i = 0; i < n; i++)
		free(u[i]);
	free(u);
	free(karr);
	free(uarr);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static int quarantine_row(PGconn *c, int64_t message, int64_t mailbox, const char *source_key,
			  const char *kind, const char *reason, const char *raw, size_t raw_len, char **err)
{
	char msg[24], mb[24];
	const char *p[6] = { message ? db_int_param(msg, message) : NULL,
			     mailbox ? db_int_param(mb, mailbox) : NULL, source_key, kind,
			     reason && *reason ? reason : kind, raw };
	int len[6] = { 0, 0, 0, 0, 0, (int)raw_len }, fmt[6] = { 0, 0, 0, 0, 0, 1 };
	PGresult *r = db_query_ex(c, SQL_QUARANTINE, 6, p, len, fmt, 0, err);
	PQclear(r);
	return r ? 0 : -1;
}

/* a raw-only quarantine entry whose mail is now stored as message `message` */
static void queue_resolve_raw(db_batch *b, int64_t entry, int64_t message, bool duplicate)
{
	char q[24], m[24], obj[40];
	const char *p[3] = { db_int_param(q, entry), db_int_param(m, message),
			     duplicate ? "reparsed: stored before as message " : "reparsed: stored as message " };
	db_batch_add(b, "UPDATE defectd.quarantine SET resolved_at = now(), resolution = $3 || $2,"
			" message_id = $2::bigint WHERE id = $1::bigint AND resolved_at IS NULL",
		     3, p, NULL);
	snprintf(obj, sizeof obj, "quarantine:%lld", (long long)entry);
	json_t *d = json_pack("{sI sb}", "message", (json_int_t)message, "duplicate", duplicate);
	queue_audit(b, "quarantine.reparse", obj, d);
	json_decref(d);
}

/* the records as defectd.ingest_message takes them: [{"kind", "defect_ref", "fields": {…},
 * "personal": [[key, value], …]}, …]; personal fields in the record's order */
static char *records_json(const parse_result *r, const vocab *v, char **err)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->nrecords; i++) {
		const record *rec = &r->records[i];
		json_t *o = record_json(rec, v), *pers = json_array();
		for (size_t j = 0; j < rec->nfields; j++) {
			const field_def *f = vocab_field_at(v, (size_t)rec->fields[j].field);
			if (f && f->personal && rec->fields[j].value)
				json_array_append_new(pers, json_pack("[ss]", f->key, rec->fields[j].value));
		}
		json_object_set_new(o, "personal", pers);
		json_array_append_new(a, o);
	}
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (!s)
		*err = xstrdup("parse result: cannot encode its records as JSON");
	return s;
}

/* defectd.ingest_message's answer into *out; 0 or -1 with *err */
static int ingest_result(const PGresult *r, store_result *out, char **err)
{
	json_error_t je;
	const char *s = r && PQntuples(r) == 1 ? db_value(r, 0, 0) : NULL;
	json_t *o = s ? json_loads(s, 0, &je) : NULL, *refs = json_object_get(o, "refs"), *x;
	size_t i;
	if (!json_is_integer(json_object_get(o, "message"))) {
		*err = xasprintf("defectd.ingest_message: unexpected answer %s", s ? s : "(none)");
		json_decref(o);
		return -1;
	}
	out->message = json_integer_value(json_object_get(o, "message"));
	out->duplicate = json_is_true(json_object_get(o, "duplicate"));
	if (out->duplicate)
		out->quarantined = false;	/* stored before: its first storing decided */
	out->opened = (unsigned)json_integer_value(json_object_get(o, "opened"));
	out->applied = (unsigned)json_integer_value(json_object_get(o, "applied"));
	out->uncorrelated = (unsigned)json_integer_value(json_object_get(o, "uncorrelated"));
	json_array_foreach(refs, i, x)
		if (json_is_string(x))
			sl_push(&out->refs, xstrdup(json_string_value(x)));
	json_decref(o);
	return 0;
}

/*
 * BEGIN, defectd.ingest_message and COMMIT in one round trip; with `ahead` only sent (the
 * answer lands in out->answer, read by store_ingest_wait).  A message that resolves a raw
 * quarantine entry waits for the answer before COMMIT: the entry names the message.
 */
static int ingest(PGconn *c, const store_input *in, store_result *out, bool ahead, char **err)
{
	int rc = -1;
	msg_fields mf = { STRLIST_INIT, NULL, NULL, NULL, NULL, NULL };
	db_batch b = DB_BATCH_INIT;
	const char **thread = NULL;
	char *thread_arr = NULL, *recs = NULL, *req = NULL, uid[24];
	size_t nthread = 0;
	*out = (store_result){ 0 };

	if (in->raw_len > (size_t)INT32_MAX || (in->mailbox && !in->source_key)) {
		*err = xstrdup(in->mailbox && !in->source_key ? "store_ingest: mailbox without source key"
							     : "store_ingest: message too large");
		goto out;
	}
	if (prepare(in->r, in->v, &mf, err) < 0 || !(recs = records_json(in->r, in->v, err)))
		goto out;
	thread = thread_of(in->r, &nthread);
	thread_arr = db_text_array(thread, nthread);
	req = track_required(in->tc);
	snprintf(uid, sizeof uid, "%" PRIu64, in->uid);
	const parse_result *pr = in->r;
	const char *p[17] = { pr->message_id, in->raw ? in->raw : "", pr->from, pr->subject, pr->date,
			      pr->in_reply_to, mf.references_arr, thread_arr, in->mailbox, in->source_key, uid,
			      mf.status, mf.reason, mf.warnings_arr, mf.json, recs, req };
	int len[17] = { 0 }, fmt[17] = { 0 };
	len[1] = (int)in->raw_len;	/* the raw mail goes as binary */
	fmt[1] = 1;
	out->quarantined = pr->error != NULL;
	db_batch_add(&b, "BEGIN", 0, NULL, NULL);
	/* a session that has generic plans already (the daemon's) needs no SET LOCAL */
	if (!db_generic_plans(c))
		db_batch_add(&b, SQL_GENERIC_PLANS, 0, NULL, NULL);
	db_batch_add_ex(&b, SQL_INGEST, 17, p, len, fmt, &out->answer);
	if (in->resolves) {
		if (db_batch_run(c, &b, err) < 0 || ingest_result(out->answer, out, err) < 0)
			goto out;
		queue_resolve_raw(&b, in->resolves, out->message, out->duplicate);
	}
	db_batch_add(&b, "COMMIT", 0, NULL, NULL);
	if (ahead) {
		if (db_batch_send(c, &b, err) < 0)
			goto out;
	} else if (db_batch_run(c, &b, err) < 0 || (!in->resolves && ingest_result(out->answer, out, err) < 0)) {
		goto out;
	}
	rc = 0;
out:
	db_batch_free(&b);
	free(thread);
	free(thread_arr);
	free(recs);
	free(req);
	msg_fields_free(&mf);
	return finish(c, rc == 0, err);
}

int store_ingest(PGconn *c, const store_input *in, store_result *out, char **err)
{
	return ingest(c, in, out, false, err);
}

int store_ingest_send(PGconn *c, const store_input *in, store_result *out, char **err)
{
	return ingest(c, in, out, true, err);
}

int store_ingest_wait(PGconn *c, store_result *out, char **err)
{
	bool ok = db_wait(c, err) == 0 && (out->message || ingest_result(out->answer, out, err) == 0);
	return finish(c, ok, err);
}

int store_quarantine(PGconn *c, const char *mailbox, const char *source_key, uint64_t uid,
		     const char *raw, size_t raw_len, store_qkind kind, const char *reason, char **err)
{
	int rc = -1;
	int64_t mb = 0;
	PGresult *r = NULL;
	bool settled = false;
	if (raw_len > (size_t)INT32_MAX || (mailbox && !source_key)) {
		*err = xstrdup("store_quarantine: message too large or no source key");
		goto out;
	}
	if (db_begin(c, err) < 0 || (mailbox && mailbox_ensure(c, mailbox, &mb, err) < 0))
		goto out;
	if (mb) {
		char m[24];
		const char *p[2] = { db_int_param(m, mb), source_key };
		if (!(r = db_query(c, SQL_ITEM_LOCK, 2, p, err)))
			goto out;
		const char *state = db_value(r, 0, 0);
		settled = state && strcmp(state, "pending") != 0;
	}
	if (!settled) {
		if (quarantine_row(c, 0, mb, source_key, store_qkind_name(kind), reason, raw, raw_len, err) < 0 ||
		    (mb && item_settle(c, mb, source_key, uid, 0, "quarantined", err) < 0))
			goto out;
	} else if (uid > 0) {
		char m[24], u[24];
		const char *p[2] = { db_int_param(m, mb), db_int_param(u, (int64_t)uid) };
		if (run(c, SQL_LAST_UID, 2, p, err) < 0)
			goto out;
	}
	if (db_commit(c, err) < 0)
		goto out;
	rc = 0;
out:
	PQclear(r);
	return finish(c, rc == 0, err);
}

/* the raw bytes of row `id` by `sql` (one bytea column); `what` names the row */
static int read_raw(PGconn *c, const char *sql, const char *what, int64_t id, char **raw, size_t *len,
		    char **err)
{
	int rc = -1;
	char m[24];
	const char *p[1] = { db_int_param(m, id) };
	PGresult *r = db_query_ex(c, sql, 1, p, NULL, NULL, 1, err);
	if (!r)
		goto out;
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
		*err = xasprintf("%s %s not found", what, m);
		goto out;
	}
	*len = (size_t)PQgetlength(r, 0, 0);
	*raw = xmalloc(*len + 1);
	memcpy(*raw, PQgetvalue(r, 0, 0), *len);
	(*raw)[*len] = '\0';
	rc = 0;
out:
	PQclear(r);
	return finish(c, rc == 0, err);
}

int store_message_raw(PGconn *c, int64_t message, char **raw, size_t *len, char **err)
{
	return read_raw(c, "SELECT raw FROM defectd.messages WHERE id = $1", "message", message, raw, len, err);
}

int store_quarantine_raw(PGconn *c, int64_t entry, char **raw, size_t *len, char **err)
{
	return read_raw(c, "SELECT raw FROM defectd.quarantine WHERE id = $1", "raw mail of quarantine entry",
			entry, raw, len, err);
}

/* ---- re-parse, assignment, recompute ---------------------------------------------------- */

/* assigned[i] = the defect record i was given by hand (for at most nrecords records) */
static int load_assigned(PGconn *c, const char *msg, size_t nrecords, int64_t **assigned, char **err)
{
	char n[24];
	const char *p[2] = { msg, db_int_param(n, (int64_t)nrecords) };
	PGresult *r = db_query(c, SQL_ASSIGNED, 2, p, err);
	if (!r)
		return -1;
	*assigned = xcalloc(nrecords ? nrecords : 1, sizeof **assigned);
	for (int i = 0; i < PQntuples(r); i++)
		(*assigned)[db_int(r, i, 0)] = db_int(r, i, 1);
	PQclear(r);
	return 0;
}

int store_reparse(PGconn *c, int64_t message, const parse_result *pr, const vocab *v,
		  const track_conf *tc, store_result *out, char **err)
{
	int rc = -1;
	msg_fields mf = { STRLIST_INIT, NULL, NULL, NULL, NULL, NULL };
	track_msg tm = { 0 };
	store_result local;
	int64_t *old = NULL, *reuse = NULL, *assigned = NULL, mailbox;
	size_t nold = 0, nreuse = 0;
	const char **thread = NULL;
	PGresult *r = NULL;
	json_t *d = NULL;
	db_batch b = DB_BATCH_INIT;
	char msg[24], *obj = xasprintf("message:%lld", (long long)message);
	const char *pm[1] = { db_int_param(msg, message) };
	if (!out)
		out = &local;
	*out = (store_result){ 0 };

	if (prepare(pr, v, &mf, err) < 0 || db_begin(c, err) < 0)
		goto out;
	if (!(r = db_query(c, "SELECT mailbox_id, source_key FROM defectd.messages WHERE id = $1 FOR UPDATE",
			   1, pm, err)))
		goto out;
	if (PQntuples(r) != 1) {
		*err = xasprintf("message %s not found", msg);
		goto out;
	}
	mailbox = db_int(r, 0, 0);
	if (query_ids(c, SQL_CONTRIBUTED, 1, pm, &old, &nold, err) < 0 ||
	    query_ids(c, SQL_OPENED_BY, 1, pm, &reuse, &nreuse, err) < 0 ||
	    load_assigned(c, msg, pr->nrecords, &assigned, err) < 0)
		goto out;
	/* in one round trip: hold the defects it contributed to (as applying a record does),
	 * remove what it contributed, recompute them from what is left, update the message row */
	strbuf ids = STRBUF_INIT;
	sb_addc(&ids, '{');
	for (size_t i = 0; i < nold; i++)
		sb_addf(&ids, "%s%lld", i ? "," : "", (long long)old[i]);
	sb_addc(&ids, '}');
	db_batch_add(&b, SQL_LOCK_DEFECTS, 1, (const char *const[]){ sb_str(&ids) }, NULL);
	sb_free(&ids);
	db_batch_add(&b, SQL_UNCONTRIBUTE, 1, pm, NULL);
	for (size_t i = 0; i < nold; i++)
		track_queue_recompute(&b, old[i], tc);
	const char *pu[11] = { msg, pr->message_id, pr->from, pr->subject, pr->date, pr->in_reply_to,
			       mf.references_arr, mf.status, mf.reason, mf.warnings_arr, mf.json };
	db_batch_add(&b, SQL_MESSAGE_UPDATE, 11, pu, NULL);
	if (db_batch_run(c, &b, err) < 0)
		goto out;
	tm = (track_msg){ .c = c, .q = &b, .tc = tc, .message = message, .mailbox = mailbox,
			  .source_key = db_value(r, 0, 1), .reuse = reuse, .nreuse = nreuse,
			  .assigned = assigned, .nassigned = pr->nrecords };
	if (pr->error) {
		out->quarantined = true;
		if (quarantine_row(c, message, mailbox, tm.source_key, "unparsable", pr->error, NULL, 0, err) < 0)
			goto out;
	} else {
		thread = thread_of(pr, &tm.nthread);
		tm.thread = thread;
		if (apply_records(&tm, pr, v, err) < 0)
			goto out;
	}
	/* defects it opened and no longer uses: gone when nothing else refers to them (once
	 * what the records queued is written) */
	if (tm.reused < nreuse && db_batch_run(c, &b, err) < 0)
		goto out;
	for (size_t i = tm.reused; i < nreuse; i++) {
		char dd[24];
		const char *p[1] = { db_int_param(dd, reuse[i]) };
		PGresult *x = db_query(c, SQL_DROP_UNUSED_DEFECT, 1, p, err);
		if (!x)
			goto out;
		bool dropped = PQntuples(x) == 1;
		PQclear(x);
		if (!dropped)
			track_queue_recompute(&b, reuse[i], tc);
	}
	d = json_pack("{s:s,s:i,s:i,s:i}", "status", mf.status, "opened", (int)tm.opened, "applied",
		      (int)tm.applied, "uncorrelated", (int)tm.uncorrelated);
	queue_audit(&b, "message.reparse", obj, d);
	db_batch_add(&b, "COMMIT", 0, NULL, NULL);
	if (db_batch_run(c, &b, err) < 0)
		goto out;
	out->message = message;
	take_counts(out, &tm);
	rc = 0;
out:
	if (out == &local)
		store_result_free(&local);
	db_batch_free(&b);
	json_decref(d);
	free(obj);
	PQclear(r);
	free(old);
	free(reuse);
	free(assigned);
	free(thread);
	track_msg_free(&tm);
	msg_fields_free(&mf);
	return finish(c, rc == 0, err);
}

/* the stored form of an uncorrelated record: records.fields and its personal_data rows */
typedef struct stored_rec {
	PGresult *rec, *personal;
	json_t *fields;
	track_kv *f, *p;
	track_rec tr;
} stored_rec;

static void stored_rec_free(stored_rec *s)
{
	PQclear(s->rec);
	PQclear(s->personal);
	json_decref(s->fields);
	free(s->f);
	free(s->p);
}

static int load_record(PGconn *c, const char *msg, const char *idx, stored_rec *s, char **err)
{
	int rc = -1;
	const char *p[2] = { msg, idx };
	json_error_t je;
	if (!(s->rec = db_query(c, "SELECT kind, defect_ref, fields::text FROM defectd.records"
				   " WHERE message_id = $1 AND idx = $2", 2, p, err)) ||
	    !(s->personal = db_query(c, "SELECT field, value FROM defectd.personal_data"
					" WHERE message_id = $1 AND record_index = $2 AND defect_id IS NULL"
					" ORDER BY id", 2, p, err)))
		goto out;
	if (PQntuples(s->rec) != 1) {
		*err = xasprintf("message %s has no record %s", msg, idx);
		goto out;
	}
	if (!(s->fields = json_loads(db_value(s->rec, 0, 2), 0, &je)) || !json_is_object(s->fields)) {
		*err = xasprintf("record %s of message %s: bad fields", idx, msg);
		goto out;
	}
	size_t nf = 0, np = (size_t)PQntuples(s->personal);
	s->f = xcalloc(json_object_size(s->fields) + 1, sizeof *s->f);
	s->p = xcalloc(np + 1, sizeof *s->p);
	const char *key;
	json_t *val;
	json_object_foreach(s->fields, key, val)
		if (json_is_string(val))
			s->f[nf++] = (track_kv){ key, json_string_value(val) };
	for (size_t i = 0; i < np; i++)
		s->p[i] = (track_kv){ db_value(s->personal, (int)i, 0), db_value(s->personal, (int)i, 1) };
	s->tr = (track_rec){ vocab_kind_parse(db_value(s->rec, 0, 0)), db_value(s->rec, 0, 1),
			     atoi(idx), s->f, nf, s->p, np };
	rc = 0;
out:
	return rc;
}

int store_assign(PGconn *c, int64_t quarantine_id, const char *ref, const track_conf *tc, char **err)
{
	int rc = -1;
	char q[24], msg[24], idx[24], dd[24];
	const char *pq[1] = { db_int_param(q, quarantine_id) };
	PGresult *qr = NULL, *dr = NULL;
	stored_rec s = { 0 };
	track_msg tm = { 0 };
	db_batch b = DB_BATCH_INIT;
	json_t *d = json_pack("{s:s}", "defect", ref ? ref : "");
	char *obj = xasprintf("quarantine:%s", q);

	if (db_begin(c, err) < 0 ||
	    !(qr = db_query(c, "SELECT message_id, record_index, reason_kind, resolved_at IS NOT NULL,"
			       " mailbox_id, source_key FROM defectd.quarantine WHERE id = $1 FOR UPDATE",
			    1, pq, err)))
		goto out;
	if (PQntuples(qr) != 1) {
		*err = xasprintf("quarantine entry %s not found", q);
		goto out;
	}
	if (strcmp(db_value(qr, 0, 2), "uncorrelated") != 0 || !db_value(qr, 0, 0) || !db_value(qr, 0, 1)) {
		*err = xasprintf("quarantine entry %s is not an uncorrelated record", q);
		goto out;
	}
	if (db_bool(qr, 0, 3)) {
		*err = xasprintf("quarantine entry %s is already resolved", q);
		goto out;
	}
	const char *pd[1] = { ref };
	if (!(dr = db_query(c, "SELECT id FROM defectd.defects WHERE ref = $1", 1, pd, err)))
		goto out;
	if (PQntuples(dr) != 1) {
		*err = xasprintf("no defect %s", ref ? ref : "(none)");
		goto out;
	}
	int64_t defect = db_int(dr, 0, 0), message = db_int(qr, 0, 0);
	db_int_param(msg, message);
	db_int_param(idx, db_int(qr, 0, 1));
	const char *pr[2] = { msg, idx };
	if (load_record(c, msg, idx, &s, err) < 0 ||
	    run(c, "WITH a AS (DELETE FROM defectd.personal_data WHERE message_id = $1"
		   " AND record_index = $2 AND defect_id IS NULL)"
		   " DELETE FROM defectd.records WHERE message_id = $1 AND idx = $2", 2, pr, err) < 0)
		goto out;
	tm = (track_msg){ .c = c, .q = &b, .tc = tc, .message = message, .mailbox = db_int(qr, 0, 4),
			  .source_key = db_value(qr, 0, 5) };
	const char *pres[3] = { q, ref, db_int_param(dd, defect) };
	if (track_apply(&tm, &s.tr, defect, err) < 0)
		goto out;
	db_batch_add(&b, "UPDATE defectd.quarantine SET resolved_at = now(), resolution = 'assigned to ' || $2,"
			 " defect_id = $3 WHERE id = $1", 3, pres, NULL);
	queue_audit(&b, "quarantine.assign", obj, d);
	db_batch_add(&b, "COMMIT", 0, NULL, NULL);
	if (db_batch_run(c, &b, err) < 0)
		goto out;
	rc = 0;
out:
	db_batch_free(&b);
	stored_rec_free(&s);
	track_msg_free(&tm);
	PQclear(qr);
	PQclear(dr);
	json_decref(d);
	free(obj);
	return finish(c, rc == 0, err);
}

int store_recompute_all(PGconn *c, const track_conf *tc, size_t *count, char **err)
{
	int rc = -1;
	db_batch b = DB_BATCH_INIT;
	int64_t *ids = NULL;
	size_t n = 0;
	if (db_begin(c, err) < 0 || query_ids(c, "SELECT id FROM defectd.defects ORDER BY id", 0, NULL, &ids, &n, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		track_queue_recompute(&b, ids[i], tc);
		if ((i + 1) % 64 == 0 && db_batch_run(c, &b, err) < 0)
			goto out;
	}
	char *req = track_required(tc);
	json_t *d = json_pack("{s:I,s:s}", "defects", (json_int_t)n, "required_fields", req);
	queue_audit(&b, "recompute", "defects", d);
	json_decref(d);
	free(req);
	db_batch_add(&b, "COMMIT", 0, NULL, NULL);
	if (db_batch_run(c, &b, err) < 0)
		goto out;
	rc = 0;
	if (count)
		*count = n;
out:
	db_batch_free(&b);
	free(ids);
	return finish(c, rc == 0, err);
}
