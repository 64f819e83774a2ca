/*
 * imap_ahead — messages fetched ahead, many per command, on a connection of their own.
 *
 * A FETCH command costs an IMAP server far more than the message it returns (Dovecot on
 * a Maildir: ~0.1 ms of CPU a command against ~0.013 ms a message when 64 come in one).
 * So the messages a poll will ask for come in batches: "UID FETCH 4,5,9 (UID BODY.PEEK[])"
 * on a second connection, read as it arrives while the caller stores the messages before.
 * BODY.PEEK changes no flag.  libcurl logs in and does TLS (CURLOPT_CONNECT_ONLY); the
 * commands and their answers are ours (imap_wire.c reads them, literals and all).
 *
 * Nothing here is trusted further than it must be: a message the batch did not bring,
 * an answer that does not parse, another UIDVALIDITY, a lost connection: the caller
 * fetches the message the ordinary way, which has the full error handling.
 */
#ifndef DEFECTD_IMAP_AHEAD_H
#define DEFECTD_IMAP_AHEAD_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

typedef struct imap_ahead imap_ahead;

/* h: a handle whose CURLOPT_CONNECT_ONLY perform has logged in (owned from now on);
 * mailbox_q: the mailbox as an IMAP quoted string; messages over max_bytes are not fetched */
imap_ahead *ahead_new(CURL *h, const char *mailbox_q, uint64_t uidvalidity, size_t max_bytes);
/* the UIDs the caller will ask for, in its order, with their sizes (replaces the plan) */
void ahead_plan(imap_ahead *a, const uint64_t *uids, const size_t *sizes, size_t n);
/* uid's message, waiting up to wait_ms for it: 1 with *bytes (caller frees) and *len, or 0:
 * fetch it the ordinary way.  Messages planned before uid and not asked for are dropped. */
int ahead_take(imap_ahead *a, uint64_t uid, int wait_ms, char **bytes, size_t *len);
uint64_t ahead_uidvalidity(const imap_ahead *a);
/* why the connection was given up (NULL: it was not); it is of no use any more */
const char *ahead_broken(const imap_ahead *a);
void ahead_free(imap_ahead *a);

#endif
