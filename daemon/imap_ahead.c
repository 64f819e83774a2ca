/*
 * imap_ahead — see imap_ahead.h.
 *
 * One command is out at a time: EXAMINE first (its UIDVALIDITY must be the caller's), then
 * UID FETCH of the next planned messages, up to AHEAD_BATCH of them and AHEAD_BYTES of
 * stated size.  The next batch goes out as soon as the last one is answered and fewer than
 * AHEAD_BATCH fetched messages wait to be taken.
 */
#include "imap_ahead.h"
#include "imap_wire.h"
#include "util.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define AHEAD_BATCH 32
#define AHEAD_BYTES (2u << 20)
#define RECV_CHUNK (64 * 1024)
#define SEND_WAIT_MS 30000

typedef struct ready {
	uint64_t uid;
	size_t at;	/* its place in the plan */
	char *bytes;
	size_t len;
} ready;

struct imap_ahead {
	CURL *h;
	curl_socket_t fd;
	uint64_t uidvalidity, seen_uidvalidity;
	size_t max_bytes;
	const char *broken;
	bool selected;		/* EXAMINE answered, the UIDVALIDITY was ours */
	unsigned tagno;
	char tag[16];		/* of the command out, "" for none */
	/* the plan */
	uint64_t *uids;
	size_t *sizes;
	size_t n, next;		/* next: the first not asked for yet */
	size_t hint;		/* where the last take found its UID */
	/* the command out: the plan places it asked for */
	size_t asked_from, asked_to;
	/* answers not parsed yet, and fetched messages not taken yet */
	strbuf in;
	ready *ready;
	size_t nready, ready_cap, ready_bytes;
};

static void give_up(imap_ahead *a, const char *why)
{
	if (!a->broken)
		a->broken = why;
}

static bool send_all(imap_ahead *a, const char *s, size_t len)
{
	int waited = 0;
	while (len > 0 && !a->broken) {
		size_t n = 0;
		CURLcode cc = curl_easy_send(a->h, s, len, &n);
		if (cc == CURLE_AGAIN) {
			struct pollfd p = { a->fd, POLLOUT, 0 };
			if (waited >= SEND_WAIT_MS)
				give_up(a, "the server takes no more commands");
			else if (poll(&p, 1, 100) >= 0)
				waited += 100;
			continue;
		}
		if (cc != CURLE_OK) {
			give_up(a, "sending a command failed");
			break;
		}
		s += n;
		len -= n;
	}
	return !a->broken;
}

static bool command(imap_ahead *a, const char *fmt_cmd)
{
	snprintf(a->tag, sizeof a->tag, "d%u", ++a->tagno);
	char *line = xasprintf("%s %s\r\n", a->tag, fmt_cmd);
	bool ok = send_all(a, line, strlen(line));
	free(line);
	return ok;
}

/* the next batch, when one may go out */
static void maybe_send(imap_ahead *a)
{
	if (a->broken || !a->selected || a->tag[0] || a->next >= a->n || a->nready >= AHEAD_BATCH)
		return;
	strbuf cmd = STRBUF_INIT;
	size_t bytes = 0, i = a->next;
	sb_adds(&cmd, "UID FETCH ");
	for (; i < a->n && i - a->next < AHEAD_BATCH; i++) {
		if (i > a->next && bytes + a->sizes[i] > AHEAD_BYTES)
			break;
		bytes += a->sizes[i];
		sb_addf(&cmd, "%s%" PRIu64, i > a->next ? "," : "", a->uids[i]);
	}
	sb_adds(&cmd, " (UID BODY.PEEK[])");
	a->asked_from = a->next;
	a->asked_to = a->next = i;
	(void)command(a, sb_str(&cmd));
	sb_free(&cmd);
}

static void keep(imap_ahead *a, const wire_resp *r)
{
	size_t at = a->asked_from;
	while (at < a->asked_to && a->uids[at] != r->uid)
		at++;
	if (at == a->asked_to || !r->body || r->body_len > a->max_bytes)
		return;	/* not asked for (a flag change, a late answer): the ordinary fetch decides */
	for (size_t k = 0; k < a->nready; k++)
		if (a->ready[k].uid == r->uid)
			return;
	char *b = xmalloc(r->body_len + 1);
	size_t len = r->body_quoted ? wire_unquote(r->body, r->body_len, b) : r->body_len;
	if (!r->body_quoted)
		memcpy(b, r->body, len);
	b[len] = '\0';
	a->ready = xgrow(a->ready, &a->ready_cap, a->nready + 1, sizeof *a->ready);
	a->ready[a->nready++] = (ready){ r->uid, at, b, len };
	a->ready_bytes += len;
}

static bool tag_is(const imap_ahead *a, const wire_resp *r)
{
	return a->tag[0] && r->tag_len == strlen(a->tag) && !strncmp(r->tag, a->tag, r->tag_len);
}

static bool said_ok(const wire_resp *r)
{
	return r->text_len >= 2 && !strncmp(r->text, "OK", 2) && (r->text_len == 2 || r->text[2] == ' ');
}

static void handle(imap_ahead *a, const wire_resp *r)
{
	switch (r->kind) {
	case WIRE_FETCH:
		keep(a, r);
		break;
	case WIRE_UNTAGGED:
		if (r->uidvalidity)
			a->seen_uidvalidity = r->uidvalidity;
		if (r->text_len >= 3 && !strncmp(r->text, "BYE", 3))
			give_up(a, "the server closed the connection (BYE)");
		break;
	case WIRE_TAGGED:
		if (!tag_is(a, r) || !said_ok(r)) {
			give_up(a, tag_is(a, r) ? "the server refused a command" : "an answer to no command");
			break;
		}
		a->tag[0] = '\0';
		if (!a->selected) {
			if (a->seen_uidvalidity != a->uidvalidity)
				give_up(a, "the mailbox has another UIDVALIDITY");
			a->selected = true;
		}
		a->asked_from = a->asked_to = 0;
		break;
	default:
		give_up(a, r->error ? r->error : "an answer that does not parse");
		break;
	}
}

/* read what has arrived (waiting up to wait_ms for the first byte), handle every complete
 * answer, send the next batch when one may go */
static void pump(imap_ahead *a, int wait_ms)
{
	char buf[RECV_CHUNK];
	bool got = false;
	for (;;) {
		size_t n = 0;
		if (a->broken)
			return;
		CURLcode cc = curl_easy_recv(a->h, buf, sizeof buf, &n);
		if (cc == CURLE_AGAIN) {
			if (got || wait_ms <= 0)
				break;
			struct pollfd p = { a->fd, POLLIN, 0 };
			(void)poll(&p, 1, wait_ms);
			wait_ms = 0;
			continue;
		}
		if (cc != CURLE_OK || n == 0) {
			give_up(a, "the connection was lost");
			return;
		}
		sb_add(&a->in, buf, n);
		got = true;
	}
	size_t off = 0;
	while (!a->broken && off < a->in.len) {
		wire_resp r;
		wire_next(a->in.s + off, a->in.len - off, a->max_bytes + 4096, &r);
		if (r.kind == WIRE_MORE)
			break;
		handle(a, &r);
		off += r.used;
	}
	if (off) {
		memmove(a->in.s, a->in.s + off, a->in.len - off);
		a->in.len -= off;
	}
	maybe_send(a);
}

imap_ahead *ahead_new(CURL *h, const char *mailbox_q, uint64_t uidvalidity, size_t max_bytes)
{
	imap_ahead *a = xcalloc(1, sizeof *a);
	curl_socket_t fd = CURL_SOCKET_BAD;
	a->fd = CURL_SOCKET_BAD;
	a->h = h;
	a->uidvalidity = uidvalidity;
	a->max_bytes = max_bytes;
	if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) {
		give_up(a, "no connection");
	} else {
		a->fd = fd;
		char *cmd = xasprintf("EXAMINE %s", mailbox_q);
		(void)command(a, cmd);
		free(cmd);
	}
	return a;
}

void ahead_plan(imap_ahead *a, const uint64_t *uids, const size_t *sizes, size_t n)
{
	free(a->uids);
	free(a->sizes);
	a->uids = xcalloc(n ? n : 1, sizeof *a->uids);
	a->sizes = xcalloc(n ? n : 1, sizeof *a->sizes);
	memcpy(a->uids, uids, n * sizeof *uids);
	memcpy(a->sizes, sizes, n * sizeof *sizes);
	a->n = n;
	a->next = a->hint = 0;
	/* what was fetched for the last plan is dropped; a batch still out is read and dropped */
	for (size_t k = 0; k < a->nready; k++)
		free(a->ready[k].bytes);
	a->nready = a->ready_bytes = 0;
	a->asked_from = a->asked_to = 0;
	pump(a, 0);
}

/* uid's place in the plan, n when it has none */
static size_t place(imap_ahead *a, uint64_t uid)
{
	for (size_t k = 0; k < a->n; k++) {
		size_t i = (a->hint + k) % a->n;
		if (a->uids[i] == uid)
			return a->hint = i;
	}
	return a->n;
}

int ahead_take(imap_ahead *a, uint64_t uid, int wait_ms, char **bytes, size_t *len)
{
	size_t at = place(a, uid);
	if (a->broken || at == a->n)
		return 0;
	/* messages planned before it that were not asked for are not coming: make room */
	for (size_t k = 0; k < a->nready;) {
		if (a->ready[k].at < at) {
			a->ready_bytes -= a->ready[k].len;
			free(a->ready[k].bytes);
			a->ready[k] = a->ready[--a->nready];
		} else {
			k++;
		}
	}
	if (a->next <= at && !a->tag[0])
		a->next = at;	/* skip what the caller skipped */
	for (int waited = 0;;) {
		pump(a, 0);
		for (size_t k = 0; k < a->nready; k++)
			if (a->ready[k].uid == uid) {
				*bytes = a->ready[k].bytes;
				*len = a->ready[k].len;
				a->ready_bytes -= a->ready[k].len;
				a->ready[k] = a->ready[--a->nready];
				return 1;
			}
		/* still coming: in the batch out, or the next to be asked for */
		bool coming = (a->tag[0] && (!a->selected || (at >= a->asked_from && at < a->asked_to))) ||
			      (!a->tag[0] && at >= a->next && a->selected);
		if (a->broken || !coming || waited >= wait_ms)
			return 0;
		pump(a, 100);
		waited += 100;
	}
}

uint64_t ahead_uidvalidity(const imap_ahead *a)
{
	return a->uidvalidity;
}

const char *ahead_broken(const imap_ahead *a)
{
	return a->broken;
}

void ahead_free(imap_ahead *a)
{
	if (!a)
		return;
	/* with an answer still coming (or none to trust), libcurl's LOGOUT would read it as
	 * its own: end the connection instead, it was only reading */
	if ((a->tag[0] || a->broken) && a->fd != CURL_SOCKET_BAD && a->fd > 0)
		shutdown(a->fd, SHUT_RDWR);
	if (a->h)
		curl_easy_cleanup(a->h);
	for (size_t k = 0; k < a->nready; k++)
		free(a->ready[k].bytes);
	free(a->ready);
	sb_free(&a->in);
	free(a->uids);
	free(a->sizes);
	free(a);
}
