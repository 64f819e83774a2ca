/*
 * source_int — what source.c shares with its three implementations (source_imap.c,
 * source_maildir.c, source_mbox.c).  Private to those four files: nothing else
 * includes it.
 *
 * Each implementation fills a source_ops table; source.c checks arguments, clears
 * *err and dispatches.  An implementation owns its `impl` object and frees it in
 * close().  Local sources (Maildir, mbox) also share a small set of keys that were
 * marked done or quarantined in this process (see source_keyset_*).
 */
#ifndef DEFECTD_SOURCE_INT_H
#define DEFECTD_SOURCE_INT_H

#include "source.h"

#include <stdbool.h>

typedef struct source_ops {
	source_rc (*scan)(void *impl, const source_state *st, size_t max, source_item **items, size_t *n,
			  uint64_t *uidvalidity, char **err);
	source_rc (*fetch)(void *impl, const source_item *it, uint64_t uidvalidity, size_t max_bytes,
			   char **bytes, size_t *len, char **err);
	source_rc (*mark_done)(void *impl, const source_item *it, uint64_t uidvalidity, char **err);
	/* optional: many at once (NULL: mark_done for each) */
	source_rc (*mark_done_many)(void *impl, const source_item *items, size_t n, uint64_t uidvalidity,
				    char **err);
	/* optional: start fetching these ahead (a hint) */
	void (*prefetch)(void *impl, const source_item *items, size_t n, uint64_t uidvalidity, size_t max_bytes);
	/* optional: mark settled messages (<= last_uid) that lost their mark */
	source_rc (*settle)(void *impl, uint64_t last_uid, uint64_t uidvalidity, char **err);
	source_rc (*quarantine)(void *impl, const source_item *it, uint64_t uidvalidity, char **err);
	void (*disconnect)(void *impl);
	void (*close)(void *impl);
} source_ops;

/*
 * Open an implementation: returns its impl object (NULL with *err) and sets *name to
 * the display name ("imaps://host/INBOX", "maildir:/path"), which the caller frees.
 * `rest` is the URL as configured.
 */
void *source_imap_open(const mailbox_conf *mb, char **name, char **err);
void *source_maildir_open(const mailbox_conf *mb, char **name, char **err);
void *source_mbox_open(const mailbox_conf *mb, char **name, char **err);

extern const source_ops source_imap_ops;
extern const source_ops source_maildir_ops;
extern const source_ops source_mbox_ops;

/*
 * A sorted set of owned strings.  Local sources remember here which keys the caller
 * marked done or quarantined, so that a scan limited to `max` items moves on to the
 * rest of a large mailbox instead of listing the same first `max` keys forever.
 */
typedef struct source_keyset {
	char **v;
	size_t n;
	size_t cap;
} source_keyset;
#define SOURCE_KEYSET_INIT { NULL, 0, 0 }

bool source_keyset_has(const source_keyset *ks, const char *key);
/* copies key; no-op when present */
void source_keyset_add(source_keyset *ks, const char *key);
void source_keyset_free(source_keyset *ks);

/* sort items by key (strcmp) and drop duplicate keys (keeps one); updates *n */
void source_items_sort_by_key(source_item *items, size_t *n);

/* The path of a local source URL "SCHEME:/path" or "SCHEME:///path" (caller frees,
 * trailing slashes dropped), or NULL with *err naming `example`. */
char *source_local_path(const char *url, const char *scheme, const char *example, char **err);

#endif
