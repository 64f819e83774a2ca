/*
 * loop — the defectd service.
 *
 * Exactly once, per mailbox (PITFALLS.md, the fetchmail/getmail/mbsync recipe):
 *   1. one active poller: a session advisory lock; a second daemon stands by and
 *      takes over when the first one's session ends;
 *   2. UIDVALIDITY checked every poll; a change halts the mailbox with a clear error;
 *   3. an attempt is recorded per message in its own transaction before the work,
 *      so poison mail is quarantined after max_attempts instead of looping;
 *   4. fetch, parse in the worker process, commit records + message state in one
 *      transaction (one round trip, with the COMMIT, that runs while the next message
 *      is fetched and parsed: store_ingest_send, settled before the database is used
 *      again);
 *   5. only then, once the COMMIT is confirmed, mark the message on the server; a crash
 *      between 4 and 5 repeats 5;
 *   6. last_uid only advances past committed or quarantined messages.
 * Signals only set flags; the loop acts between messages.  Nothing here logs
 * personal data.
 */
#include "loop.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "source.h"
#include "store.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_term, got_hup;
static int wake_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (wake_pipe[1] >= 0) {
		ssize_t r = write(wake_pipe[1], "x", 1);
		(void)r;
	}
	errno = saved;
}

static void setup_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		wake_pipe[0] = wake_pipe[1] = -1;
}

/* the loop's clock: monotonic milliseconds (whole seconds would let a sleep overrun a due
 * retry by up to a second) */
static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct mbox {
	const mailbox_conf *conf;	/* borrowed from the current config */
	source *src;
	bool locked;			/* we are the active poller */
	bool standby_logged;
	int64_t next_poll;		/* now_ms() when it is due */
	unsigned backoff;		/* seconds; 0 = healthy */
	char *halted;			/* halted reason logged already */
	bool full_batch;		/* the last poll stopped at the batch limit */
	bool settled;			/* marks repeated since we became the active poller */
} mbox;

typedef struct daemon_state {
	config *conf;
	worker *w;
	PGconn *db;
	int64_t db_next_try;		/* now_ms() of the next connect try */
	unsigned db_backoff;		/* seconds; 0 = the connection served a whole pass */
	bool db_proven;			/* this connection served a whole pass */
	bool db_down;			/* lost or unavailable since it last worked */
	mbox *boxes;
	size_t nboxes;
	track_conf tc;
	bool once;
	uint64_t watchdog_usec;
	int64_t next_watchdog;
} daemon_state;

static unsigned next_backoff(unsigned cur, unsigned max)
{
	unsigned n = cur ? cur * 2 : 1;
	return n > max ? max : n;
}

/* ---- database connection -------------------------------------------------------- */

static void db_drop(daemon_state *d)
{
	if (d->db)
		PQfinish(d->db);
	d->db = NULL;
	/* advisory locks die with the session, and a batch may have been cut short: every
	 * mailbox is polled as soon as the database is back, except one that waits for its
	 * own retry (never more than backoff_max away) */
	for (size_t i = 0; i < d->nboxes; i++) {
		d->boxes[i].locked = false;
		if (!d->boxes[i].backoff)
			d->boxes[i].next_poll = 0;
	}
}

/*
 * Every way of losing the database ends here: a statement that found the connection gone
 * (in the middle of a batch, settling, between polls), a connect that failed, a session
 * that could not be set up.  It schedules the next connect try, and the loop sleeps no
 * longer than until then (next_wake):
 *  - a connection that served a whole pass is tried again at once (a restarted server or
 *    a killed backend is most likely back already);
 *  - otherwise after 1, 2, 4 … s, at most daemon.backoff_max, so that a server that is
 *    down, or that accepts us and then drops us, is not hammered.
 * So while the server is away, tries are never more than backoff_max apart: ingestion
 * resumes within backoff_max (plus a poll's work) of its return.
 */
static void db_lost(daemon_state *d, const char *what)
{
	unsigned wait = 0;
	if (!d->db || !d->db_proven) {
		d->db_backoff = next_backoff(d->db_backoff, d->conf->backoff_max);
		wait = d->db_backoff;
	}
	db_drop(d);
	d->db_proven = false;
	d->db_down = true;
	d->db_next_try = now_ms() + (int64_t)wait * 1000;
	if (wait)
		log_warning("database %s; retrying in %us", what, wait);
	else
		log_warning("database %s; reconnecting now", what);
}

/* a pass over the mailboxes used the connection and kept it */
static void db_proven(daemon_state *d)
{
	d->db_proven = true;
	d->db_backoff = 0;
}

static bool db_ensure(daemon_state *d)
{
	if (d->db && PQstatus(d->db) == CONNECTION_OK)
		return true;
	if (d->db)
		db_lost(d, "connection lost");
	if (now_ms() < d->db_next_try)
		return false;
	char *err = NULL;
	d->db = db_connect_config(d->conf, NULL, &err);
	d->db_proven = false;
	if (!d->db || db_set_generic_plans(d->db, &err) < 0) {
		char *what = xasprintf("unavailable (%s)", err ? err : "?");
		db_lost(d, what);
		free(what);
		free(err);
		return false;
	}
	if (d->db_down)
		log_info("database connection restored");
	d->db_down = false;
	return true;
}

/* WATCHDOG=1 when it is due (every half of the watchdog interval) */
static void watchdog_ping(daemon_state *d)
{
	if (!d->watchdog_usec || now_ms() < d->next_watchdog)
		return;
	sd_notify(0, "WATCHDOG=1");
	int64_t half = (int64_t)(d->watchdog_usec / 2000);
	d->next_watchdog = now_ms() + (half > 0 ? half : 1);
}

/* ---- one message ---------------------------------------------------------------- */

enum item_rc { ITEM_OK, ITEM_STOP_BATCH, ITEM_DB_LOST };

/* messages whose first attempt is counted in one statement: a crash in the middle leaves
 * at most one uncounted try on each of the others (store_items_first_attempt) */
#define ATTEMPT_SLICE 32
#define MARK_SLICE 64	/* committed messages marked on the server in one command */

/* committed messages waiting for their mark on the server (done in one go) */
typedef struct marks {
	const source_item **v;
	size_t n, cap;
} marks;

static void marks_add(marks *m, const source_item *it)
{
	m->v = xgrow(m->v, &m->cap, m->n + 1, sizeof *m->v);
	m->v[m->n++] = it;
}

static void marks_flush(mbox *b, marks *m, uint64_t uidvalidity)
{
	if (!m->n)
		return;
	source_item *items = xcalloc(m->n, sizeof *items);
	for (size_t i = 0; i < m->n; i++)
		items[i] = *m->v[i]; /* shallow: keys stay owned by the scan */
	char *err = NULL;
	if (source_mark_done_many(b->src, items, m->n, uidvalidity, &err) != SRC_OK)
	{
		log_warning("%s: marking %zu committed message(s) on the server failed (they are stored; "
			    "will retry): %s", b->conf->name, m->n, err ? err : "?");
		b->settled = false;
	}
	free(err);
	free(items);
	m->n = 0;
}

/* returns false when the quarantine could not be written (the batch must stop) */
static bool quarantine_item(daemon_state *d, mbox *b, const source_item *it, uint64_t uidvalidity,
			    const char *raw, size_t len, store_qkind kind, const char *reason)
{
	char *err = NULL;
	if (store_quarantine(d->db, b->conf->name, it->key, it->uid, raw, len, kind, reason, &err) != STORE_OK) {
		log_error("%s: cannot quarantine %s: %s", b->conf->name, it->key, err);
		free(err);
		return false;
	}
	log_warning("%s: message %s quarantined (%s): %s", b->conf->name, it->key, store_qkind_name(kind), reason);
	if (source_quarantine(b->src, it, uidvalidity, &err) != SRC_OK) {
		log_warning("%s: moving %s to the quarantine folder failed: %s", b->conf->name, it->key,
			    err ? err : "?");
		free(err);
	}
	return true;
}

static enum item_rc store_failed(daemon_state *d, mbox *b, const source_item *it, const char *what, char *err)
{
	log_error("%s: %s %s failed: %s", b->conf->name, what, it->key, err ? err : "?");
	free(err);
	return db_connection_lost(d->db) ? ITEM_DB_LOST : ITEM_STOP_BATCH;
}

/*
 * Messages whose round trips (each its transaction, with the COMMIT) are still out while the
 * next one is fetched and parsed (store_ingest_send): up to IN_FLIGHT, so that the server
 * has the next message queued when it finishes one.  They are settled oldest first, and all
 * of them before the connection is used for anything else: only then is a message marked on
 * the server, or moved to the quarantine folder.  The server runs them in order, and when
 * one fails, those sent after it do not run (db_batch_send): they are dropped here, not
 * counted, and come again with the next poll.
 */
#define IN_FLIGHT 2

typedef struct inflight {
	const source_item *it;
	char *error;		/* its parse error, for the log */
	store_result sr;
} inflight;

typedef struct flights {
	inflight f[IN_FLIGHT];
	size_t head, n;
} flights;

static void inflight_clear(inflight *f)
{
	store_result_free(&f->sr);
	xfree(&f->error);
	f->it = NULL;
}

/* every message still out is dropped: not stored as far as we know (a rollback read their
 * answers); one that did commit is marked by the next poll's source_settle */
static void flights_drop(mbox *b, flights *fl)
{
	for (; fl->n; fl->n--, fl->head = (fl->head + 1) % IN_FLIGHT) {
		log_debug("%s: %s not stored: a message before it failed", b->conf->name, fl->f[fl->head].it->key);
		inflight_clear(&fl->f[fl->head]);
		b->settled = false;
	}
}

/* the oldest message out: its answer, then its mark (or its move to the quarantine folder) */
static enum item_rc settle_one(daemon_state *d, mbox *b, flights *fl, uint64_t uidvalidity, marks *mk, size_t *done)
{
	char *err = NULL;
	enum item_rc rc = ITEM_OK;
	inflight *f = &fl->f[fl->head];
	const source_item *it = f->it;
	fl->head = (fl->head + 1) % IN_FLIGHT;
	fl->n--;
	if (store_ingest_wait(d->db, &f->sr, &err) != STORE_OK) {
		rc = store_failed(d, b, it, "storing", err);
		flights_drop(b, fl);
		goto out;
	}
	(*done)++;
	if (f->sr.quarantined) {	/* a duplicate is not: its first storing decided */
		log_warning("%s: message %s quarantined (unparsable): %s", b->conf->name, it->key, f->error);
		if (source_quarantine(b->src, it, uidvalidity, &err) != SRC_OK)
			log_warning("%s: moving %s to the quarantine folder failed: %s", b->conf->name, it->key,
				    err ? err : "?");
		free(err);
	} else {
		log_debug("%s: %s stored%s: %u opened, %u applied, %u uncorrelated", b->conf->name, it->key,
			  f->sr.duplicate ? " (duplicate)" : "", f->sr.opened, f->sr.applied, f->sr.uncorrelated);
		marks_add(mk, it);
	}
out:
	inflight_clear(f);
	return rc;
}

/* settle until at most `keep` messages are out */
static enum item_rc settle(daemon_state *d, mbox *b, flights *fl, size_t keep, uint64_t uidvalidity, marks *mk,
			   size_t *done)
{
	enum item_rc rc = ITEM_OK;
	while (fl->n > keep && rc == ITEM_OK)
		rc = settle_one(d, b, fl, uidvalidity, mk, done);
	return rc;
}

/*
 * One message: its attempt, fetch, parse, and its store sent ahead into fl (those out are
 * settled first whenever anything else uses the database).  fresh: its first attempt is
 * already counted (store_items_first_attempt).  *done counts messages settled.
 */
static enum item_rc ingest_item(daemon_state *d, mbox *b, const source_item *it, uint64_t uidvalidity, bool fresh,
				marks *mk, flights *fl, size_t *done)
{
	char *err = NULL, *raw = NULL, *json = NULL;
	size_t len = 0;
	int attempts = 1;
	bool already = false;
	enum item_rc rc = ITEM_OK;
	parse_result r = { 0 };

	if (!fresh) {
		if ((rc = settle(d, b, fl, 0, uidvalidity, mk, done)) != ITEM_OK)
			goto out;
		if (store_item_attempt(d->db, b->conf->name, it->key, it->uid, &attempts, &already, &err) != STORE_OK) {
			rc = store_failed(d, b, it, "recording an attempt at", err);
			err = NULL;
			goto out;
		}
	}
	if (already) {
		/* committed earlier; the mark on the server may not have happened (crash) */
		marks_add(mk, it);
		(*done)++;
		goto out;
	}
	/* fetching and parsing use no database: the messages out commit meanwhile */
	source_rc s = source_fetch(b->src, it, uidvalidity, d->conf->limits.max_message_bytes, &raw, &len, &err);
	if (s != SRC_OK && s != SRC_TOO_BIG && s != SRC_GONE) {
		log_warning("%s: fetching %s failed: %s", b->conf->name, it->key, err ? err : "?");
		rc = ITEM_STOP_BATCH;
		goto out;
	}
	if (s == SRC_OK && (unsigned)attempts <= b->conf->max_attempts) {
		json = worker_parse(d->w, raw, len, &err);
		if (!json) {
			log_error("parser process unavailable: %s", err);
			rc = ITEM_STOP_BATCH;
			goto out;
		}
		xfree(&err);
		if (result_from_json(json, strlen(json), d->conf->v, &r, &err) < 0)
			s = SRC_FATAL;	/* below: kept raw as a parser crash */
	}
	/* a message to send waits for a free place; one quarantined here uses the database at once */
	bool crashed = r.error && (strstr(r.error, "the parser died") || strstr(r.error, "the parser timed out"));
	bool send = s == SRC_OK && (unsigned)attempts <= b->conf->max_attempts && !crashed;
	if ((rc = settle(d, b, fl, send ? IN_FLIGHT - 1 : 0, uidvalidity, mk, done)) != ITEM_OK)
		goto out;
	if (s == SRC_TOO_BIG) {
		char *why = xasprintf("message larger than %zu bytes", d->conf->limits.max_message_bytes);
		if (!quarantine_item(d, b, it, uidvalidity, NULL, 0, STORE_Q_TOO_BIG, why))
			rc = ITEM_STOP_BATCH;
		free(why);
		goto quarantined;
	}
	if (s == SRC_GONE) {
		log_info("%s: %s vanished before it could be fetched", b->conf->name, it->key);
		if (!quarantine_item(d, b, it, uidvalidity, NULL, 0, STORE_Q_UNPARSABLE,
				     "message vanished from the server before it could be fetched"))
			rc = ITEM_STOP_BATCH;
		goto quarantined;
	}
	if ((unsigned)attempts > b->conf->max_attempts) {
		char *why = xasprintf("%d attempts did not get it stored", attempts - 1);
		if (!quarantine_item(d, b, it, uidvalidity, raw, len, STORE_Q_POISON, why))
			rc = ITEM_STOP_BATCH;
		free(why);
		goto quarantined;
	}
	if (s == SRC_FATAL) {
		/* the parser's answer could not be read */
		if (!quarantine_item(d, b, it, uidvalidity, raw, len, STORE_Q_PARSER_CRASH, err))
			rc = ITEM_STOP_BATCH;
		goto quarantined;
	}
	if (crashed) {
		/* the parser process crashed or hung on it: keep it raw, never retry it blindly */
		if (!quarantine_item(d, b, it, uidvalidity, raw, len, STORE_Q_PARSER_CRASH, r.error))
			rc = ITEM_STOP_BATCH;
		goto quarantined;
	}
	/* an ordinary parse error is stored as a quarantined message (re-parsable later) */
	store_input in = { b->conf->name, it->key, it->uid, raw, len, &r, d->conf->v, &d->tc, 0 };
	inflight *f = &fl->f[(fl->head + fl->n) % IN_FLIGHT];
	if (store_ingest_send(d->db, &in, &f->sr, &err) != STORE_OK) {
		inflight_clear(f);
		rc = store_failed(d, b, it, "storing", err);
		err = NULL;
		flights_drop(b, fl);	/* the rollback read their answers */
		goto out;
	}
	f->it = it;
	f->error = r.error ? xstrdup(r.error) : NULL;
	fl->n++;
	goto out;
quarantined:
	if (rc == ITEM_OK)
		(*done)++;
out:
	parse_result_free(&r);
	free(json);
	free(raw);
	free(err);
	return rc;
}

/* ---- one mailbox ---------------------------------------------------------------- */

/* SPEC §9: every failed login the daemon sees goes to the audit trail */
static void audit_login_failure(daemon_state *d, mbox *b)
{
	char *err = NULL;
	const char *p[] = { "imap_login_failed", b->conf->name, source_name(b->src),
			    b->conf->username ? b->conf->username : "" };
	PGresult *r = db_query(d->db,
			       "INSERT INTO defectd.audit_log (action, object, detail) "
			       "VALUES ($1, $2, jsonb_build_object('url', $3::text, 'user', $4::text))",
			       4, p, &err);
	if (r)
		PQclear(r);
	else
		log_debug("%s: cannot write the audit trail: %s", b->conf->name, err);
	free(err);
}

static void record_poll(daemon_state *d, mbox *b, const char *error)
{
	char *err = NULL;
	if (d->db && store_mailbox_poll_result(d->db, b->conf->name, error, &err) != STORE_OK) {
		log_debug("%s: cannot record the poll: %s", b->conf->name, err);
		free(err);
	}
}

/* the first attempt at the next n items in one statement (none counted when it fails:
 * each item then counts its own) */
static void first_attempts(daemon_state *d, mbox *b, const source_item *items, size_t n, bool *fresh)
{
	const char *keys[ATTEMPT_SLICE];
	uint64_t uids[ATTEMPT_SLICE];
	char *err = NULL;
	for (size_t i = 0; i < n; i++) {
		keys[i] = items[i].key;
		uids[i] = items[i].uid;
	}
	if (store_items_first_attempt(d->db, b->conf->name, keys, uids, n, fresh, &err) != STORE_OK) {
		log_debug("%s: counting first attempts failed (each message counts its own): %s", b->conf->name,
			  err ? err : "?");
		free(err);
	}
}

static void poll_mailbox(daemon_state *d, mbox *b)
{
	char *err = NULL, *halted = NULL;
	uint64_t uidvalidity = 0;
	source_item *items = NULL;
	size_t n = 0;
	source_state st = { 0, 0 };

	b->next_poll = now_ms() + (int64_t)b->conf->poll_interval * 1000;
	b->full_batch = false;
	if (!b->locked) {
		b->locked = db_try_lock_mailbox(d->db, b->conf->name);
		if (!b->locked) {
			if (!b->standby_logged)
				log_info("%s: another daemon polls this mailbox; standing by", b->conf->name);
			b->standby_logged = true;
			return;
		}
		if (b->standby_logged)
			log_info("%s: taking over as the active poller", b->conf->name);
		b->standby_logged = false;
		b->settled = false;
	}
	if (store_mailbox_get(d->db, b->conf->name, &st.uidvalidity, &st.last_uid, &halted, &err) != STORE_OK) {
		log_error("%s: %s", b->conf->name, err);
		goto out;
	}
	if (halted) {
		if (!b->halted || strcmp(b->halted, halted)) {
			log_error("%s: automatic processing is stopped: %s (clear with: defectctl mailbox resume %s)",
				  b->conf->name, halted, b->conf->name);
			free(b->halted);
			b->halted = xstrdup(halted);
		}
		goto out;
	}
	xfree(&b->halted);
	source_rc s = source_scan(b->src, &st, b->conf->batch, &items, &n, &uidvalidity, &err);
	if (s == SRC_UIDVALIDITY) {
		char *why = xasprintf("UIDVALIDITY changed from %llu to %llu: the server renumbered the mailbox; "
				      "messages must be re-matched by Message-ID before going on",
				      (unsigned long long)st.uidvalidity, (unsigned long long)uidvalidity);
		char *e2 = NULL;
		if (store_mailbox_halt(d->db, b->conf->name, why, &e2) != STORE_OK)
			free(e2);
		log_error("%s: %s", b->conf->name, why);
		record_poll(d, b, why);
		free(why);
		goto out;
	}
	if (s == SRC_FATAL && err && strstr(err, "authentication failed"))
		audit_login_failure(d, b);
	if (s != SRC_OK) {
		/* a configuration or login problem waits the longest (a password retried quickly
		 * can lock the account), still no longer than backoff_max */
		b->backoff = next_backoff(b->backoff, d->conf->backoff_max);
		unsigned wait = s == SRC_FATAL ? d->conf->backoff_max : b->backoff;
		b->next_poll = now_ms() + (int64_t)wait * 1000;
		log_warning("%s: %s; retrying in %us", source_name(b->src), err ? err : "mailbox unavailable", wait);
		record_poll(d, b, err ? err : "mailbox unavailable");
		source_disconnect(b->src);
		goto out;
	}
	if (b->backoff)
		log_info("%s: mailbox reachable again", b->conf->name);
	b->backoff = 0;
	/* a predecessor (or we, before a crash) may have committed without marking */
	if (!b->settled && st.uidvalidity && st.uidvalidity == uidvalidity) {
		if (source_settle(b->src, st.last_uid, uidvalidity, &err) == SRC_OK)
			b->settled = true;
		else
			log_warning("%s: repeating marks of committed mail failed: %s", b->conf->name, err ? err : "?");
		xfree(&err);
	}
	if (st.uidvalidity == 0 && uidvalidity) {
		if (store_mailbox_set_uidvalidity(d->db, b->conf->name, uidvalidity, &err) != STORE_OK) {
			log_error("%s: %s", b->conf->name, err);
			goto out;
		}
	}
	size_t done = 0;
	marks mk = { NULL, 0, 0 };
	flights fl = { 0 };
	bool fresh[ATTEMPT_SLICE];
	source_prefetch(b->src, items, n, uidvalidity, d->conf->limits.max_message_bytes);
	for (size_t i = 0; i < n && !got_term; i++) {
		enum item_rc rc = ITEM_OK;
		if (i % ATTEMPT_SLICE == 0 && (rc = settle(d, b, &fl, 0, uidvalidity, &mk, &done)) == ITEM_OK)
			first_attempts(d, b, items + i, n - i < ATTEMPT_SLICE ? n - i : ATTEMPT_SLICE, fresh);
		if (rc == ITEM_OK)
			rc = ingest_item(d, b, &items[i], uidvalidity, fresh[i % ATTEMPT_SLICE], &mk, &fl, &done);
		/* marks wait for a slice, never for long: a crash before the mark repeats it.
		 * The slice stays small: the STORE brings back the server's pending flag news
		 * (\Seen set by the fetch-ahead connections, one line per message), and curl
		 * 7.88.1 fails a request once such lines add up (source_imap.c); at 100 it
		 * failed here as soon as fetching ran a little further ahead */
		if (mk.n >= MARK_SLICE)
			marks_flush(b, &mk, uidvalidity);
		if (rc == ITEM_DB_LOST) {
			db_lost(d, "connection lost");
			break;
		}
		if (rc == ITEM_STOP_BATCH) {
			source_disconnect(b->src);
			b->backoff = next_backoff(b->backoff, d->conf->backoff_max);
			b->next_poll = now_ms() + (int64_t)b->backoff * 1000;
			log_warning("%s: batch stopped; retrying in %us", b->conf->name, b->backoff);
			break;
		}
		watchdog_ping(d);
	}
	/* the messages out when the loop ended (SIGTERM finishes them too) */
	if (d->db && settle(d, b, &fl, 0, uidvalidity, &mk, &done) == ITEM_DB_LOST)
		db_lost(d, "connection lost");
	flights_drop(b, &fl);	/* none left, unless the database went away */
	marks_flush(b, &mk, uidvalidity);
	free(mk.v);
	if (done)
		log_info("%s: %zu message(s) processed", b->conf->name, done);
	/* a full batch means more is waiting: poll again at once */
	b->full_batch = done == n && n == b->conf->batch;
	if (b->full_batch)
		b->next_poll = now_ms();
	if (d->db) {
		char bl[32];
		const char *p[] = { b->conf->name, db_int_param(bl, (int64_t)(n - done)) };
		char *e2 = NULL;
		PGresult *r = db_query(d->db, "UPDATE defectd.mailboxes SET backlog = $2::integer WHERE name = $1", 2, p, &e2);
		if (r)
			PQclear(r);
		free(e2);
	}
	if (d->db)
		record_poll(d, b, NULL);
out:
	source_items_free(items, n);
	free(halted);
	free(err);
}

/* ---- configuration -------------------------------------------------------------- */

static void boxes_free(daemon_state *d)
{
	for (size_t i = 0; i < d->nboxes; i++) {
		source_close(d->boxes[i].src);
		free(d->boxes[i].halted);
	}
	free(d->boxes);
	d->boxes = NULL;
	d->nboxes = 0;
}

/* build sources and the worker for `c`; on failure nothing of d changes */
static int apply_config(daemon_state *d, config *c)
{
	mbox *boxes = xcalloc(c->nmailboxes ? c->nmailboxes : 1, sizeof *boxes);
	char *err = NULL;
	for (size_t i = 0; i < c->nmailboxes; i++) {
		boxes[i].conf = &c->mailboxes[i];
		boxes[i].src = source_open(&c->mailboxes[i], &err);
		if (!boxes[i].src) {
			log_error("mailbox %s: %s", c->mailboxes[i].name, err);
			free(err);
			for (size_t j = 0; j < i; j++)
				source_close(boxes[j].src);
			free(boxes);
			return -1;
		}
	}
	worker_opts wo = { c->v, c->limits, c->parser_timeout, c->parser_window, c->parser_memory_mb, NULL };
	worker *w = worker_new(&wo, &err);
	if (!w) {
		log_error("cannot start the parser process: %s", err);
		free(err);
		for (size_t j = 0; j < c->nmailboxes; j++)
			source_close(boxes[j].src);
		free(boxes);
		return -1;
	}
	/* swap: the locks we hold survive (same database session) */
	bool locked_any = false;
	for (size_t i = 0; i < c->nmailboxes; i++)
		for (size_t j = 0; j < d->nboxes; j++)
			if (!strcmp(d->boxes[j].conf->name, boxes[i].conf->name)) {
				boxes[i].locked = d->boxes[j].locked;
				locked_any |= boxes[i].locked;
			}
	(void)locked_any;
	boxes_free(d);
	worker_free(d->w);
	config_free(d->conf);
	d->conf = c;
	d->tc = track_conf_from_config(c);	/* a reload changes the required fields too */
	d->w = w;
	d->boxes = boxes;
	d->nboxes = c->nmailboxes;
	log_set_level(c->log_level);
	/* at start and on every reload: an operator must not forget them */
	strlist warn = STRLIST_INIT;
	for (size_t i = 0; i < c->nmailboxes; i++)
		config_mailbox_warnings(&c->mailboxes[i], &warn);
	for (size_t i = 0; i < warn.n; i++)
		log_warning("%s", warn.v[i]);
	sl_free(&warn);
	return 0;
}

static void reload(daemon_state *d, const char *path)
{
	strlist errs = STRLIST_INIT;
	sd_notify(0, "RELOADING=1");
	config *c = config_load(path, &errs);
	if (!c) {
		for (size_t i = 0; i < errs.n; i++)
			log_error("%s", errs.v[i]);
		log_error("configuration not reloaded: the running one stays in force");
	} else if (apply_config(d, c) < 0) {
		config_free(c);
		log_error("configuration not reloaded: the running one stays in force");
	} else {
		log_info("configuration reloaded from %s", path);
	}
	sl_free(&errs);
	sd_notify(0, "READY=1");
}

/* ---- the loop ------------------------------------------------------------------- */

/* one pass: every mailbox that is due; false when none was (the connection was not used) */
static bool poll_due(daemon_state *d)
{
	bool polled = false;
	for (size_t i = 0; i < d->nboxes && d->db && !got_term; i++) {
		mbox *b = &d->boxes[i];
		if (now_ms() < b->next_poll && !d->once)
			continue;
		poll_mailbox(d, b);
		polled = true;
		/* --once drains: a full batch means more is waiting */
		while (d->once && d->db && !db_connection_lost(d->db) && !got_term && b->full_batch)
			poll_mailbox(d, b);
		/* whatever found the connection gone (a settle, the bookkeeping after a batch,
		 * the first statement of a poll after an idle while) */
		if (d->db && db_connection_lost(d->db))
			db_lost(d, "connection lost");
	}
	return polled && d->db;
}

/* the earliest timer: a mailbox's poll or retry, else the database's next try; the watchdog */
static int64_t next_wake(const daemon_state *d)
{
	int64_t next = d->db ? INT64_MAX : d->db_next_try;
	for (size_t i = 0; d->db && i < d->nboxes; i++)
		if (d->boxes[i].next_poll < next)
			next = d->boxes[i].next_poll;
	if (d->watchdog_usec && d->next_watchdog < next)
		next = d->next_watchdog;
	return next;
}

static void sleep_until(int64_t t)
{
	int64_t wait = t - now_ms();
	if (wait <= 0 || wake_pipe[0] < 0)
		return;
	struct pollfd pf = { wake_pipe[0], POLLIN, 0 };
	poll(&pf, 1, (int)(wait > 3600000 ? 3600000 : wait));
	char buf[64];
	while (read(wake_pipe[0], buf, sizeof buf) > 0)
		;
}

int loop_run(const loop_opts *o)
{
	daemon_state d;
	memset(&d, 0, sizeof d);
	d.once = o->once;

	if (geteuid() == 0 && !getenv("DEFECTD_ALLOW_ROOT")) {
		log_error("refusing to run as root: run defectd as its own user (systemd: User=defectd)");
		return 2;
	}
	config *c = config_load_or_report(o->config_path, "defectd");
	if (!c)
		return 2;
	if (!c->nmailboxes) {
		log_error("%s: no mailboxes configured", o->config_path);
		config_free(c);
		return 2;
	}
	setup_signals();
	if (apply_config(&d, c) < 0) {
		config_free(c);
		return 2;
	}
	if (sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
		d.watchdog_usec = 0;
	if (d.conf->watchdog_ping)
		d.watchdog_usec = (uint64_t)d.conf->watchdog_ping * 2000000u;
	sd_notify(0, "READY=1");
	log_info("defectd started: %zu mailbox(es)", d.nboxes);

	int status = 0;
	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(&d, o->config_path);
		}
		if (db_ensure(&d)) {
			if (poll_due(&d))
				db_proven(&d);
		} else if (d.once) {
			status = 1;
			break;
		}
		if (d.once)
			break;
		watchdog_ping(&d);
		sleep_until(next_wake(&d));
	}
	sd_notify(0, "STOPPING=1");
	log_info("defectd stopping");
	boxes_free(&d);
	worker_free(d.w);
	db_drop(&d);
	config_free(d.conf);
	return status;
}
