/*
 * test_store — the database layer against a real PostgreSQL (tests/integration/test_store.sh
 * starts one): migrations, roles and privileges, exactly-once storage, correlation, the three
 * tracks, history, personal data kept apart, quarantine, re-parse and hand assignment.
 *
 * Usage: test_store SQL_DIR   (libpq finds the server through PGHOST/PGPORT/PGUSER; PGUSER
 * must be a superuser: the test creates its database and plays the operator's part)
 * Store calls run as defectd_daemon, so the grants are tested as the daemon uses them.
 */
#include "db.h"
#include "message.h"
#include "record.h"
#include "store.h"
#include "track.h"
#include "vocab.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_DB "defectd_store_test"

static int passed, failed;
static PGconn *A;	/* superuser: setup and checks */
static PGconn *D;	/* defectd_daemon: every store call of ingestion */
static PGconn *M;	/* defectd_maintainer: re-parse, hand assignment (defectctl's writes) */
static vocab *V;

static void check(bool ok, int line, const char *fmt, ...) PRINTF(3, 4);
static void check(bool ok, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s - ", ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	if (!ok)
		printf("  (line %d)", line);
	putchar('\n');
	va_end(ap);
	ok ? passed++ : failed++;
}
#define CHECK(cond, ...) check((cond), __LINE__, __VA_ARGS__)

/* ---- query helpers (checks only) ------------------------------------------------------- */

static char *ring[32];
static size_t ring_at;

static const char *keep(char *s)
{
	ring_at = (ring_at + 1) % ARRAY_LEN(ring);
	free(ring[ring_at]);
	ring[ring_at] = s;
	return s;
}

/* first column of the first row ("" when no row, "NULL" for SQL NULL, "ERROR:sqlstate" on
 * error); parameters NULL-terminated */
static const char *vq(PGconn *c, const char *sql, va_list ap)
{
	const char *p[16];
	int n = 0;
	const char *s;
	while (n < 16 && (s = va_arg(ap, const char *)))
		p[n++] = s;
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	char *out;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		out = xasprintf("ERROR:%s", state ? state : "?");
		if (!state)
			fprintf(stderr, "# %s", PQerrorMessage(c));
	} else if (st == PGRES_COMMAND_OK || PQntuples(r) == 0) {
		out = xstrdup("");
	} else {
		out = xstrdup(PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return keep(out);
}

static const char *q(PGconn *c, const char *sql, ...) __attribute__((sentinel));
static const char *q(PGconn *c, const char *sql, ...)
{
	va_list ap;
	va_start(ap, sql);
	const char *s = vq(c, sql, ap);
	va_end(ap);
	return s;
}

static bool eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* ---- parse results built by hand -------------------------------------------------------- */

static parse_result *pr_new(const char *mid, const char *subject, const char *date, const char *irt)
{
	parse_result *r = xcalloc(1, sizeof *r);
	r->message_id = mid ? xstrdup(mid) : NULL;
	r->from = xstrdup("dealer@example.jp");
	r->subject = subject ? xstrdup(subject) : NULL;
	r->date = date ? xstrdup(date) : NULL;
	r->in_reply_to = irt ? xstrdup(irt) : NULL;
	return r;
}

/* add a record: key, value, key, value, …, NULL */
static void pr_add(parse_result *r, record_kind kind, const char *ref, ...) __attribute__((sentinel));
static void pr_add(parse_result *r, record_kind kind, const char *ref, ...)
{
	record *rec = result_add_record(r);
	rec->kind = kind;
	rec->defect_ref = ref ? xstrdup(ref) : NULL;
	va_list ap;
	va_start(ap, ref);
	const char *k;
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		int i = vocab_field_index(V, k);
		if (i < 0) {
			fprintf(stderr, "test bug: unknown field %s\n", k);
			exit(2);
		}
		record_set(rec, i, xstrdup(v));
	}
	va_end(ap);
}

static void pr_free(parse_result *r)
{
	parse_result_free(r);
	free(r);
}

static char *raw_of(const parse_result *r)
{
	return xasprintf("Message-ID: %s\r\nSubject: %s\r\n\r\n(test body %p)\r\n",
			 r->message_id ? r->message_id : "", r->subject ? r->subject : "", (const void *)r);
}

static int64_t last_message;

/* store r as mailbox "inbox" item "7/uid"; returns the store_rc, fills out */
static int ingest(const parse_result *r, uint64_t uid, store_result *out)
{
	char *raw = raw_of(r), *key = xasprintf("7/%llu", (unsigned long long)uid), *err = NULL;
	store_input in = { "inbox", key, uid, raw, strlen(raw), r, V, NULL, 0 };
	int rc = store_ingest(D, &in, out, &err);
	if (rc != STORE_OK)
		fprintf(stderr, "# store_ingest: %s\n", err);
	last_message = out->message;
	free(err);
	free(key);
	free(raw);
	return rc;
}

static const char *ref0(const store_result *s)
{
	return s->refs.n ? s->refs.v[0] : "(none)";
}

static char idbuf[8][24];
static int idat;
static const char *num(int64_t n)
{
	idat = (idat + 1) % 8;
	return db_int_param(idbuf[idat], n);
}

/* ---- the tests ----------------------------------------------------------------------------- */

static void test_migrations(const char *sql_dir)
{
	strlist applied = STRLIST_INIT;
	char *err = NULL;
	int rc = db_migrate(A, sql_dir, &applied, &err);
	CHECK(rc == 0 && applied.n >= 2 && eq(applied.v[0], "001_schema.sql") && eq(applied.v[1], "002_roles.sql"),
	      "first migration applies 001_schema.sql, 002_roles.sql … (%zu files) %s", applied.n, err ? err : "");
	size_t first = applied.n;
	sl_free(&applied);
	xfree(&err);
	rc = db_migrate(A, sql_dir, &applied, &err);
	CHECK(rc == 0 && applied.n == 0, "second migration applies nothing (%zu) %s", applied.n, err ? err : "");
	CHECK(atoi(q(A, "SELECT count(*) FROM defectd.schema_migrations", NULL)) == (int)first,
	      "schema_migrations lists each file once");
	sl_free(&applied);
	xfree(&err);
}

static void test_roles(void)
{
	CHECK(eq(q(A, "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'defectd_daemon'", NULL), "f"),
	      "defectd_daemon is NOSUPERUSER NOBYPASSRLS");
	CHECK(eq(q(A, "SELECT (SELECT count(*) FROM pg_class WHERE relowner = 'defectd_daemon'::regrole)"
		      " + (SELECT count(*) FROM pg_namespace WHERE nspowner = 'defectd_daemon'::regrole)"
		      " + (SELECT count(*) FROM pg_proc WHERE proowner = 'defectd_daemon'::regrole)"
		      " + (SELECT count(*) FROM pg_type WHERE typowner = 'defectd_daemon'::regrole)", NULL), "0"),
	      "defectd_daemon owns nothing");
	CHECK(eq(q(A, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		      " WHERE n.nspname = 'defectd' AND c.relowner <> 'defectd_owner'::regrole", NULL), "0") &&
	      eq(q(A, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'defectd'", NULL), "defectd_owner"),
	      "the schema and all its objects belong to defectd_owner");
	CHECK(eq(q(D, "CREATE TABLE defectd.intruder (x int)", NULL), "ERROR:42501"),
	      "the daemon cannot create objects in the schema");
}

/* ids of the defects by ref */
static const char *defect_col(const char *ref, const char *col)
{
	/* col is a constant from this file; the value is a parameter */
	char *sql = xasprintf("SELECT %s::text FROM defectd.defects WHERE ref = $1", col);
	const char *v = q(A, sql, ref, NULL);
	free(sql);
	return v;
}

static int64_t msg_a, msg_b, msg_g, msg_i, msg_k;

static void test_ingest(void)
{
	store_result s;
	/* A: a complete defect report with personal data */
	parse_result *a = pr_new("<a1@dealer.example>", "市場不具合のご報告", "2026-01-21T09:30:00+09:00", NULL);
	pr_add(a, KIND_DEFECT_REPORT, NULL, "report_no", "R-001", "report_date", "2026-01-20",
	       "dealer_code", "D100", "dealer_name", "東京販売", "product_model", "EVC-7K",
	       "serial_no", "T6K2301A62057", "occurred_date", "2026-01-19", "defect_type", "NO_CHARGE",
	       "symptom", "充電ランプが点灯しない", "customer_name", "山田太郎",
	       "customer_phone", "090-1234-5678", "customer_address", "東京都港区1-2-3", NULL);
	sl_push(&a->warnings, xstrdup("customer_phone: not a phone number: 090-1234-567X"));
	sl_push(&a->warnings, xstrdup("occurred_date: not a date: 先週"));
	int rc = ingest(a, 1, &s);
	msg_a = s.message;
	CHECK(rc == STORE_OK && s.opened == 1 && !s.duplicate && eq(ref0(&s), "MD-2026-00001"),
	      "a defect report opens MD-2026-00001 (%s)", ref0(&s));
	store_result_free(&s);
	const char *d1 = defect_col("MD-2026-00001", "id");
	CHECK(eq(defect_col("MD-2026-00001", "data_status"), "complete") &&
	      eq(defect_col("MD-2026-00001", "serial_no"), "T6K2301A62057") &&
	      eq(defect_col("MD-2026-00001", "occurred_date"), "2026-01-19") &&
	      eq(defect_col("MD-2026-00001", "repair_status"), "open") &&
	      eq(defect_col("MD-2026-00001", "part_status"), "not_required") &&
	      eq(defect_col("MD-2026-00001", "closed"), "false"),
	      "its current values and tracks: data complete, repair open, part not required, open");
	CHECK(eq(q(A, "SELECT count(*) FROM defectd.personal_data WHERE defect_id = $1 AND current", d1, NULL), "3") &&
	      eq(q(A, "SELECT value FROM defectd.personal_data WHERE defect_id = $1 AND field = 'customer_name'", d1, NULL), "山田太郎"),
	      "personal data goes to personal_data");
	CHECK(eq(q(A, "SELECT count(*) FROM defectd.field_values WHERE field LIKE 'customer%' OR value IN"
		      " ('山田太郎', '090-1234-5678', '東京都港区1-2-3')", NULL), "0") &&
	      eq(q(A, "SELECT count(*) FROM defectd.field_values WHERE defect_id = $1", d1, NULL), "9"),
	      "field_values holds the 9 non-personal fields and no personal data");
	CHECK(eq(q(A, "SELECT count(*) FROM defectd.messages WHERE parse_json::text ~ '山田|090-1234|港区'"
		      " OR (parse_json -> 'records')::text ~ 'customer_' OR array_to_string(warnings, ' ') ~ '090-1234'",
		   NULL), "0") &&
	      eq(q(A, "SELECT parse_json #>> '{records,0,fields,serial_no}' FROM defectd.messages WHERE id = $1",
		   num(msg_a), NULL), "T6K2301A62057") &&
	      eq(q(A, "SELECT count(*) FROM defectd.records WHERE fields::text ~ '山田|customer_'", NULL), "0"),
	      "messages.parse_json, warnings and records.fields carry no personal data");
	CHECK(eq(q(A, "SELECT warnings[1] FROM defectd.messages WHERE id = $1", num(msg_a), NULL),
		 "customer_phone: value withheld (personal data)") &&
	      eq(q(A, "SELECT warnings[2] FROM defectd.messages WHERE id = $1", num(msg_a), NULL),
		 "occurred_date: not a date: 先週"),
	      "a warning quoting a personal value is withheld, others kept");

	/* B: the next one, symptom missing */
	parse_result *b = pr_new("<b1@dealer.example>", "不具合報告", "2026-01-22T10:00:00+09:00", NULL);
	pr_add(b, KIND_DEFECT_REPORT, NULL, "report_no", "R-002", "dealer_code", "D200",
	       "product_model", "EVC-3K", "serial_no", "SN-B-0002", "occurred_date", "2026-01-21",
	       "defect_type", "DISPLAY", NULL);
	rc = ingest(b, 2, &s);
	msg_b = s.message;
	CHECK(rc == STORE_OK && s.opened == 1 && eq(ref0(&s), "MD-2026-00002"),
	      "the next defect report opens MD-2026-00002 (%s)", ref0(&s));
	store_result_free(&s);
	CHECK(eq(defect_col("MD-2026-00002", "data_status"), "missing") &&
	      eq(defect_col("MD-2026-00002", "missing_fields"), "{symptom}"),
	      "data track: missing {symptom}");

	/* A again, fetched under another UID */
	rc = ingest(a, 3, &s);
	CHECK(rc == STORE_OK && s.duplicate && s.message == msg_a && s.opened == 0 && s.refs.n == 0,
	      "the same message stored twice is stored once (duplicate flag)");
	store_result_free(&s);
	CHECK(eq(q(A, "SELECT count(*) FROM defectd.messages", NULL), "2") &&
	      eq(q(A, "SELECT count(*) FROM defectd.defects", NULL), "2") &&
	      eq(q(A, "SELECT state || ' ' || message_id FROM defectd.mailbox_items WHERE source_key = '7/3'", NULL),
		 keep(xasprintf("done %lld", (long long)msg_a))),
	      "the duplicate only marks its mailbox item done");

	/* no Message-ID: the content hash decides; noise is kept as ignored */
	parse_result *n = pr_new(NULL, "自動応答: 不在です", NULL, NULL);
	n->noise = xstrdup("auto-reply");
	char *raw = xstrdup("Subject: auto\r\n\r\nI am away.\r\n"), *err = NULL;
	store_input in = { "inbox", "7/4", 4, raw, strlen(raw), n, V, NULL, 0 };
	store_result s1, s2;
	int rc1 = store_ingest(D, &in, &s1, &err);
	in.source_key = "7/5", in.uid = 5;
	int rc2 = store_ingest(D, &in, &s2, &err);
	CHECK(rc1 == STORE_OK && rc2 == STORE_OK && !s1.duplicate && s2.duplicate && s1.message == s2.message &&
	      eq(q(A, "SELECT status || ' ' || reason || ' ' || left(identity, 7) FROM defectd.messages WHERE id = $1",
		   num(s1.message), NULL), "ignored auto-reply sha256:"),
	      "mail without Message-ID is recognised by its content hash; noise is stored as ignored");
	store_result_free(&s1);
	store_result_free(&s2);
	free(raw);
	free(err);
	pr_free(n);
	CHECK(eq(q(A, "SELECT last_uid FROM defectd.mailboxes WHERE name = 'inbox'", NULL), "5"),
	      "last_uid follows the stored UIDs");
	pr_free(a);
	pr_free(b);
}

static void test_tracks(void)
{
	store_result s;
	/* C: repair report with the [MD-…] tag */
	parse_result *c = pr_new("<c1@dealer.example>", "[MD-2026-00001] 修理完了報告", "2026-01-26T12:00:00+09:00", NULL);
	pr_add(c, KIND_REPAIR_REPORT, "MD-2026-00001", "repair_date", "2026-01-25", "repair_action", "基板交換",
	       "replaced_part", "PCB-01", "part_return", "true", "technician", "佐藤", NULL);
	int rc = ingest(c, 10, &s);
	CHECK(rc == STORE_OK && s.applied == 1 && s.opened == 0 && eq(ref0(&s), "MD-2026-00001"),
	      "a repair report with [MD-2026-00001] applies to it");
	store_result_free(&s);
	CHECK(eq(defect_col("MD-2026-00001", "repair_status"), "repaired") &&
	      eq(defect_col("MD-2026-00001", "repaired_at"), "2026-01-25") &&
	      eq(defect_col("MD-2026-00001", "part_status"), "pending") &&
	      eq(defect_col("MD-2026-00001", "pending_at"), "2026-01-25") &&
	      eq(defect_col("MD-2026-00001", "closed"), "false") &&
	      eq(q(A, "SELECT count(*) FROM defectd.repairs r JOIN defectd.defects d ON d.id = r.defect_id"
		      " WHERE d.ref = 'MD-2026-00001' AND r.part_return AND r.replaced_part = 'PCB-01'", NULL), "1"),
	      "repaired (2026-01-25), part pending, not closed, repairs row kept");

	/* D: shipment notice without a ref, by serial number */
	parse_result *d = pr_new("<d1@dealer.example>", "不具合品返送のご連絡", "2026-01-27T15:00:00+09:00", NULL);
	pr_add(d, KIND_SHIPMENT_NOTICE, NULL, "serial_no", "T6K2301A62057", "shipped_date", "2026-01-27",
	       "carrier", "YAMATO", "tracking_no", "123456789012", NULL);
	rc = ingest(d, 11, &s);
	CHECK(rc == STORE_OK && s.applied == 1 && eq(ref0(&s), "MD-2026-00001") &&
	      eq(q(A, "SELECT matched_by FROM defectd.records WHERE message_id = $1", num(s.message), NULL), "serial_no"),
	      "a shipment notice without ref correlates by serial number");
	store_result_free(&s);
	CHECK(eq(defect_col("MD-2026-00001", "part_status"), "shipped") &&
	      eq(defect_col("MD-2026-00001", "shipped_at"), "2026-01-27") &&
	      eq(defect_col("MD-2026-00001", "tracking_no"), "123456789012"),
	      "part shipped on 2026-01-27, tracking number current");

	/* E: the supplier's receipt, a reply to D: by In-Reply-To */
	parse_result *e = pr_new("<e1@supplier.example>", "Re: 不具合品返送のご連絡", "2026-02-02T09:00:00+09:00",
				 "<d1@dealer.example>");
	sl_push(&e->references, xstrdup("<d1@dealer.example>"));
	pr_add(e, KIND_PART_RECEIPT, NULL, "received_date", "2026-01-30", "analysis_result", "コンデンサ劣化", NULL);
	rc = ingest(e, 12, &s);
	CHECK(rc == STORE_OK && s.applied == 1 && eq(ref0(&s), "MD-2026-00001") &&
	      eq(q(A, "SELECT matched_by FROM defectd.records WHERE message_id = $1", num(s.message), NULL), "thread"),
	      "a part receipt correlates by In-Reply-To");
	store_result_free(&s);
	CHECK(eq(defect_col("MD-2026-00001", "part_status"), "analyzed") &&
	      eq(defect_col("MD-2026-00001", "received_at"), "2026-01-30") &&
	      eq(defect_col("MD-2026-00001", "analyzed_at"), "2026-02-02") &&
	      eq(defect_col("MD-2026-00001", "closed"), "true") &&
	      !eq(defect_col("MD-2026-00001", "closed_at"), "NULL"),
	      "part received and analyzed: repaired + analyzed = closed");

	/* F: a late shipment notice does not move the part back */
	parse_result *f = pr_new("<f1@dealer.example>", "[MD-2026-00001] 返送", "2026-02-03T09:00:00+09:00", NULL);
	pr_add(f, KIND_SHIPMENT_NOTICE, "MD-2026-00001", "shipped_date", "2026-01-28", NULL);
	rc = ingest(f, 13, &s);
	store_result_free(&s);
	CHECK(rc == STORE_OK && eq(defect_col("MD-2026-00001", "part_status"), "analyzed") &&
	      eq(defect_col("MD-2026-00001", "closed"), "true") &&
	      eq(q(A, "SELECT note FROM defectd.part_events WHERE message_id = $1", num(last_message), NULL),
		 "late shipment notice: the part was already analyzed; status kept"),
	      "a late shipment notice is recorded with a note and keeps 'analyzed'");

	/* G: a shipment nobody can place */
	parse_result *g = pr_new("<g1@dealer.example>", "返送のご連絡", "2026-02-04T09:00:00+09:00", NULL);
	pr_add(g, KIND_SHIPMENT_NOTICE, NULL, "serial_no", "UNKNOWN-999", "tracking_no", "999900001111",
	       "customer_name", "鈴木一郎", NULL);
	rc = ingest(g, 14, &s);
	msg_g = s.message;
	CHECK(rc == STORE_OK && s.uncorrelated == 1 && s.applied == 0 && s.opened == 0 && s.refs.n == 0,
	      "an uncorrelated shipment notice is not applied");
	store_result_free(&s);
	CHECK(eq(q(A, "SELECT reason_kind || ' ' || record_index || ' ' || source_key FROM defectd.quarantine"
		      " WHERE message_id = $1", num(msg_g), NULL), "uncorrelated 0 7/14") &&
	      eq(q(A, "SELECT outcome FROM defectd.records WHERE message_id = $1 AND defect_id IS NULL", num(msg_g), NULL),
		 "uncorrelated") &&
	      eq(q(A, "SELECT count(*) FROM defectd.personal_data WHERE message_id = $1 AND defect_id IS NULL",
		   num(msg_g), NULL), "1") &&
	      eq(q(A, "SELECT count(*) FROM defectd.defects", NULL), "2"),
	      "it goes to the quarantine (record 0), its personal data kept without a defect");

	/* H: repair report found by report number, part not required -> closed */
	parse_result *h = pr_new("<h1@dealer.example>", "修理報告", "2026-02-05T09:00:00+09:00", NULL);
	pr_add(h, KIND_REPAIR_REPORT, NULL, "report_no", "R-002", "repair_date", "2026-02-01",
	       "part_return", "false", NULL);
	rc = ingest(h, 15, &s);
	CHECK(rc == STORE_OK && s.applied == 1 && eq(ref0(&s), "MD-2026-00002") &&
	      eq(q(A, "SELECT matched_by FROM defectd.records WHERE message_id = $1", num(s.message), NULL), "report_no"),
	      "a repair report correlates by report number");
	store_result_free(&s);
	CHECK(eq(defect_col("MD-2026-00002", "repair_status"), "repaired") &&
	      eq(defect_col("MD-2026-00002", "part_status"), "not_required") &&
	      eq(defect_col("MD-2026-00002", "closed"), "true"),
	      "closed after the repair when the part is not required");

	/* I: the dealer corrects the model and adds the symptom */
	parse_result *i = pr_new("<i1@dealer.example>", "Re: [MD-2026-00002] データ不足", "2026-02-06T09:00:00+09:00", NULL);
	pr_add(i, KIND_DEFECT_REPORT, "MD-2026-00002", "product_model", "EVC-3K-B", "symptom", "表示が消える", NULL);
	rc = ingest(i, 16, &s);
	msg_i = s.message;
	CHECK(rc == STORE_OK && s.applied == 1 && s.opened == 0, "a defect report with a known ref adds to it");
	store_result_free(&s);
	CHECK(eq(q(A, "SELECT string_agg(v.value || ':' || v.current, ',' ORDER BY v.message_id, v.record_index) FROM defectd.field_values v"
		      " JOIN defectd.defects d ON d.id = v.defect_id WHERE d.ref = 'MD-2026-00002' AND field = 'product_model'",
		   NULL), "EVC-3K:false,EVC-3K-B:true") &&
	      eq(defect_col("MD-2026-00002", "product_model"), "EVC-3K-B"),
	      "history keeps both values, the later one current (%s)",
	      q(A, "SELECT string_agg(v.value || ':' || v.current, ',' ORDER BY v.message_id, v.record_index) FROM defectd.field_values v"
		   " JOIN defectd.defects d ON d.id = v.defect_id WHERE d.ref = 'MD-2026-00002' AND field = 'product_model'", NULL));
	CHECK(eq(defect_col("MD-2026-00002", "data_status"), "complete") &&
	      !eq(defect_col("MD-2026-00002", "data_complete_at"), "NULL"),
	      "the data track becomes complete");

	/* J: the year of the report date numbers the defect */
	parse_result *j = pr_new("<j1@dealer.example>", "不具合報告", "2026-02-07T09:00:00+09:00", NULL);
	pr_add(j, KIND_DEFECT_REPORT, NULL, "report_date", "2025-12-28", "serial_no", "SN-J", NULL);
	rc = ingest(j, 17, &s);
	CHECK(rc == STORE_OK && s.opened == 1 && eq(ref0(&s), "MD-2025-00001"),
	      "numbering is per year of the report date (%s)", ref0(&s));
	store_result_free(&s);

	/* K: an unknown ref on a defect report opens a new defect, noted */
	parse_result *k = pr_new("<k1@dealer.example>", "[MD-2026-09999] 不具合報告", "2026-02-08T09:00:00+09:00", NULL);
	pr_add(k, KIND_DEFECT_REPORT, "MD-2026-09999", "serial_no", "SN-K", NULL);
	rc = ingest(k, 18, &s);
	msg_k = s.message;
	CHECK(rc == STORE_OK && s.opened == 1 && eq(ref0(&s), "MD-2026-00003") &&
	      eq(q(A, "SELECT note FROM defectd.records WHERE message_id = $1", num(msg_k), NULL),
		 "defect_ref MD-2026-09999 unknown"),
	      "a defect report with an unknown ref opens MD-2026-00003 and says why");
	store_result_free(&s);

	/* L: a parse error keeps the message, quarantined */
	parse_result *l = pr_new("<l1@dealer.example>", "壊れたメール", NULL, NULL);
	l->error = xstrdup("multipart boundary is empty");
	rc = ingest(l, 19, &s);
	CHECK(rc == STORE_OK && s.quarantined &&
	      eq(q(A, "SELECT m.status || ' ' || q.reason_kind || ' ' || q.reason || ' ' || i.state"
		      " FROM defectd.messages m JOIN defectd.quarantine q ON q.message_id = m.id"
		      " JOIN defectd.mailbox_items i ON i.message_id = m.id WHERE m.id = $1", num(s.message), NULL),
		 "quarantined unparsable multipart boundary is empty quarantined"),
	      "a parse error: message kept with status quarantined, entry 'unparsable', item quarantined");
	store_result_free(&s);

	pr_free(c);
	pr_free(d);
	pr_free(e);
	pr_free(f);
	pr_free(g);
	pr_free(h);
	pr_free(i);
	pr_free(j);
	pr_free(k);
	pr_free(l);
}

static void test_reparse_assign(void)
{
	store_result s;
	char *err = NULL;
	const char *d2 = keep(xstrdup(defect_col("MD-2026-00002", "id")));

	/* B again, as a better parser would read it */
	parse_result *b = pr_new("<b1@dealer.example>", "不具合報告", "2026-01-22T10:00:00+09:00", NULL);
	pr_add(b, KIND_DEFECT_REPORT, NULL, "report_no", "R-002", "dealer_code", "D200",
	       "product_model", "EVC-3K-R", "serial_no", "SN-B-0002", "occurred_date", "2026-01-21",
	       "defect_type", "DISPLAY", "error_code", "E-42", NULL);
	int rc = store_reparse(M, msg_b, b, V, NULL, &s, &err);
	CHECK(rc == STORE_OK && s.opened == 1 && eq(ref0(&s), "MD-2026-00002") &&
	      eq(defect_col("MD-2026-00002", "id"), d2) &&
	      eq(q(A, "SELECT count(*) FROM defectd.defects", NULL), "4"),
	      "re-parsing the message that opened MD-2026-00002 keeps its number %s", err ? err : "");
	store_result_free(&s);
	xfree(&err);
	CHECK(eq(q(A, "SELECT string_agg(value || ':' || current, ',' ORDER BY message_id) FROM defectd.field_values"
		      " WHERE defect_id = $1 AND field = 'product_model'", d2, NULL), "EVC-3K-R:false,EVC-3K-B:true") &&
	      eq(defect_col("MD-2026-00002", "error_code"), "E-42") &&
	      eq(q(A, "SELECT count(*) FROM defectd.records WHERE message_id = $1", num(msg_b), NULL), "1"),
	      "its old values are replaced, the later message's value stays current");

	/* I again: its contribution is replaced */
	parse_result *i = pr_new("<i1@dealer.example>", "Re: [MD-2026-00002] データ不足", "2026-02-06T09:00:00+09:00", NULL);
	pr_add(i, KIND_DEFECT_REPORT, "MD-2026-00002", "product_model", "EVC-3K-C", NULL);
	rc = store_reparse(M, msg_i, i, V, NULL, NULL, &err);
	CHECK(rc == STORE_OK &&
	      eq(q(A, "SELECT string_agg(value || ':' || current, ',' ORDER BY message_id) FROM defectd.field_values"
		      " WHERE defect_id = $1 AND field = 'product_model'", d2, NULL), "EVC-3K-R:false,EVC-3K-C:true") &&
	      eq(defect_col("MD-2026-00002", "data_status"), "missing") &&
	      eq(defect_col("MD-2026-00002", "missing_fields"), "{symptom}"),
	      "re-parse replaces a message's contribution and recomputes the tracks %s", err ? err : "");
	xfree(&err);

	/* K again, now read as noise: the defect it opened had nothing else and goes */
	parse_result *k = pr_new("<k1@dealer.example>", "[MD-2026-09999] 不具合報告", "2026-02-08T09:00:00+09:00", NULL);
	k->noise = xstrdup("auto-reply");
	rc = store_reparse(M, msg_k, k, V, NULL, NULL, &err);
	CHECK(rc == STORE_OK && eq(defect_col("MD-2026-00003", "id"), "") &&
	      eq(q(A, "SELECT status FROM defectd.messages WHERE id = $1", num(msg_k), NULL), "ignored"),
	      "a re-parse that yields nothing removes the defect only it made %s", err ? err : "");
	xfree(&err);

	/* assign G's uncorrelated shipment by hand */
	const char *qid = keep(xstrdup(q(A, "SELECT id FROM defectd.quarantine WHERE message_id = $1", num(msg_g), NULL)));
	rc = store_assign(M, atoll(qid), "MD-2026-00002", NULL, &err);
	CHECK(rc == STORE_OK &&
	      eq(q(A, "SELECT (resolved_at IS NOT NULL) || ' ' || resolution || ' ' || defect_id FROM defectd.quarantine"
		      " WHERE id = $1", qid, NULL), keep(xasprintf("true assigned to MD-2026-00002 %s", d2))) &&
	      eq(q(A, "SELECT outcome || ' ' || matched_by || ' ' || defect_id FROM defectd.records WHERE message_id = $1",
		   num(msg_g), NULL), keep(xasprintf("assigned hand %s", d2))),
	      "assign resolves the quarantined record and applies it %s", err ? err : "");
	xfree(&err);
	CHECK(eq(defect_col("MD-2026-00002", "part_status"), "shipped") &&
	      eq(defect_col("MD-2026-00002", "closed"), "false") &&
	      eq(q(A, "SELECT defect_id FROM defectd.personal_data WHERE message_id = $1", num(msg_g), NULL), d2),
	      "the assigned shipment moves the part to shipped; its personal data follows");
	rc = store_assign(M, atoll(qid), "MD-2026-00002", NULL, &err);
	CHECK(rc == STORE_BAD, "assigning a resolved entry again is refused: %s", err ? err : "");
	xfree(&err);

	/* G re-parsed: still matches nothing, so the hand assignment holds */
	parse_result *g = pr_new("<g1@dealer.example>", "返送のご連絡", "2026-02-04T09:00:00+09:00", NULL);
	pr_add(g, KIND_SHIPMENT_NOTICE, NULL, "serial_no", "UNKNOWN-999", "tracking_no", "999900001111", NULL);
	rc = store_reparse(M, msg_g, g, V, NULL, NULL, &err);
	CHECK(rc == STORE_OK &&
	      eq(q(A, "SELECT outcome || ' ' || defect_id FROM defectd.records WHERE message_id = $1", num(msg_g), NULL),
		 keep(xasprintf("assigned %s", d2))) &&
	      eq(q(A, "SELECT count(*) FROM defectd.quarantine WHERE message_id = $1 AND resolved_at IS NULL",
		   num(msg_g), NULL), "0") &&
	      eq(q(A, "SELECT count(*) FROM defectd.personal_data WHERE message_id = $1", num(msg_g), NULL), "0"),
	      "re-parse keeps a hand assignment %s", err ? err : "");
	xfree(&err);

	char *raw = NULL;
	size_t len = 0;
	rc = store_message_raw(M, msg_a, &raw, &len, &err);
	CHECK(rc == STORE_OK && raw && strncmp(raw, "Message-ID: <a1@dealer.example>", 31) == 0 && len == strlen(raw),
	      "store_message_raw returns the stored mail");
	free(raw);
	xfree(&err);
	rc = store_recompute_all(M, NULL, NULL, &err);
	CHECK(rc == STORE_OK, "store_recompute_all %s", err ? err : "");
	xfree(&err);
	CHECK(eq(q(A, "SELECT count(*) FROM defectd.audit_log WHERE action IN ('message.reparse', 'quarantine.assign')", NULL), "5"),
	      "re-parses and the assignment are in the audit log");
	pr_free(b);
	pr_free(i);
	pr_free(k);
	pr_free(g);
}

static void test_mailbox(void)
{
	char *err = NULL, *halted = NULL;
	uint64_t uv = 99, last = 99;
	int rc = store_mailbox_get(D, "other", &uv, &last, &halted, &err);
	CHECK(rc == STORE_OK && uv == 0 && last == 0 && !halted, "a new mailbox starts empty");
	rc = store_mailbox_set_uidvalidity(D, "other", 1000, &err);
	int rc2 = store_mailbox_set_uidvalidity(D, "other", 1000, &err);
	CHECK(rc == STORE_OK && rc2 == STORE_OK, "the first UIDVALIDITY is recorded");
	rc = store_mailbox_set_uidvalidity(D, "other", 2000, &err);
	CHECK(rc == STORE_BAD, "a changed UIDVALIDITY is refused: %s", err ? err : "");
	xfree(&err);

	int attempts = 0;
	bool done = true;
	rc = store_item_attempt(D, "other", "1000/7", 7, &attempts, &done, &err);
	int a1 = attempts;
	rc2 = store_item_attempt(D, "other", "1000/7", 7, &attempts, &done, &err);
	CHECK(rc == STORE_OK && rc2 == STORE_OK && a1 == 1 && attempts == 2 && !done, "attempts are counted per item");
	const char *raw = "From: x\r\n\r\n\xff\xfe garbage";
	rc = store_quarantine(D, "other", "1000/7", 7, raw, strlen(raw), STORE_Q_POISON, "3 attempts failed", &err);
	CHECK(rc == STORE_OK &&
	      eq(q(A, "SELECT reason_kind || ' ' || (raw = $1::bytea) FROM defectd.quarantine WHERE source_key = '1000/7'",
		   "\\x46726f6d3a20780d0a0d0afffe2067617262616765", NULL), "poison true") &&
	      eq(q(A, "SELECT state FROM defectd.mailbox_items WHERE source_key = '1000/7'", NULL), "quarantined") &&
	      eq(q(A, "SELECT last_uid FROM defectd.mailboxes WHERE name = 'other'", NULL), "7"),
	      "poison mail is quarantined with its raw bytes; the item is settled and last_uid advances");
	rc = store_quarantine(D, "other", "1000/7", 7, raw, strlen(raw), STORE_Q_POISON, "again", &err);
	rc2 = store_item_attempt(D, "other", "1000/7", 7, &attempts, &done, &err);
	CHECK(rc == STORE_OK && rc2 == STORE_OK && done && attempts == 2 &&
	      eq(q(A, "SELECT count(*) FROM defectd.quarantine WHERE source_key = '1000/7'", NULL), "1"),
	      "a settled item is reported done and not quarantined twice");

	/* first attempts in one statement: new items only; the rest count one by one */
	const char *keys[4] = { "1000/20", "1000/21", "1000/7", "1000/22" };
	const uint64_t uids[4] = { 20, 21, 7, 22 };
	bool fresh[4] = { false, false, true, false };
	rc = store_items_first_attempt(D, "other", keys, uids, 3, fresh, &err);
	CHECK(rc == STORE_OK && fresh[0] && fresh[1] && !fresh[2] &&
	      eq(q(A, "SELECT string_agg(source_key || ':' || attempts || ':' || state || ':' || uid, ',' ORDER BY uid)"
		      " FROM defectd.mailbox_items WHERE source_key IN ('1000/20', '1000/21', '1000/7')", NULL),
		 "1000/7:2:quarantined:7,1000/20:1:pending:20,1000/21:1:pending:21"),
	      "first attempts: new items get their row and one attempt, a settled one is left alone: %s",
	      err ? err : "");
	rc = store_items_first_attempt(D, "other", keys, uids, 4, fresh, &err);
	CHECK(rc == STORE_OK && !fresh[0] && !fresh[1] && !fresh[2] && fresh[3] &&
	      eq(q(A, "SELECT attempts FROM defectd.mailbox_items WHERE source_key = '1000/20'", NULL), "1"),
	      "first attempts again (a run cut short): items seen before are not fresh and not counted again");
	rc = store_item_attempt(D, "other", "1000/20", 20, &attempts, &done, &err);
	CHECK(rc == STORE_OK && attempts == 2 && !done, "an item tried before then counts its own attempt");
	rc = store_items_first_attempt(D, "no such mailbox", keys, uids, 4, fresh, &err);
	CHECK(rc == STORE_OK && !fresh[0] && !fresh[3], "first attempts for a mailbox without its row: none fresh");
	rc = store_quarantine(D, "other", "1000/8", 8, NULL, 0, STORE_Q_TOO_BIG, "30 MB > 25 MB", &err);
	CHECK(rc == STORE_OK && eq(q(A, "SELECT raw IS NULL FROM defectd.quarantine WHERE source_key = '1000/8'", NULL), "t"),
	      "too big mail is quarantined unread");

	rc = store_mailbox_halt(D, "other", "UIDVALIDITY changed from 1000 to 2000", &err);
	rc2 = store_mailbox_get(D, "other", &uv, &last, &halted, &err);
	CHECK(rc == STORE_OK && rc2 == STORE_OK && halted && !strcmp(halted, "UIDVALIDITY changed from 1000 to 2000") &&
	      uv == 1000 && last == 8, "halt stops the mailbox with a reason");
	xfree(&halted);
	rc = store_mailbox_resume(D, "other", 2000, &err);
	rc2 = store_mailbox_get(D, "other", &uv, &last, &halted, &err);
	CHECK(rc == STORE_OK && rc2 == STORE_OK && !halted && uv == 2000 && last == 0,
	      "resume clears the halt, takes the new UIDVALIDITY and rescans from UID 1");
	CHECK(eq(q(D, "UPDATE defectd.mailboxes SET backlog = 3 WHERE name = 'other'", NULL), ""),
	      "the daemon records the server-side backlog");
	rc = store_mailbox_poll_result(D, "other", "connection refused", &err);
	rc2 = store_mailbox_poll_result(D, "other", NULL, &err);
	CHECK(rc == STORE_OK && rc2 == STORE_OK &&
	      eq(q(A, "SELECT last_error || ' ' || (last_ok_at >= last_error_at) || ' ' || (last_poll_at IS NOT NULL)"
		      " FROM defectd.mailboxes WHERE name = 'other'", NULL), "connection refused true true"),
	      "poll results are recorded");
	free(err);
}

static void test_privileges(void)
{
	CHECK(eq(q(A, "SET ROLE defectd_reader", NULL), ""), "SET ROLE defectd_reader");
	CHECK(eq(q(A, "SELECT count(*) FROM defectd.personal_data", NULL), "ERROR:42501"),
	      "reader: personal_data is not readable (permission denied)");
	CHECK(eq(q(A, "SELECT raw FROM defectd.messages LIMIT 1", NULL), "ERROR:42501") &&
	      eq(q(A, "SELECT raw FROM defectd.quarantine LIMIT 1", NULL), "ERROR:42501"),
	      "reader: messages.raw and quarantine.raw are not readable (permission denied)");
	CHECK(eq(q(A, "SELECT count(*) FROM defectd.defect_list", NULL), "3") &&
	      eq(q(A, "SELECT count(*) FROM defectd.field_values", NULL), q(M, "SELECT count(*) FROM defectd.field_values", NULL)) &&
	      !strncmp(q(A, "SELECT subject FROM defectd.messages ORDER BY id LIMIT 1", NULL), "市場", 6) &&
	      eq(q(A, "SELECT count(*) FROM defectd.quarantine WHERE reason_kind = 'poison'", NULL), "1"),
	      "reader: defect_list, history, message headers and the quarantine are readable");
	CHECK(eq(q(A, "RESET ROLE", NULL), "") && eq(q(A, "SET ROLE defectd_personal", NULL), ""), "SET ROLE defectd_personal");
	CHECK(strncmp(q(A, "SELECT count(*) FROM defectd.personal_data", NULL), "ERROR", 5) != 0 &&
	      eq(q(A, "SELECT encode(substr(raw, 1, 11), 'escape') FROM defectd.messages ORDER BY id LIMIT 1", NULL),
		 "Message-ID:"),
	      "personal role: personal_data and the raw mail are readable");
	CHECK(eq(q(A, "RESET ROLE", NULL), ""), "RESET ROLE");
}

static void test_lock(void)
{
	char *err = NULL;
	PGconn *d2 = db_connect("dbname=" TEST_DB " user=defectd_daemon", NULL, &err);
	bool first = db_try_lock_mailbox(D, "inbox");
	bool again = db_try_lock_mailbox(D, "inbox");
	bool other = d2 && db_try_lock_mailbox(d2, "inbox");
	CHECK(first && again && !other, "one poller per mailbox: the standby does not get the lock");
	CHECK(eq(q(A, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted", NULL), "1"),
	      "asking again while holding it does not stack the lock");
	CHECK(d2 && db_try_lock_mailbox(d2, "outbox"), "another mailbox is independent");
	db_unlock_mailbox(D, "inbox");
	CHECK(d2 && db_try_lock_mailbox(d2, "inbox"), "the standby takes over once the lock is free");
	CHECK(!db_connection_lost(D), "db_connection_lost is false on a live connection");
	PQfinish(d2);
	free(err);
}

static void test_end_to_end(void)
{
	static const char eml[] =
		"From: dealer@example.jp\r\n"
		"To: list@example.jp\r\n"
		"Subject: =?UTF-8?B?5biC5aC05LiN5YW35ZCI44Gu44GU5aCx5ZGK?=\r\n"
		"Date: Tue, 10 Feb 2026 10:00:00 +0900\r\n"
		"Message-ID: <e2e-1@example.jp>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"\r\n"
		"販売店コード：D300\r\n"
		"製品型式：EVC-7K\r\n"
		"製造番号：E2E-SERIAL-1\r\n"
		"発生日：2026年2月9日\r\n"
		"不具合区分：充電できない\r\n"
		"症状：充電が始まらない\r\n"
		"お客様名：田中花子\r\n";
	parse_limits lim;
	parse_limits_default(&lim);
	parse_result r = { 0 };
	int prc = message_parse(eml, sizeof eml - 1, V, &lim, &r);
	store_result s;
	char *err = NULL;
	store_input in = { "inbox", "7/30", 30, eml, sizeof eml - 1, &r, V, NULL, 0 };
	int rc = prc == 0 ? store_ingest(D, &in, &s, &err) : STORE_BAD;
	CHECK(rc == STORE_OK && s.opened == 1 &&
	      eq(q(A, "SELECT ref FROM defectd.defects WHERE serial_no = 'E2E-SERIAL-1'", NULL), "MD-2026-00004") &&
	      eq(q(A, "SELECT value FROM defectd.personal_data p JOIN defectd.defects d ON d.id = p.defect_id"
		      " WHERE d.serial_no = 'E2E-SERIAL-1'", NULL), "田中花子") &&
	      eq(q(A, "SELECT count(*) FROM defectd.messages WHERE parse_json::text LIKE '%田中%'", NULL), "0"),
	      "a real mail through message_parse opens MD-2026-00004 with its customer apart %s",
	      err ? err : r.error ? r.error : "");
	if (rc == STORE_OK)
		store_result_free(&s);
	parse_result_free(&r);
	free(err);
}

static void test_errors(void)
{
	store_result s;
	char *err = NULL;
	const char *before = keep(xstrdup(q(A, "SELECT count(*) FROM defectd.messages", NULL)));

	/* a record that fails half-way: the year's counter is exhausted */
	q(A, "INSERT INTO defectd.defect_numbers (year, last) VALUES (2030, 99999)", NULL);
	parse_result *x = pr_new("<x1@dealer.example>", "不具合報告", "2030-01-05T09:00:00+09:00", NULL);
	pr_add(x, KIND_DEFECT_REPORT, NULL, "report_date", "2030-01-04", "serial_no", "SN-X", NULL);
	char *raw = raw_of(x);
	store_input in = { "inbox", "7/40", 40, raw, strlen(raw), x, V, NULL, 0 };
	int rc = store_ingest(D, &in, &s, &err);
	CHECK(rc == STORE_BAD && eq(q(A, "SELECT count(*) FROM defectd.messages", NULL), before) &&
	      eq(q(A, "SELECT count(*) FROM defectd.mailbox_items WHERE source_key = '7/40'", NULL), "0"),
	      "a failure inside a message rolls all of it back (STORE_BAD): %s", err ? err : "");
	xfree(&err);
	free(raw);
	pr_free(x);

	parse_result *u = pr_new("<u1@dealer.example>", "bad \xff utf-8", NULL, NULL);
	raw = raw_of(u);
	in = (store_input){ "inbox", "7/41", 41, raw, strlen(raw), u, V, NULL, 0 };
	rc = store_ingest(D, &in, &s, &err);
	CHECK(rc == STORE_BAD && err && strstr(err, "subject"), "invalid UTF-8 in a parse result is refused: %s",
	      err ? err : "");
	xfree(&err);
	free(raw);
	pr_free(u);

	/* privileges missing is not the message's fault */
	q(A, "REVOKE INSERT ON defectd.messages FROM defectd_daemon", NULL);
	parse_result *p = pr_new("<p1@dealer.example>", "不具合報告", NULL, NULL);
	pr_add(p, KIND_DEFECT_REPORT, NULL, "serial_no", "SN-P", NULL);
	raw = raw_of(p);
	in = (store_input){ "inbox", "7/42", 42, raw, strlen(raw), p, V, NULL, 0 };
	rc = store_ingest(D, &in, &s, &err);
	CHECK(rc == STORE_TEMP, "a missing privilege is STORE_TEMP (retry, not poison): %s", err ? err : "");
	xfree(&err);
	q(A, "GRANT INSERT ON defectd.messages TO defectd_daemon", NULL);

	/* the connection goes away */
	PGconn *d2 = db_connect("dbname=" TEST_DB " user=defectd_daemon", NULL, &err);
	if (d2) {
		q(A, "SELECT pg_terminate_backend($1::int)", num(PQbackendPID(d2)), NULL);
		in.source_key = "7/43", in.uid = 43;
		rc = store_ingest(d2, &in, &s, &err);
		CHECK(rc == STORE_TEMP && db_connection_lost(d2), "a lost connection is STORE_TEMP and db_connection_lost: %s",
		      err ? err : "");
		xfree(&err);
		PQfinish(d2);
	}
	free(raw);
	pr_free(p);
	free(err);
}

/* several records of one message, statements sent as pipelines, re-planning */
static void test_batching(void)
{
	store_result s;
	char *err = NULL;

	/* M: one mail opens a defect, then repairs it and ships the part, found by the serial
	 * number the first record gave it (so the defect's columns are up to date in between) */
	parse_result *m = pr_new("<m1@dealer.example>", "不具合・修理・返送", "2027-03-01T09:00:00+09:00", NULL);
	pr_add(m, KIND_DEFECT_REPORT, NULL, "report_date", "2027-02-27", "serial_no", "SN-M1", "product_model", "EVC-7K",
	       "customer_name", "山田一郎", NULL);
	pr_add(m, KIND_REPAIR_REPORT, NULL, "serial_no", "SN-M1", "repair_date", "2027-02-28", "part_return", "true",
	       "product_model", "EVC-7K-B", "customer_name", "山田 一郎", NULL);
	pr_add(m, KIND_SHIPMENT_NOTICE, NULL, "serial_no", "SN-M1", "tracking_no", "777700001111", NULL);
	int rc = ingest(m, 50, &s);
	CHECK(rc == STORE_OK && s.opened == 1 && s.applied == 2 && s.refs.n == 1 && eq(ref0(&s), "MD-2027-00001") &&
	      eq(q(A, "SELECT string_agg(outcome || '/' || matched_by, ',' ORDER BY idx) FROM defectd.records"
		      " WHERE message_id = $1", num(s.message), NULL), "opened/new,applied/serial_no,applied/serial_no"),
	      "three records of one mail: opened, then found by the serial number it gave (%s)",
	      q(A, "SELECT string_agg(outcome || '/' || coalesce(matched_by, '-'), ',' ORDER BY idx) FROM defectd.records"
		   " WHERE message_id = $1", num(s.message), NULL));
	store_result_free(&s);
	CHECK(eq(defect_col("MD-2027-00001", "repair_status"), "repaired") &&
	      eq(defect_col("MD-2027-00001", "part_status"), "shipped") &&
	      eq(defect_col("MD-2027-00001", "pending_at"), "2027-02-28") &&
	      eq(defect_col("MD-2027-00001", "product_model"), "EVC-7K-B") &&
	      eq(defect_col("MD-2027-00001", "tracking_no"), "777700001111"),
	      "its tracks and current values are those of the last record");
	const char *dm = keep(xstrdup(defect_col("MD-2027-00001", "id")));
	CHECK(eq(q(A, "SELECT string_agg(value || ':' || current, ',' ORDER BY record_index) FROM defectd.field_values"
		      " WHERE defect_id = $1 AND field = 'product_model'", dm, NULL), "EVC-7K:false,EVC-7K-B:true") &&
	      eq(q(A, "SELECT string_agg(value || ':' || current, ',' ORDER BY record_index) FROM defectd.personal_data"
		      " WHERE defect_id = $1 AND field = 'customer_name'", dm, NULL), "山田一郎:false,山田 一郎:true") &&
	      eq(q(A, "SELECT count(DISTINCT field) = count(*) FILTER (WHERE current) FROM defectd.field_values"
		      " WHERE defect_id = $1", dm, NULL), "t"),
	      "history within one mail: the later record's value is current, one current value per field");

	/* N: a receipt with the analysis, then a shipment notice in the same mail: the notice
	 * sees the status the receipt left and is noted as late */
	parse_result *n = pr_new("<n1@supplier.example>", "[MD-2027-00001] 受領・分析", "2027-03-05T09:00:00+09:00", NULL);
	pr_add(n, KIND_PART_RECEIPT, "MD-2027-00001", "received_date", "2027-03-03", "analysis_result", "コネクタ焼損", NULL);
	pr_add(n, KIND_SHIPMENT_NOTICE, "MD-2027-00001", "shipped_date", "2027-03-01", NULL);
	rc = ingest(n, 51, &s);
	CHECK(rc == STORE_OK && s.applied == 2 && s.refs.n == 1 &&
	      eq(q(A, "SELECT note FROM defectd.part_events WHERE message_id = $1 AND record_index = 1", num(s.message), NULL),
		 "late shipment notice: the part was already analyzed; status kept") &&
	      eq(defect_col("MD-2027-00001", "part_status"), "analyzed") &&
	      eq(defect_col("MD-2027-00001", "closed"), "true"),
	      "a late notice after the receipt in the same mail is noted; analyzed and closed");
	store_result_free(&s);

	/* O: a statement failing in the middle of a pipeline: all rolled back, not the
	 * message's fault, and the connection is fine afterwards */
	q(A, "REVOKE INSERT ON defectd.part_events FROM defectd_daemon", NULL);
	parse_result *o = pr_new("<o1@dealer.example>", "[MD-2027-00001] 返送", "2027-03-06T09:00:00+09:00", NULL);
	pr_add(o, KIND_SHIPMENT_NOTICE, "MD-2027-00001", "tracking_no", "888800002222", "carrier", "SAGAWA", NULL);
	char *raw = raw_of(o);
	store_input in = { "inbox", "7/52", 52, raw, strlen(raw), o, V, NULL, 0 };
	rc = store_ingest(D, &in, &s, &err);
	CHECK(rc == STORE_TEMP && PQtransactionStatus(D) == PQTRANS_IDLE && PQpipelineStatus(D) == PQ_PIPELINE_OFF &&
	      eq(q(A, "SELECT count(*) FROM defectd.messages WHERE message_id = '<o1@dealer.example>'", NULL), "0") &&
	      eq(q(A, "SELECT count(*) FROM defectd.mailbox_items WHERE source_key = '7/52'", NULL), "0"),
	      "a failure inside a pipeline rolls the message back (STORE_TEMP for a privilege): %s", err ? err : "");
	store_result_free(&s);
	xfree(&err);
	free(raw);
	q(A, "GRANT INSERT ON defectd.part_events TO defectd_daemon", NULL);
	rc = ingest(o, 52, &s);
	CHECK(rc == STORE_OK && s.applied == 1 && !s.duplicate &&
	      eq(defect_col("MD-2027-00001", "tracking_no"), "888800002222") &&
	      eq(q(A, "SELECT state FROM defectd.mailbox_items WHERE source_key = '7/52'", NULL), "done"),
	      "the same connection stores it once the grant is back");
	store_result_free(&s);

	/* O2: the last round trip sent ahead (the daemon parses the next mail meanwhile): the
	 * connection refuses other work until the wait, and a failure in what was sent ahead
	 * rolls the whole message back at the wait */
	q(A, "REVOKE INSERT ON defectd.part_events FROM defectd_daemon", NULL);
	parse_result *o2 = pr_new("<o2@dealer.example>", "[MD-2027-00001] 返送", "2027-03-06T10:00:00+09:00", NULL);
	pr_add(o2, KIND_SHIPMENT_NOTICE, "MD-2027-00001", "tracking_no", "888800003333", NULL);
	raw = raw_of(o2);
	in = (store_input){ "inbox", "7/53", 53, raw, strlen(raw), o2, V, NULL, 0 };
	rc = store_ingest_send(D, &in, &s, &err);
	PGresult *busy = db_query(D, "SELECT 1", 0, NULL, &err);
	CHECK(rc == STORE_OK && db_deferred(D) && !busy && err && strstr(err, "not waited for"),
	      "sent ahead: the statements are out, and the connection refuses other work until the wait (%s)",
	      err ? err : "no error");
	PQclear(busy);
	xfree(&err);
	rc = store_ingest_wait(D, &s, &err);
	CHECK(rc == STORE_TEMP && !db_deferred(D) && PQtransactionStatus(D) == PQTRANS_IDLE &&
	      PQpipelineStatus(D) == PQ_PIPELINE_OFF &&
	      eq(q(A, "SELECT count(*) FROM defectd.messages WHERE message_id = '<o2@dealer.example>'", NULL), "0") &&
	      eq(q(A, "SELECT count(*) FROM defectd.mailbox_items WHERE source_key = '7/53'", NULL), "0"),
	      "a failure in what was sent ahead is reported by the wait, and all of the message is rolled back: %s",
	      err ? err : "");
	store_result_free(&s);
	xfree(&err);
	q(A, "GRANT INSERT ON defectd.part_events TO defectd_daemon", NULL);
	rc = store_ingest_send(D, &in, &s, &err);
	int rc2 = rc == STORE_OK ? store_ingest_wait(D, &s, &err) : rc;
	CHECK(rc2 == STORE_OK && s.applied == 1 && !db_deferred(D) &&
	      eq(defect_col("MD-2027-00001", "tracking_no"), "888800003333") &&
	      eq(q(A, "SELECT state FROM defectd.mailbox_items WHERE source_key = '7/53'", NULL), "done") &&
	      eq(q(A, "SELECT 1", NULL), "1") && eq(q(D, "SELECT 2", NULL), "2"),
	      "sent ahead and waited for: stored and committed, the connection free again: %s", err ? err : "");
	store_result_free(&s);
	xfree(&err);
	free(raw);
	pr_free(o2);

	/* O3: two messages out at once (the daemon keeps the server busy with the next while it
	 * reads the answer of one): they run in order, and when the first fails the second
	 * does not run at all; the rollback reads both answers */
	q(A, "REVOKE INSERT ON defectd.part_events FROM defectd_daemon", NULL);
	parse_result *o3 = pr_new("<o3@dealer.example>", "[MD-2027-00001] 返送", "2027-03-06T11:00:00+09:00", NULL);
	pr_add(o3, KIND_SHIPMENT_NOTICE, "MD-2027-00001", "tracking_no", "888800004444", NULL);
	parse_result *o4 = pr_new("<o4@dealer.example>", "不具合報告", "2027-03-06T12:00:00+09:00", NULL);
	pr_add(o4, KIND_DEFECT_REPORT, NULL, "serial_no", "SN-O4", NULL);
	char *raw3 = raw_of(o3), *raw4 = raw_of(o4);
	store_input in3 = { "inbox", "7/54", 54, raw3, strlen(raw3), o3, V, NULL, 0 };
	store_input in4 = { "inbox", "7/55", 55, raw4, strlen(raw4), o4, V, NULL, 0 };
	store_result s3, s4;
	rc = store_ingest_send(D, &in3, &s3, &err);
	rc2 = rc == STORE_OK ? store_ingest_send(D, &in4, &s4, &err) : rc;
	busy = db_query(D, "SELECT 1", 0, NULL, &err);
	CHECK(rc == STORE_OK && rc2 == STORE_OK && db_deferred(D) && !busy, "two messages out at once; the connection refuses other work until they are read (%s)",
	      err ? err : "");
	PQclear(busy);
	xfree(&err);
	rc = store_ingest_wait(D, &s3, &err);
	CHECK(rc == STORE_TEMP && !db_deferred(D) && PQtransactionStatus(D) == PQTRANS_IDLE &&
	      PQpipelineStatus(D) == PQ_PIPELINE_OFF &&
	      eq(q(A, "SELECT count(*) FROM defectd.messages WHERE message_id IN ('<o3@dealer.example>',"
		      " '<o4@dealer.example>')", NULL), "0") &&
	      eq(q(A, "SELECT count(*) FROM defectd.mailbox_items WHERE source_key IN ('7/54', '7/55')", NULL), "0") &&
	      eq(q(A, "SELECT last_uid FROM defectd.mailboxes WHERE name = 'inbox'", NULL), "53"),
	      "the first of two out fails: neither is stored (the second did not run), last_uid stays, all read: %s",
	      err ? err : "");
	store_result_free(&s3);
	store_result_free(&s4);
	xfree(&err);
	q(A, "GRANT INSERT ON defectd.part_events TO defectd_daemon", NULL);
	rc = store_ingest_send(D, &in3, &s3, &err);
	rc2 = rc == STORE_OK ? store_ingest_send(D, &in4, &s4, &err) : rc;
	int w3 = rc2 == STORE_OK ? store_ingest_wait(D, &s3, &err) : rc2;
	bool between = db_deferred(D) && PQpipelineStatus(D) == PQ_PIPELINE_ON;
	int w4 = w3 == STORE_OK ? store_ingest_wait(D, &s4, &err) : w3;
	CHECK(w3 == STORE_OK && w4 == STORE_OK && between && s3.applied == 1 && s4.opened == 1 && !db_deferred(D) &&
	      PQpipelineStatus(D) == PQ_PIPELINE_OFF && eq(defect_col("MD-2027-00001", "tracking_no"), "888800004444") &&
	      eq(q(A, "SELECT string_agg(state, ',' ORDER BY source_key) FROM defectd.mailbox_items"
		      " WHERE source_key IN ('7/54', '7/55')", NULL), "done,done") &&
	      eq(q(A, "SELECT last_uid FROM defectd.mailboxes WHERE name = 'inbox'", NULL), "55") &&
	      eq(q(D, "SELECT 2", NULL), "2"),
	      "two out at once, both fine: each answer in turn (the pipeline open in between), both stored: %s",
	      err ? err : "");
	store_result_free(&s3);
	store_result_free(&s4);
	xfree(&err);
	free(raw3);
	free(raw4);
	pr_free(o3);
	pr_free(o4);

	/* P: a mailbox that has no row yet */
	parse_result *p = pr_new("<p2@dealer.example>", "不具合報告", "2027-03-07T09:00:00+09:00", NULL);
	pr_add(p, KIND_DEFECT_REPORT, NULL, "serial_no", "SN-P2", NULL);
	raw = raw_of(p);
	in = (store_input){ "fresh-box", "9/3", 3, raw, strlen(raw), p, V, NULL, 0 };
	rc = store_ingest(D, &in, &s, &err);
	CHECK(rc == STORE_OK && s.opened == 1 &&
	      eq(q(A, "SELECT b.name || ' ' || b.last_uid || ' ' || i.state FROM defectd.messages m"
		      " JOIN defectd.mailboxes b ON b.id = m.mailbox_id"
		      " JOIN defectd.mailbox_items i ON i.mailbox_id = b.id AND i.message_id = m.id WHERE m.id = $1",
		   num(s.message), NULL), "fresh-box 3 done"),
	      "a message from a mailbox without a row yet: the row is made, item done %s", err ? err : "");
	if (rc == STORE_OK)
		store_result_free(&s);
	xfree(&err);
	free(raw);

	/* Q: statements are prepared again as they are used more (64, 256, … executions) */
	int attempts = 0, bad = 0;
	bool done = true;
	for (int k = 0; k < 300; k++)
		if (store_item_attempt(D, "replan", "1/1", 1, &attempts, &done, &err) != STORE_OK) {
			bad++;
			xfree(&err);
		}
	CHECK(bad == 0 && attempts == 300 && !done, "300 attempts through two re-plans (%d failed, %d counted)", bad,
	      attempts);

	pr_free(m);
	pr_free(n);
	pr_free(o);
	pr_free(p);
}

static PGconn *connect_or_die(const char *conninfo)
{
	char *err = NULL;
	PGconn *c = db_connect(conninfo, NULL, &err);
	if (!c) {
		fprintf(stderr, "test_store: %s\n", err);
		exit(2);
	}
	return c;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_store SQL_DIR\n");
		return 2;
	}
	char *err = NULL;
	if (!(V = vocab_default(&err))) {
		fprintf(stderr, "test_store: %s\n", err);
		return 2;
	}
	PGconn *boot = connect_or_die("dbname=postgres");
	if (db_exec(boot, "DROP DATABASE IF EXISTS " TEST_DB, &err) < 0 ||
	    db_exec(boot, "CREATE DATABASE " TEST_DB, &err) < 0) {
		fprintf(stderr, "test_store: %s\n", err);
		return 2;
	}
	PQfinish(boot);
	A = connect_or_die("dbname=" TEST_DB);

	test_migrations(argv[1]);
	/* the operator's part: let the daemon role log in (trust auth here; the password is
	 * passed only to show it travels as its own keyword) */
	if (!eq(q(A, "ALTER ROLE defectd_daemon LOGIN", NULL), "")) {
		fprintf(stderr, "test_store: cannot prepare defectd_daemon\n");
		return 2;
	}
	D = db_connect("dbname=" TEST_DB " user=defectd_daemon", "not-a-real-secret", &err);
	CHECK(D != NULL, "db_connect as defectd_daemon with a separate password %s", err ? err : "");
	if (!D)
		return 1;
	if (!eq(q(A, "ALTER ROLE defectd_maintainer LOGIN", NULL), "") ||
	    !(M = db_connect("dbname=" TEST_DB " user=defectd_maintainer", NULL, &err))) {
		fprintf(stderr, "test_store: cannot connect as defectd_maintainer: %s\n", err ? err : "");
		return 2;
	}
	test_roles();
	test_ingest();
	test_tracks();
	test_reparse_assign();
	test_mailbox();
	test_privileges();
	test_lock();
	test_end_to_end();
	test_errors();
	test_batching();

	PQfinish(M);
	PQfinish(D);
	PQfinish(A);
	vocab_free(V);
	for (size_t i = 0; i < ARRAY_LEN(ring); i++)
		free(ring[i]);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
