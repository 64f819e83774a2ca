/*
 * source — picks the implementation from the URL scheme and dispatches to it (see
 * source.h for the contract, source_int.h for the table).  It never talks to a
 * server or reads a file itself, and it never decides what is done.
 */
#include "source.h"
#include "source_int.h"

#include <stdlib.h>
#include <string.h>

struct source {
	const source_ops *ops;
	void *impl;
	char *name;
};

static const struct {
	const char *prefix;
	const source_ops *ops;
	void *(*open)(const mailbox_conf *mb, char **name, char **err);
} schemes[] = {
	{ "imaps://", &source_imap_ops, source_imap_open },
	{ "imap://", &source_imap_ops, source_imap_open },
	{ "maildir:", &source_maildir_ops, source_maildir_open },
	{ "mbox:", &source_mbox_ops, source_mbox_open },
};

source *source_open(const mailbox_conf *mb, char **err)
{
	source *s = NULL;
	char *name = NULL;
	void *impl = NULL;

	*err = NULL;
	if (!mb || !mb->url || !*mb->url) {
		*err = xstrdup("mailbox has no url");
		goto out;
	}
	for (size_t i = 0; i < ARRAY_LEN(schemes); i++) {
		if (!ascii_casecmp_prefix(mb->url, schemes[i].prefix))
			continue;
		impl = schemes[i].open(mb, &name, err);
		if (!impl)
			goto out;
		s = xcalloc(1, sizeof *s);
		s->ops = schemes[i].ops;
		s->impl = impl;
		s->name = name;
		name = NULL;
		goto out;
	}
	/* the URL is not quoted back: a mistyped one might carry a password */
	*err = xstrdup("mailbox url must start with imaps://, imap://, maildir: or mbox:");
out:
	free(name);
	if (!s && !*err)
		*err = xstrdup("could not open the mailbox");
	return s;
}

/* Every failure carries a reason, even when an implementation forgot to give one. */
static source_rc ensure_err(source_rc rc, const source *s, char **err)
{
	if (rc != SRC_OK && !*err)
		*err = xasprintf("%s: failed (code %d)", s->name, (int)rc);
	if (rc == SRC_OK && *err)
		xfree(err);
	return rc;
}

source_rc source_scan(source *s, const source_state *st, size_t max, source_item **items, size_t *n,
		      uint64_t *uidvalidity, char **err)
{
	static const source_state none = { 0, 0 };
	source_rc rc;

	*err = NULL;
	*items = NULL;
	*n = 0;
	*uidvalidity = 0;
	rc = s->ops->scan(s->impl, st ? st : &none, max, items, n, uidvalidity, err);
	if (rc != SRC_OK) {
		source_items_free(*items, *n);
		*items = NULL;
		*n = 0;
	}
	return ensure_err(rc, s, err);
}

source_rc source_fetch(source *s, const source_item *it, uint64_t uidvalidity, size_t max_bytes,
		       char **bytes, size_t *len, char **err)
{
	source_rc rc;

	*err = NULL;
	*bytes = NULL;
	*len = 0;
	rc = s->ops->fetch(s->impl, it, uidvalidity, max_bytes, bytes, len, err);
	if (rc != SRC_OK) {
		xfree(bytes);
		*len = 0;
	}
	return ensure_err(rc, s, err);
}

source_rc source_mark_done(source *s, const source_item *it, uint64_t uidvalidity, char **err)
{
	*err = NULL;
	return ensure_err(s->ops->mark_done(s->impl, it, uidvalidity, err), s, err);
}

source_rc source_mark_done_many(source *s, const source_item *items, size_t n, uint64_t uidvalidity, char **err)
{
	*err = NULL;
	if (!n)
		return SRC_OK;
	if (s->ops->mark_done_many)
		return ensure_err(s->ops->mark_done_many(s->impl, items, n, uidvalidity, err), s, err);
	source_rc rc = SRC_OK;
	for (size_t i = 0; i < n && rc == SRC_OK; i++)
		rc = s->ops->mark_done(s->impl, &items[i], uidvalidity, err);
	return ensure_err(rc, s, err);
}

void source_prefetch(source *s, const source_item *items, size_t n, uint64_t uidvalidity, size_t max_bytes)
{
	if (s->ops->prefetch)
		s->ops->prefetch(s->impl, items, n, uidvalidity, max_bytes);
}

source_rc source_settle(source *s, uint64_t last_uid, uint64_t uidvalidity, char **err)
{
	*err = NULL;
	if (!s->ops->settle)
		return SRC_OK;
	return ensure_err(s->ops->settle(s->impl, last_uid, uidvalidity, err), s, err);
}

source_rc source_quarantine(source *s, const source_item *it, uint64_t uidvalidity, char **err)
{
	*err = NULL;
	return ensure_err(s->ops->quarantine(s->impl, it, uidvalidity, err), s, err);
}

void source_disconnect(source *s)
{
	if (s)
		s->ops->disconnect(s->impl);
}

void source_close(source *s)
{
	if (s) {
		s->ops->close(s->impl);
		free(s->name);
		free(s);
	}
}

void source_items_free(source_item *items, size_t n)
{
	for (size_t i = 0; items && i < n; i++)
		free(items[i].key);
	free(items);
}

const char *source_name(const source *s)
{
	return s ? s->name : "(no mailbox)";
}

/* ---- helpers for the implementations ------------------------------------ */

/* where key is, or where it would go */
static size_t keyset_pos(const source_keyset *ks, const char *key, bool *found)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ks->v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < ks->n && !strcmp(ks->v[lo], key);
	return lo;
}

bool source_keyset_has(const source_keyset *ks, const char *key)
{
	bool found;

	keyset_pos(ks, key, &found);
	return found;
}

void source_keyset_add(source_keyset *ks, const char *key)
{
	bool found;
	size_t at = keyset_pos(ks, key, &found);

	if (found)
		return;
	ks->v = xgrow(ks->v, &ks->cap, ks->n + 1, sizeof *ks->v);
	memmove(ks->v + at + 1, ks->v + at, (ks->n - at) * sizeof *ks->v);
	ks->v[at] = xstrdup(key);
	ks->n++;
}

void source_keyset_free(source_keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->v[i]);
	free(ks->v);
	ks->v = NULL;
	ks->n = ks->cap = 0;
}

static int item_key_cmp(const void *a, const void *b)
{
	const source_item *x = a, *y = b;
	return strcmp(x->key, y->key);
}

void source_items_sort_by_key(source_item *items, size_t *n)
{
	size_t out = 0;

	if (*n > 1)
		qsort(items, *n, sizeof *items, item_key_cmp);
	for (size_t i = 0; i < *n; i++) {
		if (out && !strcmp(items[out - 1].key, items[i].key)) {
			free(items[i].key);
			continue;
		}
		items[out++] = items[i];
	}
	*n = out;
}

char *source_local_path(const char *url, const char *scheme, const char *example, char **err)
{
	const char *p = url + strlen(scheme) + 1;	/* after "scheme:" */
	if (!strncmp(p, "//", 2))
		p += 2;					/* scheme:///abs/path */
	if (!*p) {
		*err = xasprintf("%s: url needs a path (%s)", scheme, example);
		return NULL;
	}
	char *path = xstrdup(p);
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	return path;
}
