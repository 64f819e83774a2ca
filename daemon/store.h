/*
 * store — what defectd writes to PostgreSQL, one transaction per message (SPEC.md §6, §9,
 * §10): mailbox state (UIDVALIDITY, last UID, halts, poll results), attempts per fetched
 * message, the message itself stored exactly once, its records applied by the server's
 * functions (sql/008; for re-parsing and assignment through track.c),
 * the quarantine, re-parsing a stored message and assigning an uncorrelated record by hand.
 *
 * Exactly once: the message's identity (Message-ID, else the SHA-256 of the raw mail) is
 * unique; storing it again changes nothing but the mailbox item.  The caller marks mail on
 * the server only after store_ingest/store_quarantine returned STORE_OK, walks UIDs in
 * ascending order and stops a poll at the first UID it neither stored nor quarantined:
 * last_uid = GREATEST(last_uid, uid) assumes every smaller UID is settled.
 *
 * Privacy: personal fields (vocab field_def.personal) go to personal_data only — never to
 * field_values, records.fields, messages.parse_json or a warning (a warning that names a
 * personal field is replaced by "<field>: value withheld (personal data)").
 *
 * Every function returns a store_rc; on failure *err says why (caller frees) and the
 * transaction was rolled back.  Strings in a parse_result must be valid UTF-8 (they are when
 * they came through result_from_json); otherwise STORE_BAD.
 */
#ifndef DEFECTD_STORE_H
#define DEFECTD_STORE_H

#include "record.h"
#include "track.h"
#include "util.h"
#include "vocab.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum store_rc {
	STORE_OK = 0,
	STORE_TEMP = -1,	/* not the message's fault (connection, deadlock, privileges, schema):
				 * retry later, do not count it against the message */
	STORE_BAD = -2,		/* this input cannot be stored: count the attempt, quarantine at the limit */
} store_rc;

typedef enum store_qkind {
	STORE_Q_UNPARSABLE,	/* the parser gave an error */
	STORE_Q_UNCORRELATED,	/* a record matched no defect (made by store_ingest itself) */
	STORE_Q_POISON,		/* too many attempts */
	STORE_Q_TOO_BIG,	/* over the size limit: raw may be NULL (never fetched) */
	STORE_Q_PARSER_CRASH,	/* the parse worker died or timed out on it */
	STORE_Q_UIDVALIDITY,	/* seen under an old UIDVALIDITY */
} store_qkind;

/* "unparsable", "uncorrelated", … (the quarantine.reason_kind values) */
const char *store_qkind_name(store_qkind k);

typedef struct store_input {
	const char *mailbox;	/* mailbox name; NULL = no mailbox bookkeeping (a file) */
	const char *source_key;	/* required with mailbox: "UIDVALIDITY/UID", Maildir name, … */
	uint64_t uid;		/* IMAP UID, else 0 */
	const char *raw;	/* the message as fetched (kept in messages.raw) */
	size_t raw_len;
	const parse_result *r;	/* with r->error set the message is stored and quarantined */
	const vocab *v;		/* the vocabulary r was made with */
	const track_conf *tc;	/* NULL = track_conf_default() */
	int64_t resolves;	/* a quarantine entry that kept only this raw mail (poison, parser
				 * crash ...): resolved in the same transaction; 0 = none */
} store_input;

typedef struct store_result {
	int64_t message;	/* messages.id (the earlier one for a duplicate) */
	bool duplicate;		/* stored before: nothing changed but the mailbox item */
	bool quarantined;	/* the message carried a parse error and went to the quarantine */
	unsigned opened;	/* defects opened */
	unsigned applied;	/* records applied to existing defects (incl. hand assignments kept) */
	unsigned uncorrelated;	/* records sent to the quarantine */
	strlist refs;		/* MD numbers touched, each once, owned */
	PGresult *answer;	/* internal: the server's answer, until store_ingest_wait reads it */
} store_result;

/* free refs and zero the struct */
void store_result_free(store_result *res);

/* ---- mailboxes ----------------------------------------------------------------------------- */

/* The mailbox's state, creating its row when missing.  *uidvalidity 0 = not known yet;
 * *halted_reason (may be NULL: not wanted) gets a copy or NULL; caller frees. */
int store_mailbox_get(PGconn *c, const char *name, uint64_t *uidvalidity, uint64_t *last_uid,
		      char **halted_reason, char **err) WUR;
/* Record the UIDVALIDITY seen on the first poll.  A different value already stored is
 * STORE_BAD: halt the mailbox (store_mailbox_halt) and let an operator resume it. */
int store_mailbox_set_uidvalidity(PGconn *c, const char *name, uint64_t uidvalidity, char **err) WUR;
/* Stop automatic processing (UIDVALIDITY changed, …); recorded in the audit log. */
int store_mailbox_halt(PGconn *c, const char *name, const char *reason, char **err) WUR;
/* Operator: clear the halt.  With uidvalidity != 0 that becomes the mailbox's UIDVALIDITY;
 * when it differs from the stored one last_uid restarts at 0, so every message is fetched
 * again and re-matched by identity (Message-ID / content hash): duplicates are recognised. */
int store_mailbox_resume(PGconn *c, const char *name, uint64_t uidvalidity, char **err) WUR;
/* After each poll: error NULL = success (last_ok_at), else last_error/last_error_at. */
int store_mailbox_poll_result(PGconn *c, const char *name, const char *error, char **err) WUR;

/* ---- messages ------------------------------------------------------------------------------ */

/*
 * The first attempt at several messages never seen before, in one statement (its own
 * transaction): fresh[i] is set for each keys[i] that got its item row now, with one
 * attempt counted.  Those need no store_item_attempt; every other one does (an item seen
 * before, done, or tried by a run that did not finish it: its attempts count one by one,
 * so a message that kills the daemon is blamed alone).  A batch cut short by a crash
 * leaves at most one uncounted try on each message it did not reach.
 */
int store_items_first_attempt(PGconn *c, const char *mailbox, const char *const *keys, const uint64_t *uids,
			      size_t n, bool *fresh, char **err);

/*
 * One attempt at a fetched message, in its own transaction, before parsing it.
 * *already_done: the item is done or quarantined — skip it (mark it on the server again if
 * needed).  Otherwise *attempts is the count including this one; past the limit the caller
 * quarantines it (STORE_Q_POISON) instead of parsing it.
 */
int store_item_attempt(PGconn *c, const char *mailbox, const char *source_key, uint64_t uid,
		       int *attempts, bool *already_done, char **err) WUR;

/*
 * Store one parsed message in ONE transaction: the message row (raw mail, parse result
 * without personal fields; status parsed, ignored (noise / no records) or quarantined (parse
 * error, with a quarantine entry "unparsable")), each record correlated and applied
 * (track.c), the mailbox item done and last_uid advanced.  A message stored before (same
 * identity) only marks the item done: out->duplicate.  out is filled on STORE_OK; free it
 * with store_result_free either way.
 */
int store_ingest(PGconn *c, const store_input *in, store_result *out, char **err) WUR;
/*
 * store_ingest in two halves, so that the caller can fetch and parse the next message while
 * the server stores and commits this one: _send sends the message's one round trip and
 * returns; _wait reads its answer into the same *out, which must stay in place between the
 * two (and be freed with store_result_free either way).  Between the two the connection is
 * used for nothing else, and the message must not be marked on the server before _wait
 * returned STORE_OK.
 */
int store_ingest_send(PGconn *c, const store_input *in, store_result *out, char **err) WUR;
int store_ingest_wait(PGconn *c, store_result *out, char **err) WUR;

/*
 * Quarantine a message that never got a parse result (poison, too big, parser crash, old
 * UIDVALIDITY): the raw mail (raw may be NULL) goes into quarantine.raw, the item becomes
 * quarantined and last_uid advances, in one transaction.  Idempotent per item: an item
 * already done or quarantined gets no second entry.  mailbox may be NULL (no item).
 * Messages with a parse error go through store_ingest instead (they are kept as a messages
 * row with status quarantined, so store_reparse can retry them after a parser fix).
 */
int store_quarantine(PGconn *c, const char *mailbox, const char *source_key, uint64_t uid,
		     const char *raw, size_t raw_len, store_qkind kind, const char *reason,
		     char **err) WUR;

/* The raw mail of messages.id (to parse it again); caller frees *raw. */
int store_message_raw(PGconn *c, int64_t message, char **raw, size_t *len, char **err) WUR;
/* The raw mail a quarantine entry kept (poison, parser crash); caller frees *raw. */
int store_quarantine_raw(PGconn *c, int64_t entry, char **raw, size_t *len, char **err) WUR;

/*
 * Apply a stored message again after a parser change, in one transaction: what it
 * contributed (records and so its field history, personal_data, repairs, part_events, its open
 * uncorrelated/unparsable quarantine entries) is removed, the affected defects recomputed,
 * the message row updated from r and r's records applied.  A defect the message opened keeps
 * its number (the first new defect_report takes it again); one it opened that is no longer
 * used and has nothing from other messages is deleted.  A record assigned by hand before is
 * assigned to the same defect again when it still matches nothing (same record index).
 * The message's identity does not change.  out may be NULL.
 */
int store_reparse(PGconn *c, int64_t message, const parse_result *r, const vocab *v,
		  const track_conf *tc, store_result *out, char **err) WUR;

/*
 * Assign the uncorrelated record of quarantine entry `quarantine_id` to defect `ref` by
 * hand: apply it (outcome "assigned"), resolve the entry, note it in the audit log.
 * STORE_BAD when the entry is not an open uncorrelated record or the defect does not exist.
 */
int store_assign(PGconn *c, int64_t quarantine_id, const char *ref, const track_conf *tc,
		 char **err) WUR;

/* Recompute every defect's tracks (after the required fields changed in the configuration),
 * in one transaction, audited; *count (may be NULL) = how many defects. */
int store_recompute_all(PGconn *c, const track_conf *tc, size_t *count, char **err) WUR;

#endif
