/*
 * source — where mail comes from: an IMAP mailbox (libcurl, imap:// or imaps://), a
 * local Maildir or an mbox file.  A source lists message keys, fetches bytes and, once
 * the caller has committed a message, marks it done (IMAP keyword or move); it never
 * decides what is done — the database does.
 *
 * Keys: IMAP "UIDVALIDITY/UID" (uid also given as a number); Maildir the file's unique
 * name (without the :2,flags part); mbox "OFFSET/LENGTH" (byte offset of the From_ line,
 * raw length up to the next one).
 */
#ifndef DEFECTD_SOURCE_H
#define DEFECTD_SOURCE_H

#include "config.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>

typedef enum source_rc {
	SRC_OK = 0,
	SRC_TEMP = -1,		/* connection or server trouble: back off and retry */
	SRC_FATAL = -2,		/* configuration/authentication: stop this mailbox, say why */
	SRC_UIDVALIDITY = -3,	/* the server renumbered the mailbox: stop automatic processing */
	SRC_TOO_BIG = -4,	/* the message exceeds the size limit: quarantine unread */
	SRC_GONE = -5,		/* the message disappeared (expunged) */
} source_rc;

typedef struct source_item {
	char *key;
	uint64_t uid;		/* IMAP UID, else 0 */
	size_t size;		/* bytes when known (RFC822.SIZE, file size), else 0 */
} source_item;

typedef struct source_state {
	uint64_t uidvalidity;	/* 0 = unknown (first poll) */
	uint64_t last_uid;	/* every UID <= last_uid is committed or quarantined */
} source_state;

typedef struct source source;

/* Does not connect yet. NULL with *err on a bad URL or missing secret. */
source *source_open(const mailbox_conf *mb, char **err);
/*
 * List at most `max` messages newer than the state, in ascending order (IMAP: UID
 * SEARCH UID last+1:*, filtered; local: the messages not yet passed to
 * source_mark_done/source_quarantine on this source, Maildir in key order, mbox in file
 * order).  *uidvalidity receives the mailbox's current UIDVALIDITY (local sources: 1),
 * also when SRC_UIDVALIDITY is returned.  When st->uidvalidity is set
 * and differs, returns SRC_UIDVALIDITY.  Caller frees with source_items_free.
 */
source_rc source_scan(source *s, const source_state *st, size_t max, source_item **items, size_t *n,
		      uint64_t *uidvalidity, char **err);
/* A hint: the caller will fetch these items next, in this order; the source may start
 * fetching them ahead (IMAP: on extra connections).  Results are used only for the
 * same UIDVALIDITY; anything that fails is fetched again by source_fetch. */
void source_prefetch(source *s, const source_item *items, size_t n, uint64_t uidvalidity, size_t max_bytes);
/* Fetch one message (at most max_bytes, else SRC_TOO_BIG). Caller frees *bytes. */
source_rc source_fetch(source *s, const source_item *it, uint64_t uidvalidity, size_t max_bytes,
		       char **bytes, size_t *len, char **err);
/* After commit: set the processed keyword and/or move to the processed folder. */
source_rc source_mark_done(source *s, const source_item *it, uint64_t uidvalidity, char **err);
/* The same for many messages at once (one command per slice of UIDs on IMAP). */
source_rc source_mark_done_many(source *s, const source_item *items, size_t n, uint64_t uidvalidity,
				char **err);
/* Messages <= last_uid are settled in the database: give those that lost their mark
 * (a crash between commit and mark) the mark now.  No-op for local sources. */
source_rc source_settle(source *s, uint64_t last_uid, uint64_t uidvalidity, char **err);
/* Move to the quarantine folder when one is configured (else nothing). */
source_rc source_quarantine(source *s, const source_item *it, uint64_t uidvalidity, char **err);
/* close the connection (the next call reconnects) */
void source_disconnect(source *s);
void source_close(source *s);
void source_items_free(source_item *items, size_t n);
/* "imaps://host/INBOX" without credentials, for logs */
const char *source_name(const source *s);

#endif
