/*
 * db — the PostgreSQL connection: connecting (the password travels as its own keyword and is
 * never logged), schema migrations (sql/NNN_name.sql in numeric order, each in its own
 * transaction with its schema_migrations row, serialised by an advisory lock), parameterised
 * statements with one error format, transactions, and the per-mailbox session lock.
 *
 * Never builds SQL out of values: every value travels as a parameter.  Error strings
 * (caller frees) end in " (SQLSTATE xxxxx)" when the server gave one; db_err_retryable
 * reads that back to tell "retry later" from "this input is bad".
 */
#ifndef DEFECTD_DB_H
#define DEFECTD_DB_H

#include "config.h"
#include "util.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The search_path of every session (SPEC §9): pg_catalog first, so no built-in function or
 * operator can be shadowed; our schema; pg_temp last, named, so no temp table can stand in for
 * one of ours.  sql/ functions carry the same (SET search_path = …). */
#define DB_SEARCH_PATH "pg_catalog, defectd, pg_temp"

/*
 * Connect.  `conninfo` is a libpq connection string or URI (no password in it, please);
 * `password` (NULL: none, or whatever libpq finds in PGPASSWORD/.pgpass) is passed as a
 * separate keyword.  client_encoding is forced to UTF8 and search_path to DB_SEARCH_PATH.
 * NULL with *err on failure.
 */
PGconn *db_connect(const char *conninfo, const char *password, char **err) WUR;

/*
 * Apply every sql_dir/NNN_name.sql whose version NNN is not in defectd.schema_migrations,
 * in numeric order, each in one transaction with its schema_migrations row, under
 * pg_advisory_xact_lock so concurrent migrators take turns.  Creates the schema and
 * schema_migrations when missing.  After each file, defectd.assign_ownership() (when it
 * exists) hands new objects to defectd_owner.  The file names applied are appended to
 * `applied` (may be NULL).  Files must not contain BEGIN/COMMIT.  Returns 0 or -1 with *err;
 * files applied before a failure stay applied.  Needs a role that may create roles and
 * change ownership (a superuser, or the database owner with CREATEROLE in defectd_owner).
 */
/* db_connect with the configured password (file or environment), wiped afterwards.
 * `conninfo` NULL = database.conninfo of the configuration. */
PGconn *db_connect_config(const config *c, const char *conninfo, char **err) WUR;
int db_migrate(PGconn *c, const char *sql_dir, strlist *applied, char **err) WUR;

/*
 * Roles other than a schema's owner that may create objects in the schemas of
 * DB_SEARCH_PATH, or in public (on every other session's default path): one line per
 * schema and grantee ("PUBLIC" for everyone) appended to `out`, e.g. "public: PUBLIC".
 * 0 or -1 with *err.
 */
int db_schema_creators(PGconn *c, strlist *out, char **err) WUR;
/*
 * REVOKE CREATE ON SCHEMA public FROM PUBLIC when PUBLIC has it (PostgreSQL 14 and older made
 * every database so, and an upgrade keeps it).  1 revoked, 0 nothing to do, -1 with *err
 * when PUBLIC keeps it (the role is not the schema's owner, say).
 */
int db_revoke_public_create(PGconn *c, char **err) WUR;

/* Run SQL without parameters (constant text only).  0 or -1 with *err. */
int db_exec(PGconn *c, const char *sql, char **err) WUR;

/*
 * Run one parameterised statement; params are text (NULL = SQL NULL).  Returns the result
 * (caller PQclear()s) when it is COMMAND_OK or TUPLES_OK, else NULL with *err.
 * On a connection made by db_connect the statement is prepared once per session and
 * executed by name afterwards (so `sql` must be one statement; a pooler in transaction
 * mode must support prepared statements).  It is prepared again after 64, 256, 1024, …
 * executions, so that a generic plan made while the tables were nearly empty (a sequential
 * scan) does not stay while they grow.
 */
PGresult *db_query(PGconn *c, const char *sql, int nparams, const char *const *params, char **err) WUR;
/* Same with lengths/formats per parameter (format 1 = binary, for bytea) and a result format
 * (1 = binary, e.g. to read bytea back).  lengths/formats may be NULL. */
PGresult *db_query_ex(PGconn *c, const char *sql, int nparams, const char *const *params,
		      const int *lengths, const int *formats, int result_format, char **err) WUR;

/*
 * Pipelines (libpq pipeline mode): several statements sent together and answered in one
 * round trip.  Each statement is prepared once per session as db_query does (any preparing
 * happens before the statements are sent); one without parameters ("BEGIN", "COMMIT") is
 * sent as it is.  The first failure ends the pipeline: the statements after it are not run
 * (inside a transaction, the caller rolls back).  A "COMMIT" that ended in a rollback is a
 * failure too.  A single statement runs without pipeline mode.
 */
typedef struct db_stmt {
	const char *sql;
	int nparams;
	const char *const *params;	/* text unless formats says otherwise; NULL = SQL NULL */
	const int *lengths;		/* may be NULL (text parameters only) */
	const int *formats;		/* may be NULL */
	PGresult **result;		/* where to keep the result (caller PQclear()s); NULL: checked and
					 * dropped.  Set to NULL first, and left NULL when the pipeline fails */
} db_stmt;

/* Run s[0..n-1] as one pipeline.  0, or -1 with *err (the first error). */
int db_pipeline(PGconn *c, const db_stmt *s, size_t n, char **err) WUR;

/* A pipeline built up statement by statement. */
typedef struct db_batch {
	db_stmt *s;
	size_t n, cap;
	void **owned;		/* copies of parameters and parameter arrays */
	size_t nowned, owned_cap;
} db_batch;
#define DB_BATCH_INIT { NULL, 0, 0, NULL, 0, 0 }

/* Queue a statement; its text parameters are copied (sql must be a constant string). */
void db_batch_add(db_batch *b, const char *sql, int nparams, const char *const *params, PGresult **result);
/* Queue a statement whose parameter array and values are borrowed: they must stay valid until
 * db_batch_run (for large or binary parameters). */
void db_batch_add_ex(db_batch *b, const char *sql, int nparams, const char *const *params,
		     const int *lengths, const int *formats, PGresult **result);
/* Run what is queued as one pipeline (db_pipeline) and empty the batch for reuse.  0 or -1 with *err. */
int db_batch_run(PGconn *c, db_batch *b, char **err) WUR;
/*
 * Send what is queued without waiting for the answers, so that the caller can do other work
 * while the server runs it (and commits, when it ends with COMMIT).  Up to DB_AHEAD_MAX such
 * sends can be out at once; the server runs them in order, as one pipeline: when a statement
 * fails, nothing sent after it runs, up to the db_wait that reads the last one (a send that
 * follows a failed one is skipped, not run on its own).  A statement's result pointer must
 * stay valid until db_wait fills it.  While anything is out, the connection is used for
 * nothing else: db_query/db_pipeline fail, db_rollback reads it all first.  Statements not
 * prepared on the session yet are prepared only when nothing is out (else sent unnamed).
 * 0, or -1 with *err: then this send fails at its db_wait as well, and so does all that
 * follows it (roll back).
 */
#define DB_AHEAD_MAX 4
int db_batch_send(PGconn *c, db_batch *b, char **err) WUR;
/* Read the answers of the oldest send that is out: 0 when all its statements succeeded (or
 * nothing was out), -1 with the first error; a COMMIT that rolled back is an error. */
int db_wait(PGconn *c, char **err) WUR;
/* statements sent ahead are waiting to be read */
bool db_deferred(PGconn *c);
/* Drop what is queued and free the batch. */
void db_batch_free(db_batch *b);

/* Transactions.  db_rollback does nothing outside a transaction and never fails loudly. */
/* plan_cache_mode = force_generic_plan for the whole session (a connection that runs the
 * same few statements over and over: ingestion); db_generic_plans tells whether it is set */
int db_set_generic_plans(PGconn *c, char **err) WUR;
bool db_generic_plans(PGconn *c);
int db_begin(PGconn *c, char **err) WUR;
int db_commit(PGconn *c, char **err) WUR;
void db_rollback(PGconn *c);

/* Result helpers: NULL for SQL NULL (borrowed); integers parse as 0 when NULL. */
const char *db_value(const PGresult *r, int row, int col);
int64_t db_int(const PGresult *r, int row, int col);
bool db_bool(const PGresult *r, int row, int col);

/* A text[] parameter literal for n strings (caller frees), e.g. {"a","b \"c\""}. */
char *db_text_array(const char *const *v, size_t n);
/* Decimal text of n into buf (at least 24 bytes); returns buf. */
const char *db_int_param(char *buf, int64_t n);

/*
 * The one-active-poller lock for a mailbox: pg_try_advisory_lock(hashtext('defectd.mailbox:'
 * || name)) on this session.  True when this session holds it (taking it if free; calling it
 * again while held does not stack).  False when another session holds it or on error.
 * The lock ends with the session: after a reconnect, take it again.
 */
bool db_try_lock_mailbox(PGconn *c, const char *mailbox);
/* give it up (a clean shutdown does not need this: closing the connection releases it) */
void db_unlock_mailbox(PGconn *c, const char *mailbox);

/* True when the connection is gone (reconnect with backoff). */
bool db_connection_lost(PGconn *c);
/*
 * True when an error from this module is not the fault of the data being written, so the
 * work should be retried later rather than counted against a message: the connection was
 * lost, or SQLSTATE class 08 (connection), 40 (deadlock, serialization), 53 (resources),
 * 55 (lock not available), 57 (shutdown), 58 (system), 25 (transaction state), 28 (auth),
 * 3D/3F (no such database/schema) or 42 (privileges, undefined table: a schema that was not
 * migrated, a role without grants).
 */
bool db_err_retryable(PGconn *c, const char *err);

#endif
