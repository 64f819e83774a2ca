/*
 * source_mbox — a local mbox file (mbox:/path), read-only.
 *
 * A message starts at a "From " line that begins the file or follows an empty line;
 * it runs to the next such line, and the empty line before it (the separator) is
 * not part of the message.  On fetch, one '>' is removed from lines matching
 * ^>+From (mboxrd; the same reading is the best guess for mboxo).
 *
 * Key: "OFFSET/LENGTH" of the raw region (From_ line to the next From_ line or the
 * end of the file): stable while the file is only appended to, and checked again on
 * fetch, so a rewritten mbox gives SRC_GONE rather than the wrong bytes.
 *
 * It never writes to the file.  Writers are kept out of a scan with a shared fcntl
 * lock when the file system has them, and a last message without its final newline
 * (being appended) is left for the next scan.
 */
#include "source_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536

typedef struct mbox {
	char *path;
	source_keyset done;
} mbox;

/* What is known about the current line after each byte (see line_feed). */
typedef struct line_class {
	size_t len;		/* bytes so far, '\n' included */
	size_t gt;		/* leading '>' */
	size_t matched;		/* bytes of "From " matched after them */
	bool dead;		/* can no longer be a From line */
	bool ended;		/* the '\n' arrived */
	char first;
} line_class;

static void line_feed(line_class *c, char ch)
{
	if (c->len++ == 0)
		c->first = ch;
	if (ch == '\n')
		c->ended = true;
	if (c->dead || c->matched == 5)
		return;
	if (c->matched == 0 && ch == '>')
		c->gt++;
	else if (ch == "From "[c->matched])
		c->matched++;
	else
		c->dead = true;
}

static bool line_is_from(const line_class *c)
{
	return c->matched == 5 && c->gt == 0;
}

static bool line_is_escaped_from(const line_class *c)
{
	return c->matched == 5 && c->gt > 0;
}

static bool line_is_empty(const line_class *c)
{
	return c->ended && (c->len == 1 || (c->len == 2 && c->first == '\r'));
}

/* One message found by the scan. */
typedef struct region {
	off_t off;		/* the From_ line */
	off_t len;		/* raw bytes up to the next From_ line or the end */
	size_t size;		/* message bytes after unescaping, separator excluded */
} region;

typedef struct scanner {
	region *v;
	size_t n, cap;
	bool in_message;
	bool prev_empty;
	size_t prev_len;
	line_class line;
	off_t line_start;
	bool garbage;		/* text before the first From_ line */
} scanner;

static void scan_end_message(scanner *s, off_t end)
{
	region *r = &s->v[s->n - 1];

	r->len = end - r->off;
	if (s->prev_empty && r->size >= s->prev_len)
		r->size -= s->prev_len;
}

static void scan_end_line(scanner *s)
{
	line_class *c = &s->line;

	if (line_is_from(c) && (s->line_start == 0 || s->prev_empty)) {
		if (s->in_message)
			scan_end_message(s, s->line_start);
		s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof *s->v);
		s->v[s->n++] = (region){ .off = s->line_start };
		s->in_message = true;
	} else if (s->in_message) {
		s->v[s->n - 1].size += c->len - (line_is_escaped_from(c) ? 1 : 0);
	} else if (!line_is_empty(c)) {
		s->garbage = true;
	}
	s->prev_empty = line_is_empty(c);
	s->prev_len = c->len;
	*c = (line_class){ 0 };
}

/* A shared lock keeps writers that use fcntl locks out while we read. */
static source_rc lock_shared(int fd, const char *path, char **err)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	source_rc rc = SRC_OK;

	if (fcntl(fd, F_SETLK, &fl) < 0 && (errno == EAGAIN || errno == EACCES)) {
		rc = SRC_TEMP;
		*err = xasprintf("mbox %s is locked by a writer; trying later", path);
	}
	return rc;		/* no lock support (ENOLCK, EINVAL): read anyway */
}

static source_rc open_mbox(const char *path, int *fd, struct stat *st, char **err)
{
	source_rc rc = SRC_OK;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, st) < 0 || !S_ISREG(st->st_mode)) {
		int e = *fd < 0 ? errno : EINVAL;
		rc = e == EIO || e == ENFILE || e == EMFILE ? SRC_TEMP : SRC_FATAL;
		*err = xasprintf("mbox %s: %s", path, e == EINVAL ? "not a regular file" : strerror(e));
	}
	return rc;
}

static source_rc mbox_scan(void *impl, const source_state *st, size_t max, source_item **items, size_t *n,
			   uint64_t *uidvalidity, char **err)
{
	mbox *mb = impl;
	scanner s = { 0 };
	struct stat sb;
	char *buf = NULL;
	int fd = -1;
	off_t pos = 0;
	source_rc rc;

	*uidvalidity = 1;
	if (st->uidvalidity && st->uidvalidity != 1) {
		rc = SRC_UIDVALIDITY;
		*err = xasprintf("mbox %s: the stored UIDVALIDITY %" PRIu64 " is not an mbox's (1)", mb->path,
				 st->uidvalidity);
		goto out;
	}
	rc = open_mbox(mb->path, &fd, &sb, err);
	if (rc == SRC_OK)
		rc = lock_shared(fd, mb->path, err);
	if (rc != SRC_OK)
		goto out;
	buf = xmalloc(CHUNK);
	char last = '\n';
	for (;;) {
		ssize_t r = read(fd, buf, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = SRC_TEMP;
			*err = xasprintf("mbox %s: %s", mb->path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			if (s.line.len == 0)
				s.line_start = pos + i;
			line_feed(&s.line, buf[i]);
			if (buf[i] == '\n')
				scan_end_line(&s);
		}
		pos += r;
		last = buf[r - 1];
	}
	if (s.line.len)
		scan_end_line(&s);
	if (s.in_message)
		scan_end_message(&s, pos);
	if (s.garbage) {
		rc = SRC_FATAL;
		*err = xasprintf("mbox %s: not an mbox file (it does not start with a 'From ' line)", mb->path);
		goto out;
	}
	if (s.n && last != '\n')
		s.n--;		/* still being written */

	*items = xcalloc(s.n + 1, sizeof **items);
	for (size_t i = 0; i < s.n && *n < max; i++) {
		char *key = xasprintf("%jd/%jd", (intmax_t)s.v[i].off, (intmax_t)s.v[i].len);
		if (source_keyset_has(&mb->done, key)) {
			free(key);
			continue;
		}
		source_item *it = &(*items)[(*n)++];
		it->key = key;
		it->size = s.v[i].size;
	}
out:
	if (fd >= 0)
		close(fd);	/* drops the lock */
	free(buf);
	free(s.v);
	return rc;
}

static bool parse_key(const char *key, off_t *off, off_t *len)
{
	char *end;
	bool ok = false;

	if (key && *key >= '0' && *key <= '9') {
		errno = 0;
		intmax_t a = strtoimax(key, &end, 10);
		if (!errno && *end == '/' && end[1] >= '0' && end[1] <= '9') {
			intmax_t b = strtoimax(end + 1, &end, 10);
			ok = !errno && !*end && a >= 0 && b > 0 && a <= INT64_MAX - b;
			*off = (off_t)a;
			*len = (off_t)b;
		}
	}
	return ok;
}

/* Does the file still have a From_ line at `at` (or end exactly there)? */
static bool from_at(int fd, off_t at, off_t file_size)
{
	char b[5];

	return at == file_size || (pread(fd, b, 5, at) == 5 && !memcmp(b, "From ", 5));
}

static source_rc mbox_fetch(void *impl, const source_item *it, uint64_t uidvalidity, size_t max_bytes,
			    char **bytes, size_t *len, char **err)
{
	mbox *mb = impl;
	strbuf out = STRBUF_INIT;
	line_class c = { 0 };
	struct stat sb;
	off_t off, rlen;
	char *buf = NULL;
	int fd = -1;
	bool first_line = true, prev_empty = false;
	size_t prev_len = 0, line_out = 0;
	source_rc rc = SRC_FATAL;

	if (!parse_key(it->key, &off, &rlen)) {
		*err = xasprintf("mbox %s: bad message key '%s'", mb->path, it->key ? it->key : "");
		goto out;
	}
	rc = open_mbox(mb->path, &fd, &sb, err);
	if (rc != SRC_OK)
		goto out;
	if (off + rlen > sb.st_size || !from_at(fd, off, sb.st_size) || !from_at(fd, off + rlen, sb.st_size)) {
		rc = SRC_GONE;
		*err = xasprintf("mbox %s: message %s is no longer there (the file was rewritten)", mb->path, it->key);
		goto out;
	}
	buf = xmalloc(CHUNK);
	sb_adds(&out, "");
	for (off_t done = 0; done < rlen;) {
		size_t want = rlen - done < CHUNK ? (size_t)(rlen - done) : CHUNK;
		ssize_t r = pread(fd, buf, want, off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? SRC_TEMP : SRC_GONE;
			*err = xasprintf("mbox %s: message %s: %s", mb->path, it->key,
					 r < 0 ? strerror(errno) : "the file shrank");
			goto out;
		}
		for (ssize_t i = 0; i < r; i++) {
			if (c.len == 0)
				line_out = out.len;
			line_feed(&c, buf[i]);
			if (!first_line)
				sb_addc(&out, buf[i]);
			/* drop one '>' as soon as the line is known to be an escaped From_ */
			if (!first_line && c.matched == 5 && c.gt > 0 && c.len == c.gt + 5) {
				memmove(out.s + line_out, out.s + line_out + 1, out.len - line_out - 1);
				out.s[--out.len] = '\0';
			}
			if (buf[i] == '\n') {
				if (!first_line) {
					prev_empty = line_is_empty(&c);
					prev_len = c.len;
				}
				first_line = false;
				c = (line_class){ 0 };
			}
			if (out.len > max_bytes + 2) {	/* +2: a separator still to be removed */
				rc = SRC_TOO_BIG;
				*err = xasprintf("mbox %s: message %s is over the limit of %zu bytes", mb->path,
						 it->key, max_bytes);
				goto out;
			}
		}
		done += r;
	}
	if (c.len)	/* a last line without newline */
		prev_empty = false;
	if (prev_empty && out.len >= prev_len)
		out.len -= prev_len;
	out.s[out.len] = '\0';
	if (out.len > max_bytes) {
		rc = SRC_TOO_BIG;
		*err = xasprintf("mbox %s: message %s is %zu bytes, over the limit of %zu", mb->path, it->key,
				 out.len, max_bytes);
		goto out;
	}
	rc = SRC_OK;
	*len = out.len;
	*bytes = sb_steal(&out);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	sb_free(&out);
	return rc;
}

/* Nothing is written to the file; the key is remembered so later scans skip it. */
static source_rc mbox_mark_done(void *impl, const source_item *it, uint64_t uidvalidity, char **err)
{
	mbox *mb = impl;

	if (it->key)
		source_keyset_add(&mb->done, it->key);
	return SRC_OK;
}

static void mbox_disconnect(void *impl)
{
}

static void mbox_close(void *impl)
{
	mbox *mb = impl;

	if (mb) {
		source_keyset_free(&mb->done);
		free(mb->path);
		free(mb);
	}
}

const source_ops source_mbox_ops = {
	.scan = mbox_scan,
	.fetch = mbox_fetch,
	.mark_done = mbox_mark_done,
	.quarantine = mbox_mark_done,
	.disconnect = mbox_disconnect,
	.close = mbox_close,
};

void *source_mbox_open(const mailbox_conf *mbc, char **name, char **err)
{
	mbox *mb = NULL;
	char *path = source_local_path(mbc->url, "mbox", "mbox:/path/to/file", err);

	if (!path)
		goto out;
	mb = xcalloc(1, sizeof *mb);
	mb->path = path;
	*name = xasprintf("mbox:%s", mb->path);
out:
	return mb;
}
