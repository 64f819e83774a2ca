/*
 * db — libpq plumbing shared by store.c and track.c, and the migration runner.
 *
 * Must never: put a value into SQL text (parameters only), log or keep the password,
 * run a migration file outside its transaction.
 */
#include "db.h"
#include "log.h"

#include <libpq-events.h>

#include <dirent.h>
#include <unistd.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* the migration lock; the mailbox locks use the one-key form with another text */
#define MIGRATE_LOCK "SELECT pg_advisory_xact_lock(hashtext('defectd.migrate'))"
#define MAX_MIGRATION_BYTES (16u << 20)

/*
 * "what: message (SQLSTATE xxxxx)": the primary message only, on one line.  DETAIL is left
 * out on purpose: it quotes row values ("Failing row contains …", "Key (…)=(…)"), which
 * may be personal data, and error strings end up in logs.
 */
static char *pg_error(PGconn *c, const PGresult *r, const char *what)
{
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg || !*msg)
		msg = c ? PQerrorMessage(c) : "no connection";
	if (!msg || !*msg)
		msg = r ? PQresStatus(PQresultStatus(r)) : "unknown error";
	size_t n = strcspn(msg, "\n");
	while (n && msg[n - 1] == ' ')
		n--;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state)
		return xasprintf("%s: %.*s (SQLSTATE %s)", what, (int)n, msg, state);
	return xasprintf("%s: %.*s", what, (int)n, msg);
}

/* ---- prepared statements ---------------------------------------------------------------
 * Planning the larger statements costs more than running them, so each statement text is
 * prepared once per session (named after a hash of its text) and executed by name after.
 * What a session has prepared lives in libpq instance data, forgotten on PQreset and freed
 * with the connection.  Protocol-level prepared statements survive a rollback.
 *
 * After five executions PostgreSQL may settle on a generic plan, costed with the table
 * sizes of that moment, and keep it until the statistics of a table change.  A daemon that
 * starts on empty tables and ingests a backlog would keep the sequential scans that suited
 * ten rows while the table grows to millions (autovacuum may not have analysed it yet), so
 * a statement is prepared afresh after 64 executions, then after four times as many each
 * time: the plans follow the growth at a cost that vanishes.
 */
#define REPLAN_FIRST 64u
#define REPLAN_FACTOR 4u

typedef struct prepared {
	const char *sql;	/* the text it was last asked for by (a constant, usually) */
	char *text;		/* a copy: the pointer alone could have been reused */
	uint64_t hash;		/* of the statement text */
	uint64_t uses;		/* executions on this session */
	uint64_t replan_at;	/* prepare it again when uses reaches this */
} prepared;

/* statements sent by db_batch_send whose answers are not read yet: their texts (constants;
 * a COMMIT is checked) and where the answers go (no parameters) */
typedef struct segment {
	db_stmt *s;
	size_t n, cap;
} segment;

typedef struct conn_data {
	prepared *p;		/* the statements prepared on this session */
	size_t n, cap;
	bool generic_plans;	/* plan_cache_mode = force_generic_plan for the session */
	segment ahead[DB_AHEAD_MAX];	/* sent ahead, oldest at `head` */
	size_t head, deferred;
} conn_data;

static void prepared_forget(conn_data *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->p[i].text);
	d->n = 0;
}

static int conn_event(PGEventId id, void *info, void *pass)
{
	conn_data *d;
	switch (id) {
	case PGEVT_REGISTER:
		return PQsetInstanceData(((PGEventRegister *)info)->conn, conn_event,
					 xcalloc(1, sizeof(conn_data)));
	case PGEVT_CONNRESET:
		if ((d = PQinstanceData(((PGEventConnReset *)info)->conn, conn_event))) {
			prepared_forget(d);
			d->generic_plans = false;
			d->head = d->deferred = 0;
		}
		break;
	case PGEVT_CONNDESTROY:
		if ((d = PQinstanceData(((PGEventConnDestroy *)info)->conn, conn_event))) {
			prepared_forget(d);
			free(d->p);
			for (size_t i = 0; i < DB_AHEAD_MAX; i++)
				free(d->ahead[i].s);
			free(d);
		}
		break;
	default:
		break;
	}
	return 1;
}

/* a pipeline sent by db_batch_send and not read yet makes every other use a bug */
static bool not_deferred(const conn_data *d, char **err)
{
	if (d && d->deferred) {
		*err = xstrdup("database: internal error: statements sent ahead were not waited for");
		return false;
	}
	return true;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* the name of sql's prepared statement on this session, preparing it first if needed (and
 * again when its re-plan is due); counts one execution; false with *err when it cannot be
 * prepared.  Without can_prepare (in pipeline mode, where a synchronous PQprepare is not
 * possible), a statement not prepared yet gets an empty name (send it unnamed) and a re-plan
 * that is due waits for the next use that can prepare. */
static bool prepared_name(PGconn *c, conn_data *d, const char *sql, int nparams, char name[32], bool can_prepare,
			  char **err)
{
	size_t i;
	uint64_t h = 0;
	/* the same constant as last time: no need to hash a long text again */
	for (i = 0; i < d->n; i++)
		if (d->p[i].sql == sql && !strcmp(d->p[i].text, sql))
			break;
	if (i < d->n) {
		h = d->p[i].hash;
	} else {
		h = fnv1a(sql);
		for (i = 0; i < d->n; i++)
			if (d->p[i].hash == h)
				break;
		if (i < d->n)
			d->p[i].sql = sql;
	}
	snprintf(name, 32, "defectd_%016" PRIx64, h);
	if (i < d->n) {
		prepared *p = &d->p[i];
		if (!can_prepare && p->uses + 1 >= p->replan_at)
			return true;
		if (++p->uses < p->replan_at)
			return true;
		p->replan_at = p->replan_at > UINT64_MAX / REPLAN_FACTOR ? UINT64_MAX : p->replan_at * REPLAN_FACTOR;
		/* best effort: a statement that cannot be dropped is used as it is */
		char q[64];
		snprintf(q, sizeof q, "DEALLOCATE %s", name);
		PGresult *r = PQexec(c, q);
		bool dropped = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!dropped)
			return true;
	} else if (!can_prepare) {
		name[0] = '\0';
		return true;
	}
	PGresult *r = PQprepare(c, name, sql, nparams, NULL);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok) {
		*err = pg_error(c, r, "database");
		if (i < d->n) {
			/* dropped: prepare it anew next time */
			free(d->p[i].text);
			d->p[i] = d->p[--d->n];
		}
	} else if (i == d->n) {
		d->p = xgrow(d->p, &d->cap, d->n + 1, sizeof *d->p);
		d->p[d->n++] = (prepared){ sql, xstrdup(sql), h, 1, REPLAN_FIRST };
	}
	PQclear(r);
	return ok;
}

/* server notices ("already exists, skipping" …) are for debugging, not for stderr */
static void on_notice(void *arg, const char *msg)
{
	log_debug("database: %.*s", (int)strcspn(msg, "\n"), msg);
}

PGconn *db_connect(const char *conninfo, const char *password, char **err)
{
	/* dbname first (expanded as a connection string), then what we insist on */
	const char *keys[5], *vals[5];
	char appname[40];
	int n = 0;
	/* the pid in the name lets an operator see which daemon holds a mailbox lock
	 * (pg_locks joined with pg_stat_activity) */
	snprintf(appname, sizeof appname, "defectd[%ld]", (long)getpid());
	keys[n] = "dbname", vals[n++] = conninfo ? conninfo : "";
	if (password)
		keys[n] = "password", vals[n++] = password;
	keys[n] = "client_encoding", vals[n++] = "UTF8";
	keys[n] = "fallback_application_name", vals[n++] = appname;
	keys[n] = NULL, vals[n] = NULL;

	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (!c) {
		*err = xstrdup("database: out of memory");
		goto out;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		*err = pg_error(c, NULL, "database connection");
		PQfinish(c);
		c = NULL;
		goto out;
	}
	PQsetNoticeProcessor(c, on_notice, NULL);
	if (!PQregisterEventProc(c, conn_event, "defectd", NULL)) {
		*err = xstrdup("database: cannot register the statement cache");
		PQfinish(c);
		c = NULL;
		goto out;
	}
	/* before any other statement: whatever the role's or the database's default path,
	 * nothing another role created (in public, or as a temp object) can stand in for a
	 * built-in or one of our tables; the call itself is qualified */
	PGresult *r = PQexec(c, "SELECT pg_catalog.set_config('search_path', '" DB_SEARCH_PATH "', false)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = pg_error(c, r, "database: setting search_path");
		PQclear(r);
		PQfinish(c);
		c = NULL;
		goto out;
	}
	PQclear(r);
out:
	return c;
}

int db_exec(PGconn *c, const char *sql, char **err)
{
	int rc = -1;
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		*err = pg_error(c, r, "database");
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	return rc;
}

PGresult *db_query_ex(PGconn *c, const char *sql, int nparams, const char *const *params,
		      const int *lengths, const int *formats, int result_format, char **err)
{
	PGresult *r;
	conn_data *d = PQinstanceData(c, conn_event);
	char name[32];
	if (!not_deferred(d, err))
		return NULL;
	if (!d) {
		r = PQexecParams(c, sql, nparams, NULL, params, lengths, formats, result_format);
	} else {
		if (!prepared_name(c, d, sql, nparams, name, true, err))
			return NULL;
		r = PQexecPrepared(c, name, nparams, params, lengths, formats, result_format);
	}
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		*err = pg_error(c, r, "database");
		PQclear(r);
		r = NULL;
	}
	return r;
}

PGresult *db_query(PGconn *c, const char *sql, int nparams, const char *const *params, char **err)
{
	return db_query_ex(c, sql, nparams, params, NULL, NULL, 0, err);
}

/* ---- pipelines --------------------------------------------------------------------------- */

static bool is_commit(const char *sql)
{
	return !strcmp(sql, "COMMIT");
}

/* a successful result of statement st: keep it or drop it; false with *err when it is a
 * COMMIT that rolled back */
static bool took_result(const db_stmt *st, PGresult *r, char **err)
{
	if (is_commit(st->sql) && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		*err = xstrdup("database commit: the transaction was rolled back");
		PQclear(r);
		return false;
	}
	if (st->result)
		*st->result = r;
	else
		PQclear(r);
	return true;
}

static void drop_results(const db_stmt *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].result) {
			PQclear(*s[i].result);
			*s[i].result = NULL;
		}
}

/* without pipeline mode: one statement, or a connection without the statement cache */
static int run_each(PGconn *c, const db_stmt *s, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++) {
		PGresult *r;
		if (s[i].nparams == 0) {
			r = PQexecParams(c, s[i].sql, 0, NULL, NULL, NULL, NULL, 0);
			ExecStatusType st = PQresultStatus(r);
			if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
				*err = pg_error(c, r, is_commit(s[i].sql) ? "database commit" : "database");
				PQclear(r);
				r = NULL;
			}
		} else {
			r = db_query_ex(c, s[i].sql, s[i].nparams, s[i].params, s[i].lengths, s[i].formats, 0, err);
		}
		if (!r || !took_result(&s[i], r, err)) {
			drop_results(s, i);
			return -1;
		}
	}
	return 0;
}

/*
 * Send s[0..n-1] in pipeline mode; *sent of them went out.  Entering pipeline mode (from
 * off), what is new is prepared first: that is only possible then.  Once in it (statements
 * sent ahead are still out), one not prepared yet goes unnamed.  The statements end with a
 * Sync, or with `sync` false with a flush request: the server answers each statement as it
 * finishes and the pipeline stays open for more.  0, or -1 with *first when nothing went out;
 * 0 with *first when some did and the rest could not (the caller reads back what went out).
 */
static int pipe_send(PGconn *c, conn_data *d, const db_stmt *s, size_t n, bool sync, size_t *sent,
		     char **first)
{
	char (*names)[32] = xcalloc(n ? n : 1, sizeof *names);
	bool off = PQpipelineStatus(c) == PQ_PIPELINE_OFF;
	int rc = -1;
	*sent = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i].nparams > 0 && !prepared_name(c, d, s[i].sql, s[i].nparams, names[i], off, first))
			goto out;
	if (off && !PQenterPipelineMode(c)) {
		*first = pg_error(c, NULL, "database pipeline");
		goto out;
	}
	rc = 0;
	for (; *sent < n; (*sent)++) {
		const db_stmt *st = &s[*sent];
		int ok = names[*sent][0]
			? PQsendQueryPrepared(c, names[*sent], st->nparams, st->params, st->lengths, st->formats, 0)
			: PQsendQueryParams(c, st->sql, st->nparams, NULL, st->params, st->lengths, st->formats, 0);
		if (!ok) {
			*first = pg_error(c, NULL, "database");
			break;
		}
	}
	/* PQpipelineSync also flushes what is buffered */
	bool flushed = sync ? PQpipelineSync(c) == 1 : PQsendFlushRequest(c) == 1 && PQflush(c) == 0;
	if (!flushed && !*first)
		*first = pg_error(c, NULL, "database pipeline");
out:
	free(names);
	return rc;
}

/* a session whose answers can no longer be matched to what was sent: shut the socket and it
 * reads as lost (the caller reconnects, and takes its mailbox locks again) */
static void conn_abandon(PGconn *c)
{
	if (PQstatus(c) != CONNECTION_BAD && PQsocket(c) >= 0) {
		shutdown(PQsocket(c), SHUT_RDWR);
		PQconsumeInput(c);
	}
}

/*
 * Read the answers of `sent` statements.  s (may be NULL: no results kept) gets the results;
 * a COMMIT that ended in a rollback is a failure, and so is a statement skipped because one
 * before it failed (PGRES_PIPELINE_ABORTED).  *first keeps the first error.  False when an
 * answer is missing (the stream is out of step).
 */
static bool recv_results(PGconn *c, const db_stmt *s, size_t sent, char **first)
{
	/* one result per statement sent, each followed by NULL */
	for (size_t i = 0; i < sent; i++) {
		PGresult *r = PQgetResult(c);
		if (!r) {
			if (!*first)
				*first = pg_error(c, NULL, "database");
			return false;
		}
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			if (*first) {
				PQclear(r);
			} else if (s) {
				(void)took_result(&s[i], r, first);	/* a failed COMMIT sets first */
			} else {
				if (!strcmp(PQcmdStatus(r), "ROLLBACK"))
					*first = xstrdup("database commit: the transaction was rolled back");
				PQclear(r);
			}
		} else {
			if (!*first)
				*first = st == PGRES_PIPELINE_ABORTED ? xstrdup("database: pipeline aborted")
								       : pg_error(c, r, "database");
			PQclear(r);
		}
		while ((r = PQgetResult(c)))
			PQclear(r);
	}
	return true;
}

/* read up to the Sync that was sent last and leave pipeline mode */
static void end_pipeline(PGconn *c, char **first)
{
	for (int nulls = 0; nulls < 3;) {
		PGresult *r = PQgetResult(c);
		if (!r) {
			if (PQstatus(c) == CONNECTION_BAD)
				break;
			nulls++;
			continue;
		}
		bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
		if (sync)
			break;
	}
	if (!PQexitPipelineMode(c)) {
		/* results still pending that could not be read: the session's state is unknown,
		 * so it must not be used again */
		if (!*first)
			*first = pg_error(c, NULL, "database pipeline");
		conn_abandon(c);
	}
}

int db_pipeline(PGconn *c, const db_stmt *s, size_t n, char **err)
{
	conn_data *d = PQinstanceData(c, conn_event);
	size_t sent = 0;
	char *first = NULL;	/* the first error */

	for (size_t i = 0; i < n; i++)
		if (s[i].result)
			*s[i].result = NULL;
	if (n == 0)
		return 0;
	if (!not_deferred(d, err))
		return -1;
	if (n == 1 || !d || PQpipelineStatus(c) != PQ_PIPELINE_OFF)
		return run_each(c, s, n, err);
	if (pipe_send(c, d, s, n, true, &sent, &first) == 0) {
		(void)recv_results(c, s, sent, &first);
		end_pipeline(c, &first);
	}
	if (first) {
		drop_results(s, n);
		*err = first;
		return -1;
	}
	return 0;
}

static void batch_own(db_batch *b, void *p)
{
	b->owned = xgrow(b->owned, &b->owned_cap, b->nowned + 1, sizeof *b->owned);
	b->owned[b->nowned++] = p;
}

void db_batch_add_ex(db_batch *b, const char *sql, int nparams, const char *const *params,
		     const int *lengths, const int *formats, PGresult **result)
{
	b->s = xgrow(b->s, &b->cap, b->n + 1, sizeof *b->s);
	b->s[b->n++] = (db_stmt){ sql, nparams, params, lengths, formats, result };
}

void db_batch_add(db_batch *b, const char *sql, int nparams, const char *const *params, PGresult **result)
{
	const char **p = NULL;
	if (nparams > 0) {
		p = xcalloc((size_t)nparams, sizeof *p);
		batch_own(b, p);
		for (int i = 0; i < nparams; i++)
			if (params[i]) {
				char *v = xstrdup(params[i]);
				batch_own(b, v);
				p[i] = v;
			}
	}
	db_batch_add_ex(b, sql, nparams, p, NULL, NULL, result);
}

static void batch_clear(db_batch *b)
{
	for (size_t i = 0; i < b->nowned; i++)
		free(b->owned[i]);
	b->nowned = 0;
	b->n = 0;
}

int db_batch_run(PGconn *c, db_batch *b, char **err)
{
	int rc = db_pipeline(c, b->s, b->n, err);
	batch_clear(b);
	return rc;
}

int db_batch_send(PGconn *c, db_batch *b, char **err)
{
	conn_data *d = PQinstanceData(c, conn_event);
	size_t sent = 0;
	char *first = NULL;
	int rc = -1;

	/* pipeline mode is on exactly while something is sent ahead */
	if (!d || d->deferred == DB_AHEAD_MAX || (PQpipelineStatus(c) != PQ_PIPELINE_OFF) != (d->deferred > 0)) {
		*err = xstrdup("database: internal error: cannot send ahead on this connection");
		goto out;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->s[i].result)
			*b->s[i].result = NULL;
	if (pipe_send(c, d, b->s, b->n, false, &sent, &first) < 0) {
		*err = first;
		goto out;
	}
	/* kept for db_wait, also when only part went out (then it fails, and so does what is
	 * sent after it: the caller rolls back, which reads it all) */
	segment *g = &d->ahead[(d->head + d->deferred) % DB_AHEAD_MAX];
	g->s = xgrow(g->s, &g->cap, sent ? sent : 1, sizeof *g->s);
	for (size_t i = 0; i < sent; i++)
		g->s[i] = (db_stmt){ .sql = b->s[i].sql, .result = b->s[i].result };
	g->n = sent;
	d->deferred++;
	if (first) {
		*err = first;
		goto out;
	}
	rc = 0;
out:
	batch_clear(b);
	return rc;
}

bool db_deferred(PGconn *c)
{
	conn_data *d = c ? PQinstanceData(c, conn_event) : NULL;
	return d && d->deferred;
}

int db_wait(PGconn *c, char **err)
{
	conn_data *d = c ? PQinstanceData(c, conn_event) : NULL;
	char *first = NULL;
	if (!d || !d->deferred)
		return 0;
	const segment *g = &d->ahead[d->head];
	d->head = (d->head + 1) % DB_AHEAD_MAX;
	bool last = --d->deferred == 0;
	/* the last one out ends the pipeline: a Sync after it, and pipeline mode is left once it
	 * is read (the server has had the statements since they were sent) */
	if (last && PQpipelineSync(c) != 1)
		first = pg_error(c, NULL, "database pipeline");
	if (!recv_results(c, g->s, g->n, &first) && !last)
		conn_abandon(c);	/* the answers of what follows cannot be told apart */
	if (last)
		end_pipeline(c, &first);
	if (first) {
		drop_results(g->s, g->n);
		*err = first;
		return -1;
	}
	return 0;
}

void db_batch_free(db_batch *b)
{
	batch_clear(b);
	free(b->s);
	free(b->owned);
	*b = (db_batch)DB_BATCH_INIT;
}

int db_set_generic_plans(PGconn *c, char **err)
{
	conn_data *d = PQinstanceData(c, conn_event);
	if (db_exec(c, "SET plan_cache_mode = force_generic_plan", err) < 0)
		return -1;
	if (d)
		d->generic_plans = true;
	return 0;
}

bool db_generic_plans(PGconn *c)
{
	conn_data *d = PQinstanceData(c, conn_event);
	return d && d->generic_plans;
}

int db_begin(PGconn *c, char **err)
{
	return db_exec(c, "BEGIN", err);
}

int db_commit(PGconn *c, char **err)
{
	/* COMMIT of an aborted transaction reports success with a ROLLBACK tag */
	int rc = -1;
	PGresult *r = PQexec(c, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*err = pg_error(c, r, "database commit");
		goto out;
	}
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		*err = xstrdup("database commit: the transaction was rolled back");
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	return rc;
}

void db_rollback(PGconn *c)
{
	/* what was sent ahead: read (and dropped) first; what is still open is rolled back */
	while (db_deferred(c)) {
		char *err = NULL;
		if (db_wait(c, &err) < 0)
			free(err);
	}
	if (!c || PQstatus(c) != CONNECTION_OK)
		return;
	PGTransactionStatusType ts = PQtransactionStatus(c);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		PQclear(PQexec(c, "ROLLBACK"));
}

const char *db_value(const PGresult *r, int row, int col)
{
	if (!r || row >= PQntuples(r) || col >= PQnfields(r) || PQgetisnull(r, row, col))
		return NULL;
	return PQgetvalue(r, row, col);
}

int64_t db_int(const PGresult *r, int row, int col)
{
	const char *v = db_value(r, row, col);
	return v ? strtoll(v, NULL, 10) : 0;
}

bool db_bool(const PGresult *r, int row, int col)
{
	const char *v = db_value(r, row, col);
	return v && v[0] == 't';
}

const char *db_int_param(char *buf, int64_t n)
{
	snprintf(buf, 24, "%" PRId64, n);
	return buf;
}

char *db_text_array(const char *const *v, size_t n)
{
	strbuf b = STRBUF_INIT;
	sb_addc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_addc(&b, ',');
		sb_addc(&b, '"');
		for (const char *p = v[i] ? v[i] : ""; *p; p++) {
			if (*p == '"' || *p == '\\')
				sb_addc(&b, '\\');
			sb_addc(&b, *p);
		}
		sb_addc(&b, '"');
	}
	sb_addc(&b, '}');
	return sb_steal(&b);
}

/* ---- locks ------------------------------------------------------------------------------- */

bool db_try_lock_mailbox(PGconn *c, const char *mailbox)
{
	/* pg_try_advisory_lock stacks when called again by the holder; look in pg_locks first.
	 * A bigint key k shows as classid = k >> 32, objid = k & 0xffffffff, objsubid = 1. */
	static const char sql[] =
		"SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'"
		"  AND l.pid = pg_backend_pid() AND l.objsubid = 1 AND l.granted"
		"  AND ((l.classid::bigint << 32) | l.objid::bigint) = k.key)"
		" THEN true ELSE pg_try_advisory_lock(k.key) END"
		" FROM (SELECT hashtext('defectd.mailbox:' || $1)::bigint AS key) k";
	const char *p[1] = { mailbox };
	char *err = NULL;
	PGresult *r = db_query(c, sql, 1, p, &err);
	bool held = r && db_bool(r, 0, 0);
	PQclear(r);
	free(err);
	return held;
}

void db_unlock_mailbox(PGconn *c, const char *mailbox)
{
	const char *p[1] = { mailbox };
	char *err = NULL;
	PQclear(db_query(c, "SELECT pg_advisory_unlock(hashtext('defectd.mailbox:' || $1))", 1, p, &err));
	free(err);
}

bool db_connection_lost(PGconn *c)
{
	return !c || PQstatus(c) == CONNECTION_BAD;
}

bool db_err_retryable(PGconn *c, const char *err)
{
	if (db_connection_lost(c))
		return true;
	const char *s = err ? strstr(err, "(SQLSTATE ") : NULL;
	const char *last = s;
	while (s && (s = strstr(s + 1, "(SQLSTATE ")))
		last = s;
	if (!last)
		return false;
	const char *cls = last + strlen("(SQLSTATE ");
	static const char *const temp[] = { "08", "40", "53", "55", "57", "58", "25", "28", "3D", "3F", "42" };
	for (size_t i = 0; i < ARRAY_LEN(temp); i++)
		if (!strncmp(cls, temp[i], 2))
			return true;
	return false;
}

/* ---- migrations -------------------------------------------------------------------------- */

typedef struct migration {
	int version;
	char *name;	/* file name */
} migration;

static int cmp_migration(const void *a, const void *b)
{
	const migration *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

/* NNN_name.sql: digits, '_', something, ".sql" */
static bool migration_name(const char *name, int *version)
{
	size_t n = strlen(name), d = 0;
	while (name[d] >= '0' && name[d] <= '9')
		d++;
	if (d == 0 || d > 6 || name[d] != '_' || n < d + 6 || strcmp(name + n - 4, ".sql") != 0)
		return false;
	*version = atoi(name);
	return true;
}

static int list_migrations(const char *dir, migration **out, size_t *nout, char **err)
{
	int rc = -1;
	migration *m = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);
	if (!d) {
		*err = xasprintf("%s: %s", dir, strerror(errno));
		goto out;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		int v;
		if (!migration_name(e->d_name, &v))
			continue;
		m = xgrow(m, &cap, n + 1, sizeof *m);
		m[n++] = (migration){ v, xstrdup(e->d_name) };
	}
	qsort(m, n, sizeof *m, cmp_migration);
	for (size_t i = 1; i < n; i++)
		if (m[i].version == m[i - 1].version) {
			*err = xasprintf("%s: %s and %s have the same version", dir, m[i - 1].name, m[i].name);
			goto out;
		}
	rc = 0;
out:
	if (d)
		closedir(d);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			free(m[i].name);
		free(m);
		m = NULL;
		n = 0;
	}
	*out = m;
	*nout = n;
	return rc;
}

static char *read_file(const char *path, char **err)
{
	char *buf = NULL;
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) < 0) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > MAX_MIGRATION_BYTES) {
		*err = xasprintf("%s: too large for a migration", path);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	size_t got = fread(buf, 1, (size_t)st.st_size, f);
	if (got != (size_t)st.st_size || memchr(buf, 0, got)) {
		*err = xasprintf("%s: short read or NUL byte", path);
		xfree(&buf);
		goto out;
	}
	buf[got] = '\0';
out:
	if (f)
		fclose(f);
	return buf;
}

static int bootstrap(PGconn *c, char **err)
{
	int rc = -1;
	if (db_begin(c, err) < 0 || db_exec(c, MIGRATE_LOCK, err) < 0 ||
	    db_exec(c, "CREATE SCHEMA IF NOT EXISTS defectd", err) < 0 ||
	    db_exec(c, "CREATE TABLE IF NOT EXISTS defectd.schema_migrations ("
		       " version integer PRIMARY KEY, name text NOT NULL,"
		       " applied_at timestamptz NOT NULL DEFAULT now())", err) < 0 ||
	    db_commit(c, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		db_rollback(c);
	return rc;
}

/* 1 applied, 0 already there, -1 error */
static int apply_one(PGconn *c, const char *dir, const migration *m, char **err)
{
	int rc = -1;
	char *path = xasprintf("%s/%s", dir, m->name);
	char *sql = NULL, *e = NULL, ver[24];
	const char *p[2] = { db_int_param(ver, m->version), m->name };
	PGresult *r = NULL;

	if (db_begin(c, err) < 0 || db_exec(c, MIGRATE_LOCK, err) < 0)
		goto out;
	r = db_query(c, "SELECT 1 FROM defectd.schema_migrations WHERE version = $1", 1, p, err);
	if (!r)
		goto out;
	if (PQntuples(r) > 0) {
		rc = 0;
		goto out;
	}
	if (!(sql = read_file(path, err)))
		goto out;
	if (db_exec(c, sql, &e) < 0) {
		*err = xasprintf("%s: %s", m->name, e);
		goto out;
	}
	PQclear(r);
	r = db_query(c, "INSERT INTO defectd.schema_migrations (version, name) VALUES ($1, $2)", 2, p, err);
	if (!r)
		goto out;
	/* a DO block: a plain call would be resolved before the existence check */
	if (db_exec(c, "DO $$ BEGIN"
		       " IF to_regprocedure('defectd.assign_ownership()') IS NOT NULL"
		       "  AND to_regrole('defectd_owner') IS NOT NULL THEN"
		       "  PERFORM defectd.assign_ownership(); END IF; END $$", err) < 0 ||
	    db_commit(c, err) < 0)
		goto out;
	rc = 1;
out:
	if (rc <= 0)
		db_rollback(c);
	PQclear(r);
	free(e);
	free(sql);
	free(path);
	return rc;
}

int db_migrate(PGconn *c, const char *sql_dir, strlist *applied, char **err)
{
	int rc = -1;
	migration *m = NULL;
	size_t n = 0;
	if (list_migrations(sql_dir, &m, &n, err) < 0)
		goto out;
	if (n == 0) {
		*err = xasprintf("%s: no NNN_name.sql files", sql_dir);
		goto out;
	}
	if (bootstrap(c, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int a = apply_one(c, sql_dir, &m[i], err);
		if (a < 0)
			goto out;
		if (a > 0 && applied)
			sl_push(applied, xstrdup(m[i].name));
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(m[i].name);
	free(m);
	return rc;
}

PGconn *db_connect_config(const config *c, const char *conninfo, char **err)
{
	char *password = NULL;
	*err = NULL;
	if (c->db_password_file || c->db_password_env) {
		char *why = NULL;
		password = config_secret(c->db_password_file, c->db_password_env, &why);
		if (!password) {
			*err = xasprintf("database password: %s", why);
			free(why);
			return NULL;
		}
	}
	PGconn *db = db_connect(conninfo ? conninfo : c->db_conninfo, password, err);
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return db;
}

/* ---- who can create objects where our names are looked up --------------------------- */

static const char SQL_SCHEMA_CREATORS[] =
	"SELECT n.nspname || ': ' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END"
	" FROM pg_catalog.pg_namespace n"
	" CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a"
	" WHERE n.nspname IN ('pg_catalog', 'defectd', 'public') AND a.privilege_type = 'CREATE'"
	" AND a.grantee <> n.nspowner ORDER BY n.nspname = 'public', n.nspname, 1";

int db_schema_creators(PGconn *c, strlist *out, char **err)
{
	PGresult *r = db_query(c, SQL_SCHEMA_CREATORS, 0, NULL, err);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		sl_push(out, xstrdup(PQgetvalue(r, i, 0)));
	PQclear(r);
	return 0;
}

static const char SQL_PUBLIC_CREATE[] =
	"SELECT count(*) FROM pg_catalog.pg_namespace n"
	" CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a"
	" WHERE n.nspname = 'public' AND a.privilege_type = 'CREATE' AND a.grantee = 0";

int db_revoke_public_create(PGconn *c, char **err)
{
	int rc = -1;
	PGresult *r = db_query(c, SQL_PUBLIC_CREATE, 0, NULL, err);
	if (!r)
		goto out;
	if (db_int(r, 0, 0) == 0) {
		rc = 0;
		goto out;
	}
	/* not the owner: PostgreSQL only warns ("no privileges could be revoked"), so look again */
	if (db_exec(c, "REVOKE CREATE ON SCHEMA public FROM PUBLIC", err) < 0)
		goto out;
	PQclear(r);
	if (!(r = db_query(c, SQL_PUBLIC_CREATE, 0, NULL, err)))
		goto out;
	if (db_int(r, 0, 0) != 0) {
		*err = xstrdup("every role may still create objects in schema public (this role cannot revoke it: "
			       "run REVOKE CREATE ON SCHEMA public FROM PUBLIC as its owner)");
		goto out;
	}
	rc = 1;
out:
	PQclear(r);
	return rc;
}
