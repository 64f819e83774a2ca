/*
 * source_maildir — a local Maildir (maildir:/path), for offline catch-up and the
 * bundled sample.  Messages are the regular files in new/ and cur/; the key is the
 * file's unique name without the ":2,flags" info, and keys sort in delivery order
 * because Maildir names start with the delivery time.
 *
 * It never writes to the Maildir: the database remembers what is done, and the
 * mailbox may be read-only.  What the caller marked done or quarantined in this
 * process is remembered in memory so that a scan limited to `max` moves on.
 */
#include "source_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct seen_file {
	char *key;
	char *rel;		/* "new/NAME" or "cur/NAME:2,FLAGS" as last scanned */
	size_t size;
} seen_file;

typedef struct maildir {
	char *path;
	seen_file *seen;	/* sorted by key, from the last scan */
	size_t nseen;
	source_keyset done;
} maildir;

static const char *const subdirs[] = { "new", "cur" };

/* the key of a Maildir file name: the unique part before ":2," */
static char *name_key(const char *name)
{
	const char *info = strstr(name, ":2,");
	return info ? xstrndup(name, (size_t)(info - name)) : xstrdup(name);
}

static void seen_free(maildir *md)
{
	for (size_t i = 0; i < md->nseen; i++) {
		free(md->seen[i].key);
		free(md->seen[i].rel);
	}
	xfree(&md->seen);
	md->nseen = 0;
}

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(((const seen_file *)a)->key, ((const seen_file *)b)->key);
}

/* errno of a missing or unreadable Maildir is a configuration problem, not a hiccup */
static source_rc errno_rc(int e)
{
	return e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM || e == ELOOP ? SRC_FATAL : SRC_TEMP;
}

/* Add the regular files of one subdirectory to *files (key = sort order). */
static source_rc list_dir(maildir *md, const char *sub, seen_file **files, size_t *n, size_t *cap,
			  char **err)
{
	char *dirpath = xasprintf("%s/%s", md->path, sub);
	DIR *d = opendir(dirpath);
	source_rc rc = SRC_OK;
	struct dirent *de;

	if (!d) {
		rc = errno_rc(errno);
		*err = xasprintf("maildir %s: %s: %s", md->path, sub, strerror(errno));
		goto out;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (de->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;	/* vanished meanwhile, or not a message */
		*files = xgrow(*files, cap, *n + 1, sizeof **files);
		seen_file *f = &(*files)[(*n)++];
		f->key = name_key(de->d_name);
		f->rel = xasprintf("%s/%s", sub, de->d_name);
		f->size = (size_t)st.st_size;
	}
	if (errno) {
		rc = SRC_TEMP;
		*err = xasprintf("maildir %s: reading %s: %s", md->path, sub, strerror(errno));
	}
	closedir(d);
out:
	free(dirpath);
	return rc;
}

static source_rc md_scan(void *impl, const source_state *st, size_t max, source_item **items, size_t *n,
			 uint64_t *uidvalidity, char **err)
{
	maildir *md = impl;
	seen_file *files = NULL;
	size_t nfiles = 0, cap = 0, out = 0;
	source_rc rc = SRC_OK;

	*uidvalidity = 1;
	if (st->uidvalidity && st->uidvalidity != 1) {
		rc = SRC_UIDVALIDITY;
		*err = xasprintf("maildir %s: the stored UIDVALIDITY %llu is not a Maildir's (1)", md->path,
				 (unsigned long long)st->uidvalidity);
		goto out;
	}
	for (size_t i = 0; i < ARRAY_LEN(subdirs) && rc == SRC_OK; i++)
		rc = list_dir(md, subdirs[i], &files, &nfiles, &cap, err);
	if (rc != SRC_OK)
		goto out;
	if (nfiles > 1)
		qsort(files, nfiles, sizeof *files, seen_cmp);
	/* a file caught between new/ and cur/ shows up twice: keep one */
	for (size_t i = 0; i < nfiles; i++) {
		if (out && !strcmp(files[out - 1].key, files[i].key)) {
			free(files[i].key);
			free(files[i].rel);
			continue;
		}
		files[out++] = files[i];
	}
	nfiles = out;
	seen_free(md);
	md->seen = files;
	md->nseen = nfiles;
	files = NULL;

	*items = xcalloc(max < md->nseen ? max + 1 : md->nseen + 1, sizeof **items);
	for (size_t i = 0; i < md->nseen && *n < max; i++) {
		if (source_keyset_has(&md->done, md->seen[i].key))
			continue;
		source_item *it = &(*items)[(*n)++];
		it->key = xstrdup(md->seen[i].key);
		it->size = md->seen[i].size;
	}
out:
	for (size_t i = 0; files && i < nfiles; i++) {
		free(files[i].key);
		free(files[i].rel);
	}
	free(files);
	return rc;
}

/* a key from the database must name a file inside new/ or cur/ */
static bool key_ok(const char *key)
{
	return key && *key && key[0] != '.' && !strchr(key, '/');
}

/* Open the message's file: where the last scan saw it, else new/KEY, else cur/KEY[:2,…]. */
static int open_message(maildir *md, const char *key, int *e)
{
	seen_file probe = { .key = (char *)key };
	seen_file *hit = md->nseen ? bsearch(&probe, md->seen, md->nseen, sizeof *md->seen, seen_cmp) : NULL;
	char *p = NULL;
	int fd = -1;

	*e = ENOENT;
	/* twice: the file may be renamed (new/ → cur/, flags) while we look */
	for (int round = 0; round < 2 && fd < 0; round++) {
		if (round == 0 && hit) {
			p = xasprintf("%s/%s", md->path, hit->rel);
			fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			xfree(&p);
			if (fd >= 0 || errno != ENOENT)
				break;
		}
		p = xasprintf("%s/new/%s", md->path, key);
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		xfree(&p);
		if (fd >= 0 || errno != ENOENT)
			break;
		p = xasprintf("%s/cur", md->path);
		DIR *d = opendir(p);
		xfree(&p);
		if (!d)
			break;
		size_t klen = strlen(key);
		struct dirent *de;
		while (fd < 0 && (de = readdir(d))) {
			if (strncmp(de->d_name, key, klen) || (de->d_name[klen] && strncmp(de->d_name + klen, ":2,", 3)))
				continue;
			fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		}
		if (fd < 0)
			errno = ENOENT;
		closedir(d);
	}
	if (fd < 0)
		*e = errno;
	return fd;
}

static source_rc md_fetch(void *impl, const source_item *it, uint64_t uidvalidity, size_t max_bytes,
			  char **bytes, size_t *len, char **err)
{
	maildir *md = impl;
	strbuf b = STRBUF_INIT;
	source_rc rc = SRC_OK;
	int fd = -1, e;
	struct stat st;

	if (!key_ok(it->key)) {
		rc = SRC_FATAL;
		*err = xasprintf("maildir %s: bad message key", md->path);
		goto out;
	}
	fd = open_message(md, it->key, &e);
	if (fd < 0) {
		rc = e == ENOENT ? SRC_GONE : errno_rc(e);
		*err = xasprintf("maildir %s: message %s: %s", md->path, it->key,
				 e == ENOENT ? "no longer there" : strerror(e));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = SRC_GONE;
		*err = xasprintf("maildir %s: message %s is not a regular file", md->path, it->key);
		goto out;
	}
	if ((uintmax_t)st.st_size > max_bytes) {
		rc = SRC_TOO_BIG;
		*err = xasprintf("maildir %s: message %s is %jd bytes, over the limit of %zu", md->path, it->key,
				 (intmax_t)st.st_size, max_bytes);
		goto out;
	}
	char buf[65536];
	ssize_t r;
	sb_adds(&b, "");
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		if (b.len + (size_t)r > max_bytes) {	/* it grew after fstat */
			rc = SRC_TOO_BIG;
			*err = xasprintf("maildir %s: message %s is over the limit of %zu bytes", md->path, it->key,
					 max_bytes);
			goto out;
		}
		sb_add(&b, buf, (size_t)r);
	}
	if (r < 0) {
		rc = SRC_TEMP;
		*err = xasprintf("maildir %s: message %s: %s", md->path, it->key, strerror(errno));
		goto out;
	}
	*len = b.len;
	*bytes = sb_steal(&b);
out:
	if (fd >= 0)
		close(fd);
	sb_free(&b);
	return rc;
}

/* Nothing is written to the Maildir; the key is remembered so later scans skip it. */
static source_rc md_mark_done(void *impl, const source_item *it, uint64_t uidvalidity, char **err)
{
	maildir *md = impl;

	if (it->key)
		source_keyset_add(&md->done, it->key);
	return SRC_OK;
}

static void md_disconnect(void *impl)
{
}

static void md_close(void *impl)
{
	maildir *md = impl;

	if (md) {
		seen_free(md);
		source_keyset_free(&md->done);
		free(md->path);
		free(md);
	}
}

const source_ops source_maildir_ops = {
	.scan = md_scan,
	.fetch = md_fetch,
	.mark_done = md_mark_done,
	.quarantine = md_mark_done,
	.disconnect = md_disconnect,
	.close = md_close,
};

void *source_maildir_open(const mailbox_conf *mb, char **name, char **err)
{
	maildir *md = NULL;
	char *path = source_local_path(mb->url, "maildir", "maildir:/path/to/Maildir", err);

	if (!path)
		goto out;
	md = xcalloc(1, sizeof *md);
	md->path = path;
	*name = xasprintf("maildir:%s", md->path);
out:
	return md;
}
