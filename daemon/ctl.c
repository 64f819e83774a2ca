/*
 * ctl — defectctl.  Reads the database the daemon writes; changes go through store.c
 * (reparse, assign, resume) so they follow the same rules as ingestion.  Output is an
 * aligned table that measures East Asian wide characters.  Never prints personal data:
 * `quarantine show` prints the headers and the parse warnings, not the raw mail.
 */
#include "ctl.h"
#include "config.h"
#include "db.h"
#include "store.h"
#include "text.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctl_usage(void)
{
	fputs("usage: defectctl [-c CONFIG] COMMAND\n"
	      "  status                          per mailbox: last poll, backlog, quarantine, last error;\n"
	      "                                  warns about roles that may create objects on the path\n"
	      "  list                            the defects with their three tracks\n"
	      "  quarantine list [--all]         quarantined messages and records (open ones by default)\n"
	      "  quarantine show ID              one entry: reason, message headers, warnings\n"
	      "  quarantine reparse ID           parse the entry's message again and apply it (also\n"
	      "                                  mail kept raw after a parser crash or as poison)\n"
	      "  quarantine assign ID MD-REF     assign an uncorrelated record to a defect by hand\n"
	      "  reparse --all | MESSAGE-ID...   parse stored mail again (after a parser change)\n"
	      "  mailbox resume NAME [UIDVALIDITY] clear a halt (e.g. after a UIDVALIDITY change)\n"
	      "Connects with database.ctl_conninfo (default: database.conninfo).  reparse, quarantine\n"
	      "reparse and quarantine assign read raw mail and personal data: a login granted\n"
	      "defectd_maintainer; the other commands need defectd_reader.\n",
	      stdout);
}

/* ---- an aligned table ---------------------------------------------------------- */

static void print_cell(const char *s, size_t width, bool last)
{
	size_t w = text_width(s, strlen(s));
	fputs(s, stdout);
	if (!last)
		for (; w < width + 2; w++)
			fputc(' ', stdout);
}

static void print_result(PGresult *r)
{
	int nf = PQnfields(r), nt = PQntuples(r);
	size_t *w = xcalloc((size_t)nf, sizeof *w);
	for (int f = 0; f < nf; f++) {
		w[f] = text_width(PQfname(r, f), strlen(PQfname(r, f)));
		for (int t = 0; t < nt; t++) {
			size_t x = text_width(PQgetvalue(r, t, f), strlen(PQgetvalue(r, t, f)));
			if (x > w[f])
				w[f] = x;
		}
	}
	for (int f = 0; f < nf; f++)
		print_cell(PQfname(r, f), w[f], f == nf - 1);
	fputc('\n', stdout);
	for (int f = 0; f < nf; f++) {
		for (size_t i = 0; i < w[f]; i++)
			fputc('-', stdout);
		if (f != nf - 1)
			fputs("  ", stdout);
	}
	fputc('\n', stdout);
	for (int t = 0; t < nt; t++) {
		for (int f = 0; f < nf; f++)
			print_cell(PQgetvalue(r, t, f), w[f], f == nf - 1);
		fputc('\n', stdout);
	}
	printf("(%d row%s)\n", nt, nt == 1 ? "" : "s");
	free(w);
}

static int query_print(PGconn *c, const char *sql, int n, const char *const *params)
{
	char *err = NULL;
	PGresult *r = db_query(c, sql, n, params, &err);
	if (!r) {
		fprintf(stderr, "defectctl: %s\n", err);
		free(err);
		return 1;
	}
	print_result(r);
	PQclear(r);
	return 0;
}

/* ---- commands ------------------------------------------------------------------ */

/* the table, then a line per option that weakens a mailbox's transport security */
static int cmd_status(PGconn *c, const config *conf)
{
	int rc = query_print(c,
		"SELECT m.name AS mailbox,"
		" coalesce(to_char(m.last_poll_at, 'YYYY-MM-DD HH24:MI:SS'), 'never') AS last_poll,"
		" coalesce(to_char(m.last_ok_at, 'YYYY-MM-DD HH24:MI:SS'), '-') AS last_ok,"
		" m.backlog + (SELECT count(*) FROM defectd.mailbox_items i WHERE i.mailbox_id = m.id AND i.state = 'pending') AS backlog,"
		" (SELECT count(*) FROM defectd.quarantine q WHERE q.mailbox_id = m.id AND q.resolved_at IS NULL) AS quarantine,"
		" (SELECT count(*) FROM defectd.mailbox_items i WHERE i.mailbox_id = m.id AND i.state = 'done') AS stored,"
		" CASE WHEN m.halted_reason IS NOT NULL THEN 'HALTED: ' || m.halted_reason"
		"      ELSE coalesce(m.last_error, '') END AS last_error"
		" FROM defectd.mailboxes m ORDER BY m.name",
		0, NULL);
	strlist warn = STRLIST_INIT;
	for (size_t i = 0; i < conf->nmailboxes; i++)
		config_mailbox_warnings(&conf->mailboxes[i], &warn);
	for (size_t i = 0; i < warn.n; i++)
		printf("warning: %s\n", warn.v[i]);
	sl_free(&warn);
	return rc;
}

/* SPEC §9: a role that can create objects where names are looked up can shadow them */
static int warn_schema_creators(PGconn *c)
{
	strlist who = STRLIST_INIT;
	char *err = NULL;
	int rc = 0;
	if (db_schema_creators(c, &who, &err) < 0) {
		fprintf(stderr, "defectctl: %s\n", err);
		rc = 1;
	}
	for (size_t i = 0; i < who.n; i++) {
		const char *colon = strchr(who.v[i], ':');
		bool pub = colon && (size_t)(colon - who.v[i]) == 6 && !strncmp(who.v[i], "public", 6);
		printf("warning: schema %.*s: %s may create objects there%s\n", (int)(colon ? colon - who.v[i] : 0),
		       who.v[i], colon ? colon + 2 : who.v[i],
		       pub ? " (not on defectd's search_path, but on every other session's default one: "
			     "REVOKE CREATE ON SCHEMA public FROM PUBLIC)"
			   : " and shadow what defectd calls: revoke it");
	}
	sl_free(&who);
	free(err);
	return rc;
}

static int cmd_list(PGconn *c)
{
	return query_print(c,
		"SELECT ref, to_char(opened_at, 'YYYY-MM-DD') AS opened, coalesce(dealer_name, dealer_code, '') AS dealer,"
		" coalesce(product_model, '') AS model, coalesce(serial_no, '') AS serial_no,"
		" coalesce(defect_type, '') AS type,"
		" CASE WHEN data_status = 'complete' THEN 'complete' ELSE 'missing ' || array_length(missing_fields, 1) END AS data,"
		" repair_status AS repair, part_status AS part, CASE WHEN closed THEN 'closed' ELSE 'open' END AS status"
		" FROM defectd.defect_list ORDER BY ref",
		0, NULL);
}

static int cmd_quarantine_list(PGconn *c, bool all)
{
	const char *p[] = { all ? "t" : "f" };
	return query_print(c,
		"SELECT q.id, to_char(q.created_at, 'YYYY-MM-DD HH24:MI') AS created, q.reason_kind AS kind,"
		" coalesce(b.name, '') AS mailbox, coalesce(q.message_id::text, '') AS message,"
		" coalesce(q.record_index::text, '') AS record, left(q.reason, 80) AS reason,"
		" CASE WHEN q.resolved_at IS NULL THEN 'open' ELSE coalesce(q.resolution, 'resolved') END AS state"
		" FROM defectd.quarantine q LEFT JOIN defectd.mailboxes b ON b.id = q.mailbox_id"
		" WHERE $1::boolean OR q.resolved_at IS NULL ORDER BY q.id",
		1, p);
}

static int cmd_quarantine_show(PGconn *c, const char *id)
{
	const char *p[] = { id };
	int rc = query_print(c,
		"SELECT q.id, q.reason_kind AS kind, q.reason, coalesce(b.name, '') AS mailbox, coalesce(q.source_key, '') AS key,"
		" coalesce(q.record_index::text, '') AS record, coalesce(length(q.raw)::text, '') AS raw_bytes"
		" FROM defectd.quarantine q LEFT JOIN defectd.mailboxes b ON b.id = q.mailbox_id WHERE q.id = $1::bigint",
		1, p);
	if (rc)
		return rc;
	return query_print(c,
		"SELECT m.id AS message, coalesce(m.message_id, '') AS message_id, coalesce(m.from_addr, '') AS from,"
		" coalesce(m.subject, '') AS subject, m.status, coalesce(array_to_string(m.warnings, '; '), '') AS warnings"
		" FROM defectd.quarantine q JOIN defectd.messages m ON m.id = q.message_id WHERE q.id = $1::bigint",
		1, p);
}

/* raw mail through the parser process into *r */
static int parse_in_worker(worker *w, const config *conf, const char *raw, size_t len, parse_result *r,
			   char **err)
{
	char *json = worker_parse(w, raw, len, err);
	int rc = json ? result_from_json(json, strlen(json), conf->v, r, err) : -1;
	free(json);
	return rc;
}

/* parse raw mail in the worker and apply it again */
static int reparse_message(PGconn *c, const config *conf, worker *w, int64_t id)
{
	char *err = NULL, *raw = NULL;
	size_t len = 0;
	int rc = 1;
	parse_result r = { 0 };
	store_result sr;
	memset(&sr, 0, sizeof sr);
	if (store_message_raw(c, id, &raw, &len, &err) != STORE_OK ||
	    parse_in_worker(w, conf, raw, len, &r, &err) < 0)
		goto out;
	if (store_reparse(c, id, &r, conf->v, NULL, &sr, &err) != STORE_OK)
		goto out;
	printf("message %lld: %s; %u opened, %u applied, %u uncorrelated%s\n", (long long)id,
	       r.error ? r.error : "parsed", sr.opened, sr.applied, sr.uncorrelated,
	       sr.quarantined ? " (still quarantined)" : "");
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "defectctl: message %lld: %s\n", (long long)id, err ? err : "failed");
	store_result_free(&sr);
	parse_result_free(&r);
	free(raw);
	free(err);
	return rc;
}

static worker *start_worker(const config *conf)
{
	worker_opts wo = { conf->v, conf->limits, conf->parser_timeout, conf->parser_window,
			   conf->parser_memory_mb, NULL };
	char *err = NULL;
	worker *w = worker_new(&wo, &err);
	if (!w) {
		fprintf(stderr, "defectctl: cannot start the parser: %s\n", err);
		free(err);
	}
	return w;
}

static int cmd_reparse(PGconn *c, const config *conf, int argc, char **argv)
{
	char *err = NULL;
	worker *w = start_worker(conf);
	int rc = 0;
	if (!w)
		return 1;
	if (argc >= 1 && !strcmp(argv[0], "--all")) {
		PGresult *r = db_query(c, "SELECT id FROM defectd.messages ORDER BY id", 0, NULL, &err);
		if (!r) {
			fprintf(stderr, "defectctl: %s\n", err);
			free(err);
			worker_free(w);
			return 1;
		}
		for (int i = 0; i < PQntuples(r); i++)
			rc |= reparse_message(c, conf, w, db_int(r, i, 0));
		PQclear(r);
	} else {
		for (int i = 0; i < argc; i++)
			rc |= reparse_message(c, conf, w, strtoll(argv[i], NULL, 10));
	}
	worker_free(w);
	return rc;
}

/*
 * An entry that kept only the raw mail (poison, parser crash): parse it now and, when it
 * parses, store and apply it as ingestion would, the mailbox item done and the entry
 * resolved in the same transaction.  Mail that still does not parse stays quarantined.
 */
static int reparse_raw_entry(PGconn *c, const config *conf, const char *id, PGresult *q)
{
	char *err = NULL, *raw = NULL;
	size_t len = 0;
	int rc = 1;
	parse_result r = { 0 };
	store_result sr;
	memset(&sr, 0, sizeof sr);
	worker *w = NULL;
	if (store_quarantine_raw(c, strtoll(id, NULL, 10), &raw, &len, &err) != STORE_OK ||
	    !(w = start_worker(conf)) || parse_in_worker(w, conf, raw, len, &r, &err) < 0)
		goto out;
	if (r.error) {
		err = xasprintf("still does not parse (%s); the entry stays open", r.error);
		goto out;
	}
	store_input in = { .mailbox = PQgetisnull(q, 0, 2) ? NULL : PQgetvalue(q, 0, 2),
			   .source_key = PQgetisnull(q, 0, 3) ? NULL : PQgetvalue(q, 0, 3),
			   .uid = strtoull(PQgetvalue(q, 0, 4), NULL, 10),
			   .raw = raw, .raw_len = len, .r = &r, .v = conf->v,
			   .resolves = strtoll(id, NULL, 10) };
	if (!in.source_key)
		in.mailbox = NULL;
	if (store_ingest(c, &in, &sr, &err) != STORE_OK)
		goto out;
	printf("quarantine entry %s: %s as message %lld; %u opened, %u applied, %u uncorrelated\n", id,
	       sr.duplicate ? "stored before" : "parsed and stored", (long long)sr.message, sr.opened,
	       sr.applied, sr.uncorrelated);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "defectctl: quarantine entry %s: %s\n", id, err ? err : "failed");
	if (w)
		worker_free(w);
	store_result_free(&sr);
	parse_result_free(&r);
	free(raw);
	free(err);
	return rc;
}

static int cmd_quarantine_reparse(PGconn *c, const config *conf, const char *id)
{
	const char *p[] = { id };
	char *err = NULL;
	PGresult *r = db_query(c,
		"SELECT q.message_id, q.resolved_at IS NOT NULL, b.name, q.source_key, coalesce(i.uid, 0),"
		" q.raw IS NOT NULL FROM defectd.quarantine q"
		" LEFT JOIN defectd.mailboxes b ON b.id = q.mailbox_id"
		" LEFT JOIN defectd.mailbox_items i ON i.mailbox_id = q.mailbox_id AND i.source_key = q.source_key"
		" WHERE q.id = $1::bigint", 1, p, &err);
	if (!r || PQntuples(r) != 1) {
		fprintf(stderr, "defectctl: quarantine entry %s %s\n", id, err ? err : "not found");
		free(err);
		if (r)
			PQclear(r);
		return 1;
	}
	int rc = 1;
	if (!PQgetisnull(r, 0, 0)) {
		char *argv[] = { PQgetvalue(r, 0, 0) };
		rc = cmd_reparse(c, conf, 1, argv);
	} else if (db_bool(r, 0, 1)) {
		fprintf(stderr, "defectctl: quarantine entry %s is already resolved\n", id);
	} else if (!db_bool(r, 0, 5)) {
		fprintf(stderr, "defectctl: quarantine entry %s has no mail (too big: it was never fetched)\n", id);
	} else {
		rc = reparse_raw_entry(c, conf, id, r);
	}
	PQclear(r);
	return rc;
}

static int cmd_assign(PGconn *c, const char *id, const char *ref)
{
	char *err = NULL;
	if (store_assign(c, strtoll(id, NULL, 10), ref, NULL, &err) != STORE_OK) {
		fprintf(stderr, "defectctl: %s\n", err);
		free(err);
		return 1;
	}
	printf("quarantine entry %s assigned to %s\n", id, ref);
	return 0;
}

static int cmd_resume(PGconn *c, const char *name, const char *uidvalidity)
{
	char *err = NULL;
	uint64_t v = uidvalidity ? strtoull(uidvalidity, NULL, 10) : 0;
	if (store_mailbox_resume(c, name, v, &err) != STORE_OK) {
		fprintf(stderr, "defectctl: %s\n", err);
		free(err);
		return 1;
	}
	printf("mailbox %s resumed%s\n", name, v ? " with a new UIDVALIDITY: every message is re-matched" : "");
	return 0;
}

int ctl_main(const char *config_path, int argc, char **argv)
{
	if (argc < 1) {
		ctl_usage();
		return 2;
	}
	if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
		ctl_usage();
		return 0;
	}
	config *conf = config_load_or_report(config_path, "defectctl");
	if (!conf)
		return 2;
	char *err = NULL;
	/* the daemon's login cannot read raw mail or personal data, which re-parsing needs: an
	 * operator's own login (ctl_conninfo) brings its own password through libpq */
	PGconn *c = conf->db_ctl_conninfo ? db_connect(conf->db_ctl_conninfo, NULL, &err)
					  : db_connect_config(conf, NULL, &err);
	if (!c) {
		fprintf(stderr, "defectctl: %s\n", err);
		free(err);
		config_free(conf);
		return 2;
	}
	int rc = 2;
	const char *cmd = argv[0];
	const char *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "status"))
		rc = cmd_status(c, conf) || warn_schema_creators(c);
	else if (!strcmp(cmd, "list"))
		rc = cmd_list(c);
	else if (!strcmp(cmd, "reparse") && argc >= 2)
		rc = cmd_reparse(c, conf, argc - 1, argv + 1);
	else if (!strcmp(cmd, "quarantine") && (!strcmp(sub, "list") || !*sub))
		rc = cmd_quarantine_list(c, argc > 2 && !strcmp(argv[2], "--all"));
	else if (!strcmp(cmd, "quarantine") && !strcmp(sub, "show") && argc == 3)
		rc = cmd_quarantine_show(c, argv[2]);
	else if (!strcmp(cmd, "quarantine") && !strcmp(sub, "reparse") && argc == 3)
		rc = cmd_quarantine_reparse(c, conf, argv[2]);
	else if (!strcmp(cmd, "quarantine") && !strcmp(sub, "assign") && argc == 4)
		rc = cmd_assign(c, argv[2], argv[3]);
	else if (!strcmp(cmd, "mailbox") && !strcmp(sub, "resume") && (argc == 3 || argc == 4))
		rc = cmd_resume(c, argv[2], argc == 4 ? argv[3] : NULL);
	else
		ctl_usage();
	if (rc == 1 && !conf->db_ctl_conninfo && (!strcmp(cmd, "reparse") || !strcmp(cmd, "quarantine")))
		fputs("defectctl: re-parsing and assigning read raw mail and personal data, which the daemon's "
		      "login may not: set database.ctl_conninfo to a login granted defectd_maintainer\n", stderr);
	PQfinish(c);
	config_free(conf);
	return rc;
}
