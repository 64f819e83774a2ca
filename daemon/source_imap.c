/*
 * source_imap — an IMAP mailbox through libcurl (imap:// only when the configuration
 * allows plain text, imaps:// with certificate verification by default).
 *
 * What libcurl 7.88.1 allows shapes this file (docs/PITFALLS.md, "libcurl 7.88.1"):
 *  - message bytes only come from ";UID=n" URLs (one message per transfer), which
 *    send BODY[] and so set \Seen: "done" is our keyword or a move, never \Seen.
 *    Messages fetched ahead come many per command on a connection whose commands are
 *    our own (imap_ahead.c, BODY.PEEK: no flag changes);
 *  - every other command is a custom request whose untagged answer, and the text of a
 *    tagged NO/BAD, reach us only through CURLOPT_HEADERFUNCTION;
 *  - "UID SEARCH UID n:*" returns the highest UID even below n: we filter;
 *  - response lines longer than half of CURLOPT_BUFFERSIZE are cut: the buffer is at
 *    its maximum and a search never asks for more UIDs than fit in one line;
 *  - Debian's 7.88.1 (security fix for CVE-2023-38039) fails a request with "Too large
 *    response headers: N > 307200" (error 56) once its answer lines add up past 300 KiB,
 *    and it counts, for each line, the rest of the bytes received with it: about
 *    n²·len/2 for n lines that arrive together.  Measured here: "UID FETCH 1:130
 *    (UID RFC822.SIZE)" fails, one SEARCH line of 230 kB passes.  So sizes are asked
 *    for in slices of SIZES_CHUNK messages;
 *  - CURLOPT_MAXFILESIZE is not enforced for IMAP: the write callback enforces the limit;
 *  - after a failed command curl logs out and drops the connection, so the next
 *    request logs in again by itself.
 * Every URL after STATUS carries ";UIDVALIDITY=V": curl compares it with the SELECT
 * answer (error 78), so a renumbered mailbox can never get a keyword or a move on
 * the wrong message.
 *
 * It must never log or return the password, never send it over a connection that
 * the configuration did not allow, and never decide on its own that mail is done.
 */
#include "source_int.h"
#include "imap_ahead.h"
#include "log.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT 15L	/* seconds */
#define STALL_TIMEOUT 60L	/* seconds without a byte: the server is gone */
#define BUFFER_SIZE (512L * 1024)	/* CURL_MAX_READ_SIZE: lines up to 256 KiB survive */
#define REPLY_MAX (1u << 20)	/* untagged bytes kept per command (curl stops sooner) */
/* UIDs per SEARCH answer, at most: 16000 × "4294967295 " = 176 kB, under half the
 * buffer (256 KiB) and under curl's 300 KiB of response lines per request */
#define SEARCH_CHUNK 16000u
/* messages per "UID FETCH a:b (UID RFC822.SIZE)": lines of at most ~64 bytes, counted
 * by curl as about 64² × 64 / 2 = 131 kB (see above) */
#define SIZES_CHUNK 64u
#define UID_MAX 4294967295u

/* What one request brought back. */
typedef struct reply {
	strlist lines;		/* untagged lines ("* …"), without CRLF */
	size_t bytes;
	bool overflow;		/* more than REPLY_MAX: lines were dropped */
	bool cut;		/* an untagged line arrived without its end */
	char *fail;		/* first tagged NO/BAD, without the tag */
	strbuf body;		/* message bytes (URL fetch) */
	size_t max_body;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
} reply;

#define PREFETCH_WAIT_MS 5000	/* then the message is fetched the ordinary way */

typedef struct imap {
	CURL *h;		/* NULL while disconnected */
	imap_ahead *ahead;	/* the fetch-ahead connection, or NULL */
	reply ahead_r;		/* its curl callbacks' (login, and logout at the end) */
	bool tls, verify;
	char *base;		/* "imaps://host:port/" — the mailbox-less URL */
	char *mailbox_url;	/* base + escaped mailbox */
	char *mailbox;		/* "INBOX", decoded */
	char *mailbox_q;	/* mailbox as an IMAP quoted string */
	char *host;		/* host[:port], for messages */
	char *user;
	char *password;		/* wiped at close */
	char *ca_file;
	char *keyword;		/* processed keyword, or NULL */
	char *move_to, *move_to_q;
	char *quarantine, *quarantine_q;
	bool caps_known, cap_move, cap_uidplus;
	reply r;
} imap;

/* ---- small string helpers ------------------------------------------------ */

static bool is_ascii_print(const char *s)
{
	bool ok = true;

	for (; *s; s++)
		ok &= (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f;
	return ok;
}

/* An IMAP quoted string (RFC 3501): the caller checked the text is printable ASCII. */
static char *imap_quote(const char *s)
{
	strbuf b = STRBUF_INIT;

	sb_addc(&b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_addc(&b, '\\');
		sb_addc(&b, *s);
	}
	sb_addc(&b, '"');
	return sb_steal(&b);
}

/* A flag keyword is an atom; "\Name" is a system flag. */
static bool valid_keyword(const char *s)
{
	bool ok = *s != '\0';

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"]", c) || (c == '\\' && p != s))
			ok = false;
	}
	return ok && strcmp(s, "\\");
}

static int hexval(char c)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v;
}

/* Percent-decode; NULL when a %XX is malformed or decodes to NUL. */
static char *url_decode(const char *s, size_t n)
{
	strbuf b = STRBUF_INIT;
	char *res = NULL;

	sb_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			sb_addc(&b, s[i]);
			continue;
		}
		int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			goto out;
		sb_addc(&b, (char)(hi * 16 + lo));
		i += 2;
	}
	res = sb_steal(&b);
out:
	sb_free(&b);
	return res;
}

static char *url_escape(const char *s)
{
	strbuf b = STRBUF_INIT;

	sb_adds(&b, "");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			sb_addc(&b, (char)c);
		else
			sb_addf(&b, "%%%02X", c);
	}
	return sb_steal(&b);
}

/* Server text goes into logs: printable ASCII only, and not too long. */
static char *clean_text(const char *s)
{
	strbuf b = STRBUF_INIT;
	size_t n = 0;

	sb_adds(&b, "");
	for (; s && *s && n < 300; s++, n++)
		sb_addc(&b, (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?');
	if (s && *s)
		sb_adds(&b, "…");
	return sb_steal(&b);
}

/* RFC 5530 response codes that mean "try again later". */
static bool server_says_later(const char *text)
{
	static const char *const codes[] = { "[UNAVAILABLE]", "[SERVERBUG]", "[INUSE]", "[LIMIT]",
					     "[OVERQUOTA]", "[CONTACTADMIN]" };
	bool later = false;

	for (size_t i = 0; text && i < ARRAY_LEN(codes); i++)
		later |= strstr(text, codes[i]) != NULL;
	return later;
}

/* RFC 5530 response codes that no retry will fix: the configuration must change. */
static bool server_says_never(const char *text)
{
	static const char *const codes[] = { "[NOPERM]", "[AUTHORIZATIONFAILED]", "[READ-ONLY]" };
	bool never = false;

	for (size_t i = 0; text && i < ARRAY_LEN(codes); i++)
		never |= strstr(text, codes[i]) != NULL;
	return never;
}

static bool parse_u64(const char *s, char **end, uint64_t *v)
{
	bool ok = false;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		unsigned long long x = strtoull(s, end, 10);
		ok = errno == 0;
		*v = x;
	}
	return ok;
}

/* ---- the curl handle ------------------------------------------------------ */

static void reply_reset(reply *r)
{
	sl_free(&r->lines);
	r->bytes = 0;
	r->overflow = r->cut = r->too_big = false;
	xfree(&r->fail);
	sb_free(&r->body);
	r->max_body = 0;
	r->errbuf[0] = '\0';
}

/* "A004 NO text" → "NO text"; NULL for anything else */
static char *tagged_failure(const char *p, size_t n)
{
	size_t i = 0;
	char *res = NULL;

	while (i < n && ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')))
		i++;
	if (i > 0 && i < n && p[i] == ' ') {
		const char *t = p + i + 1;
		size_t tn = n - i - 1;
		if ((tn >= 2 && !strncmp(t, "NO", 2) && (tn == 2 || t[2] == ' ')) ||
		    (tn >= 3 && !strncmp(t, "BAD", 3) && (tn == 3 || t[3] == ' ')))
			res = xstrndup(t, tn);
	}
	return res;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	reply *r = ud;
	size_t n = size * nmemb, len = n;
	bool complete = n > 0 && p[n - 1] == '\n';

	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (len >= 2 && p[0] == '*' && p[1] == ' ') {
		if (!complete)
			r->cut = true;
		if (r->bytes + len > REPLY_MAX) {
			r->overflow = true;
		} else {
			sl_push(&r->lines, xstrndup(p, len));
			r->bytes += len;
		}
	} else if (!r->fail) {
		r->fail = tagged_failure(p, len);
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	reply *r = ud;
	size_t n = size * nmemb, res = n;

	if (r->body.len + n > r->max_body) {
		r->too_big = true;
		res = 0;	/* curl aborts with CURLE_WRITE_ERROR */
	} else {
		sb_add(&r->body, p, n);
	}
	return res;
}

/* Custom commands also copy their untagged lines to the body: drop them. */
static size_t on_discard(char *p, size_t size, size_t nmemb, void *ud)
{
	return size * nmemb;
}

/*
 * One request: the URL, then either a custom `command` or (command NULL) a message
 * fetch into r.body of at most max_body bytes.  The handle is reset each time so no
 * option leaks from one request to the next; the connection survives the reset.
 */
static CURLcode setup(const imap *m, CURL *h, reply *r, const char *url, const char *command, size_t max_body)
{
	CURLcode cc = CURLE_OK;
#define SET(opt, val)                                          \
	do {                                                   \
		if ((cc = curl_easy_setopt(h, opt, val)) != CURLE_OK) \
			goto out;                              \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, m->tls ? "imaps" : "imap");
	SET(CURLOPT_USERNAME, m->user);
	SET(CURLOPT_PASSWORD, m->password);
	SET(CURLOPT_USE_SSL, m->tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	if (m->tls) {
		SET(CURLOPT_SSL_VERIFYPEER, m->verify ? 1L : 0L);
		SET(CURLOPT_SSL_VERIFYHOST, m->verify ? 2L : 0L);
		if (m->ca_file)
			SET(CURLOPT_CAINFO, m->ca_file);
	}
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, STALL_TIMEOUT);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, STALL_TIMEOUT);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_BUFFERSIZE, BUFFER_SIZE);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, r);
	if (command) {
		SET(CURLOPT_CUSTOMREQUEST, command);
		SET(CURLOPT_WRITEFUNCTION, on_discard);
	} else {
		r->max_body = max_body;
		SET(CURLOPT_WRITEFUNCTION, on_body);
		SET(CURLOPT_WRITEDATA, r);
	}
#undef SET
out:
	return cc;
}

static CURLcode perform(imap *m, const char *url, const char *command, size_t max_body)
{
	CURLcode cc = CURLE_OK;

	reply_reset(&m->r);
	if (!m->h) {
		m->h = curl_easy_init();
		if (!m->h)
			return CURLE_FAILED_INIT;
	} else {
		curl_easy_reset(m->h);
	}
	if ((cc = setup(m, m->h, &m->r, url, command, max_body)) != CURLE_OK)
		return cc;
	return curl_easy_perform(m->h);
}

/*
 * Turn a curl result into a source_rc and a message.  `what` names the request
 * ("STATUS", "UID 12: fetch").  Error 78 (a guarded URL found another UIDVALIDITY,
 * or the message is gone) and a tagged NO are left to the callers that know better;
 * here they are SRC_UIDVALIDITY/SRC_GONE and SRC_TEMP/SRC_FATAL.
 */
static source_rc classify(imap *m, reply *r, CURLcode cc, const char *what, char **err)
{
	source_rc rc = SRC_TEMP;
	char *said = clean_text(r->fail);
	const char *detail = r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc);

	switch (cc) {
	case CURLE_OK:
		rc = SRC_OK;
		break;
	case CURLE_LOGIN_DENIED:
		/* curl says "login denied" for a failed SELECT too */
		if (strstr(r->errbuf, "Select")) {
			rc = server_says_later(r->fail) ? SRC_TEMP : SRC_FATAL;
			*err = xasprintf("mailbox %s on %s cannot be opened: %s", m->mailbox_q, m->host,
					 *said ? said : detail);
		} else if (server_says_later(r->fail)) {
			*err = xasprintf("login as %s at %s: server unavailable: %s", m->user, m->host, said);
		} else {
			rc = SRC_FATAL;
			*err = xasprintf("authentication failed for %s at %s%s%s", m->user, m->host,
					 *said ? ": " : "", said);
		}
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		rc = SRC_FATAL;
		*err = xasprintf("TLS certificate of %s not trusted: %s (set ca_file to the CA that signed it)",
				 m->host, detail);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_USE_SSL_FAILED:
	case CURLE_FAILED_INIT:
		rc = SRC_FATAL;
		*err = xasprintf("%s: %s: %s", what, curl_easy_strerror(cc), detail);
		break;
	case CURLE_WRITE_ERROR:
		if (r->too_big) {
			rc = SRC_TOO_BIG;
			*err = xasprintf("%s: larger than the limit of %zu bytes", what, r->max_body);
			break;
		}
		*err = xasprintf("%s: %s", what, detail);
		break;
	case CURLE_REMOTE_FILE_NOT_FOUND:
		if (strstr(r->errbuf, "UIDVALIDITY")) {
			rc = SRC_UIDVALIDITY;
			*err = xasprintf("%s: UIDVALIDITY of %s on %s has changed: the server renumbered the "
					 "mailbox; automatic processing stops", what, m->mailbox_q, m->host);
		} else {
			rc = SRC_GONE;
			*err = xasprintf("%s: no such message (expunged?)", what);
		}
		break;
	case CURLE_QUOTE_ERROR:
		/* a tagged NO (try again later) or BAD (we sent something wrong) */
		rc = server_says_later(r->fail) || (!strncmp(said, "NO", 2) && !server_says_never(said)) ? SRC_TEMP
													 : SRC_FATAL;
		*err = xasprintf("%s: server said: %s", what, *said ? said : "(no text)");
		break;
	default:
		*err = xasprintf("%s: %s: %s", what, curl_easy_strerror(cc), detail);
		break;
	}
	if (rc == SRC_OK && (r->overflow || r->cut)) {
		rc = SRC_TEMP;
		*err = xasprintf("%s: the server's answer was too long%s", what, r->cut ? " (a line was cut)" : "");
	}
	free(said);
	return rc;
}

/* The mailbox URL guarded by UIDVALIDITY (caller frees). */
static char *guarded_url(const imap *m, uint64_t uidvalidity)
{
	return uidvalidity ? xasprintf("%s;UIDVALIDITY=%" PRIu64, m->mailbox_url, uidvalidity)
			   : xstrdup(m->mailbox_url);
}

/* Run a custom command; classify the result. */
static source_rc command(imap *m, const char *url, const char *cmd, const char *what, char **err)
{
	return classify(m, &m->r, perform(m, url, cmd, 0), what, err);
}

/* ---- commands ------------------------------------------------------------- */

/*
 * The next "NAME number" pair of a parenthesised attribute list such as
 * "(UIDVALIDITY 3 UIDNEXT 9)" or "(UID 12 RFC822.SIZE 3456)".  *p starts at the '('
 * or after the previous pair; false at the end or at a value that is not a number.
 */
static bool next_attr(const char **p, const char **name, size_t *nlen, uint64_t *v)
{
	const char *q = *p;
	char *end;
	if (!q || !*q || *q == ')')
		return false;
	q++;
	while (*q == ' ')
		q++;
	*name = q;
	while (*q && *q != ' ' && *q != ')')
		q++;
	*nlen = (size_t)(q - *name);
	while (*q == ' ')
		q++;
	if (!parse_u64(q, &end, v))
		return false;
	*p = end;
	return true;
}

static bool attr_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && !strncasecmp(name, want, nlen);
}

/*
 * A connection that fetched or marked mail has our mailbox selected (curl keeps it so), and
 * Dovecot 2.3 answers STATUS on the selected mailbox from that session's view ("OK
 * [CLIENTBUG]"): mail delivered since its last sync stays invisible, poll after poll, until
 * the connection is dropped.  A NOOP first syncs the view.
 */
static source_rc status(imap *m, uint64_t *uidvalidity, uint64_t *uidnext, uint64_t *messages, bool *have_messages,
			char **err)
{
	char *cmd = xasprintf("STATUS %s (UIDVALIDITY UIDNEXT MESSAGES)", m->mailbox_q);
	source_rc rc = m->h ? command(m, m->base, "NOOP", "NOOP", err) : SRC_OK;
	bool have_uv = false;

	*uidvalidity = *uidnext = *messages = 0;
	*have_messages = false;
	if (rc != SRC_OK)
		goto out;
	rc = command(m, m->base, cmd, "STATUS", err);
	if (rc == SRC_TEMP && m->r.fail && !server_says_later(m->r.fail) && !strncmp(m->r.fail, "NO", 2)) {
		/* the usual reason: the mailbox does not exist — a configuration error */
		char *said = clean_text(m->r.fail);
		rc = SRC_FATAL;
		xfree(err);
		*err = xasprintf("mailbox %s on %s: %s", m->mailbox_q, m->host, said);
		free(said);
	}
	if (rc != SRC_OK)
		goto out;
	for (size_t i = 0; i < m->r.lines.n; i++) {
		const char *l = m->r.lines.v[i];
		if (!ascii_casecmp_prefix(l, "* STATUS "))
			continue;
		/* the attribute list is the last parenthesis: a quoted name may hold one too */
		const char *p = strrchr(l, '('), *name;
		size_t nlen;
		uint64_t v;
		while (next_attr(&p, &name, &nlen, &v)) {
			if (attr_is(name, nlen, "UIDVALIDITY")) {
				*uidvalidity = v;
				have_uv = true;
			} else if (attr_is(name, nlen, "UIDNEXT")) {
				*uidnext = v;
			} else if (attr_is(name, nlen, "MESSAGES")) {
				*messages = v;
				*have_messages = true;
			}
		}
	}
	if (!have_uv || *uidvalidity == 0) {
		rc = SRC_TEMP;
		*err = xasprintf("STATUS %s on %s: no UIDVALIDITY in the answer", m->mailbox_q, m->host);
	}
out:
	free(cmd);
	return rc;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* UID SEARCH UID lo:hi [extra] (hi 0 = "*"); appends the UIDs within the range to *uids. */
static source_rc search_where(imap *m, uint64_t uidvalidity, uint64_t lo, uint64_t hi, const char *extra,
			      uint64_t **uids, size_t *n, size_t *cap, char **err)
{
	char *url = guarded_url(m, uidvalidity);
	char *cmd = hi ? xasprintf("UID SEARCH UID %" PRIu64 ":%" PRIu64 "%s", lo, hi, extra)
		       : xasprintf("UID SEARCH UID %" PRIu64 ":*%s", lo, extra);
	source_rc rc = command(m, url, cmd, "UID SEARCH", err);

	if (rc != SRC_OK)
		goto out;
	for (size_t i = 0; i < m->r.lines.n; i++) {
		const char *l = m->r.lines.v[i];
		if (!ascii_casecmp_prefix(l, "* SEARCH"))
			continue;
		const char *p = l + 8;
		for (;;) {
			while (*p == ' ')
				p++;
			uint64_t v;
			char *end;
			if (!parse_u64(p, &end, &v))
				break;
			p = end;
			/* "n:*" always matches the highest UID, even below n */
			if (v >= lo && (!hi || v <= hi) && v <= UID_MAX) {
				*uids = xgrow(*uids, cap, *n + 1, sizeof **uids);
				(*uids)[(*n)++] = v;
			}
		}
	}
out:
	free(cmd);
	free(url);
	return rc;
}

static source_rc search(imap *m, uint64_t uidvalidity, uint64_t lo, uint64_t hi, uint64_t **uids, size_t *n,
			size_t *cap, char **err)
{
	return search_where(m, uidvalidity, lo, hi, "", uids, n, cap, err);
}

static int item_uid_cmp(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key, u = ((const source_item *)elem)->uid;
	return k < u ? -1 : k > u;
}

/* "* 5 FETCH (UID 12 RFC822.SIZE 3456)": set the size of that item when it is one of ours */
static void size_from_line(const char *l, source_item *items, size_t n)
{
	const char *p = strchr(l, '('), *name;
	uint64_t uid = 0, size = 0, v;
	size_t nlen;
	bool have_size = false;

	if (!p || !strstr(l, " FETCH "))
		return;
	while (next_attr(&p, &name, &nlen, &v)) {
		if (attr_is(name, nlen, "UID")) {
			uid = v;
		} else if (attr_is(name, nlen, "RFC822.SIZE")) {
			size = v;
			have_size = true;
		}
	}
	source_item *it = bsearch(&uid, items, n, sizeof *items, item_uid_cmp);
	if (it && have_size && size <= SIZE_MAX)
		it->size = (size_t)size;
}

/*
 * RFC822.SIZE for items[0..n) (sorted by UID; every UID between the first and the
 * last is an item, as they are a prefix of one search); best effort: sizes stay 0
 * when the server does not answer.
 */
static void fetch_sizes(imap *m, uint64_t uidvalidity, source_item *items, size_t n)
{
	char *url = guarded_url(m, uidvalidity), *err = NULL, *cmd = NULL;

	for (size_t from = 0; from < n; from += SIZES_CHUNK) {
		size_t k = n - from < SIZES_CHUNK ? n - from : SIZES_CHUNK;
		source_item *slice = items + from;
		free(cmd);
		cmd = xasprintf("UID FETCH %" PRIu64 ":%" PRIu64 " (UID RFC822.SIZE)", slice[0].uid, slice[k - 1].uid);
		xfree(&err);
		if (command(m, url, cmd, "UID FETCH", &err) != SRC_OK)
			break;
		for (size_t i = 0; i < m->r.lines.n; i++)
			size_from_line(m->r.lines.v[i], slice, k);
	}
	free(err);
	free(cmd);
	free(url);
}

static source_rc capabilities(imap *m, char **err)
{
	source_rc rc = SRC_OK;

	if (m->caps_known)
		goto out;
	rc = command(m, m->base, "CAPABILITY", "CAPABILITY", err);
	if (rc != SRC_OK)
		goto out;
	for (size_t i = 0; i < m->r.lines.n; i++) {
		const char *l = m->r.lines.v[i];
		if (!ascii_casecmp_prefix(l, "* CAPABILITY "))
			continue;
		char *copy = xstrdup(l + 13), *save = NULL;
		for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			m->cap_move |= !ascii_strcasecmp(t, "MOVE");
			m->cap_uidplus |= !ascii_strcasecmp(t, "UIDPLUS");
		}
		free(copy);
	}
	m->caps_known = true;
out:
	return rc;
}

/*
 * Move one message to `folder_q` (quoted).  MOVE when the server has it, else COPY,
 * \Deleted and (with UIDPLUS) UID EXPUNGE of that message only.  When the target
 * does not exist the server answers NO: create it (a NO to CREATE, e.g. because it
 * exists, is ignored) and try once more.  A UID that is already gone is not an
 * error: the servers answer OK to a command on no messages.
 */
static source_rc move(imap *m, const char *set, uint64_t uidvalidity, const char *folder_q, char **err)
{
	char *url = guarded_url(m, uidvalidity), *cmd = NULL, *what = NULL, *ignored = NULL;
	source_rc rc = capabilities(m, err);

	if (rc != SRC_OK)
		goto out;
	cmd = xasprintf("UID %s %s %s", m->cap_move ? "MOVE" : "COPY", set, folder_q);
	what = xasprintf("UID %s: %s to %s", set, m->cap_move ? "MOVE" : "COPY", folder_q);
	rc = command(m, url, cmd, what, err);
	if (rc == SRC_TEMP && m->r.fail && !strncmp(m->r.fail, "NO", 2)) {
		char *create = xasprintf("CREATE %s", folder_q);
		source_rc crc = command(m, m->base, create, "CREATE", &ignored);
		free(create);
		if (crc == SRC_OK || m->r.fail) {
			xfree(err);
			rc = command(m, url, cmd, what, err);
		}
	}
	if (rc != SRC_OK || m->cap_move)
		goto out;
	free(cmd);
	cmd = xasprintf("UID STORE %s +FLAGS.SILENT (\\Deleted)", set);
	rc = command(m, url, cmd, "UID STORE \\Deleted", err);
	if (rc != SRC_OK || !m->cap_uidplus)
		goto out;	/* without UIDPLUS an EXPUNGE would also remove other people's \Deleted mail */
	free(cmd);
	cmd = xasprintf("UID EXPUNGE %s", set);
	rc = command(m, url, cmd, "UID EXPUNGE", err);
out:
	free(ignored);
	free(what);
	free(cmd);
	free(url);
	return rc;
}

static uint64_t item_uid(const source_item *it)
{
	uint64_t uid = it->uid;
	const char *slash = it->key ? strchr(it->key, '/') : NULL;
	char *end;

	if (!uid && slash && (!parse_u64(slash + 1, &end, &uid) || *end))
		uid = 0;
	return uid;
}

/* ---- the source_ops ------------------------------------------------------- */

static source_rc imap_scan(void *impl, const source_state *st, size_t max, source_item **items, size_t *n,
			   uint64_t *uidvalidity_out, char **err)
{
	imap *m = impl;
	uint64_t uv, uidnext, messages, *uids = NULL;
	size_t nuids = 0, cap = 0;
	bool have_messages;
	source_rc rc = status(m, &uv, &uidnext, &messages, &have_messages, err);

	if (rc != SRC_OK)
		goto out;
	*uidvalidity_out = uv;
	if (st->uidvalidity && st->uidvalidity != uv) {
		rc = SRC_UIDVALIDITY;
		*err = xasprintf("UIDVALIDITY of %s on %s changed from %" PRIu64 " to %" PRIu64
				 ": the server renumbered the mailbox; automatic processing stops",
				 m->mailbox_q, m->host, st->uidvalidity, uv);
		goto out;
	}
	if (max == 0 || st->last_uid >= UID_MAX || (uidnext && uidnext <= st->last_uid + 1) ||
	    (have_messages && messages == 0))
		goto out;

	/* a search never asks for more UIDs than one answer line can carry */
	uint64_t lo = st->last_uid + 1;
	for (;;) {
		uint64_t hi = 0;
		bool few = have_messages && messages <= SEARCH_CHUNK;
		if (!few && !(uidnext && uidnext - lo <= SEARCH_CHUNK))
			hi = lo + SEARCH_CHUNK - 1 < UID_MAX ? lo + SEARCH_CHUNK - 1 : UID_MAX;
		rc = search(m, uv, lo, hi, &uids, &nuids, &cap, err);
		if (rc != SRC_OK || !hi || hi >= UID_MAX || (uidnext && hi + 1 >= uidnext) || nuids >= max)
			break;
		lo = hi + 1;
	}
	if (rc != SRC_OK)
		goto out;
	if (nuids > 1)
		qsort(uids, nuids, sizeof *uids, u64_cmp);
	*items = xcalloc(nuids ? nuids : 1, sizeof **items);
	for (size_t i = 0; i < nuids && *n < max; i++) {
		if (*n && (*items)[*n - 1].uid == uids[i])
			continue;
		source_item *it = &(*items)[(*n)++];
		it->uid = uids[i];
		it->key = xasprintf("%" PRIu64 "/%" PRIu64, uv, uids[i]);
	}
	if (*n)
		fetch_sizes(m, uv, *items, *n);
out:
	free(uids);
	return rc;
}

typedef source_rc (*set_fn)(imap *m, const char *set, uint64_t uidvalidity, char **err);
static source_rc for_uid_sets(imap *m, const uint64_t *in, size_t n, uint64_t uidvalidity,
			      size_t max_ranges, size_t max_uids, set_fn fn, char **err);

/* ---- fetching ahead -------------------------------------------------------
 *
 * While the caller stores one message, the next ones are already on their way, many per
 * command, on a connection of their own (imap_ahead.h).  A message that does not come
 * that way is fetched the ordinary way, which also tells a vanished message from a
 * renumbered mailbox.
 */
static void ahead_stop(imap *m)
{
	ahead_free(m->ahead);
	m->ahead = NULL;
	reply_reset(&m->ahead_r);
}

static void imap_prefetch(void *impl, const source_item *items, size_t n, uint64_t uidvalidity, size_t max_bytes)
{
	imap *m = impl;
	if (!uidvalidity)
		return;
	if (m->ahead && (ahead_broken(m->ahead) || ahead_uidvalidity(m->ahead) != uidvalidity)) {
		if (ahead_broken(m->ahead))
			log_debug("%s: fetching ahead stopped: %s", m->host, ahead_broken(m->ahead));
		ahead_stop(m);
	}
	if (!m->ahead) {
		/* best effort: without it, every message is fetched the ordinary way */
		CURL *h = curl_easy_init();
		CURLcode cc = CURLE_FAILED_INIT;
		reply_reset(&m->ahead_r);
		if (!h || (cc = setup(m, h, &m->ahead_r, m->base, NULL, 0)) != CURLE_OK ||
		    (cc = curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L)) != CURLE_OK ||
		    (cc = curl_easy_perform(h)) != CURLE_OK) {
			log_debug("%s: no connection to fetch ahead on: %s", m->host,
				  m->ahead_r.errbuf[0] ? m->ahead_r.errbuf : curl_easy_strerror(cc));
			if (h)
				curl_easy_cleanup(h);
			reply_reset(&m->ahead_r);
			return;
		}
		m->ahead = ahead_new(h, m->mailbox_q, uidvalidity, max_bytes);
	}
	uint64_t *uids = xcalloc(n ? n : 1, sizeof *uids);
	size_t *sizes = xcalloc(n ? n : 1, sizeof *sizes), k = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t uid = item_uid(&items[i]);
		if (uid && items[i].size <= max_bytes) {
			uids[k] = uid;
			sizes[k++] = items[i].size;
		}
	}
	ahead_plan(m->ahead, uids, sizes, k);
	free(uids);
	free(sizes);
}

static source_rc imap_fetch(void *impl, const source_item *it, uint64_t uidvalidity, size_t max_bytes,
			    char **bytes, size_t *len, char **err)
{
	imap *m = impl;
	uint64_t uid = item_uid(it);
	char *url = NULL, *what = NULL;
	source_rc rc = SRC_FATAL;

	if (!uid) {
		*err = xasprintf("message key '%s' has no UID", it->key ? it->key : "");
		goto out;
	}
	what = xasprintf("UID %" PRIu64 ": fetch", uid);
	if (it->size > max_bytes) {
		rc = SRC_TOO_BIG;
		*err = xasprintf("%s: %zu bytes, over the limit of %zu", what, it->size, max_bytes);
		goto out;
	}
	if (m->ahead && ahead_uidvalidity(m->ahead) == uidvalidity &&
	    ahead_take(m->ahead, uid, PREFETCH_WAIT_MS, bytes, len)) {
		rc = SRC_OK;
		goto out;
	}
	url = uidvalidity ? xasprintf("%s;UIDVALIDITY=%" PRIu64 "/;UID=%" PRIu64, m->mailbox_url, uidvalidity, uid)
			  : xasprintf("%s/;UID=%" PRIu64, m->mailbox_url, uid);
	rc = classify(m, &m->r, perform(m, url, NULL, max_bytes), what, err);
	if (rc == SRC_GONE && uidvalidity) {
		/* curl's message names the UIDVALIDITY case; make sure it was not that */
		uint64_t uv, uidnext, messages;
		bool have_messages;
		char *serr = NULL;
		if (status(m, &uv, &uidnext, &messages, &have_messages, &serr) == SRC_OK && uv != uidvalidity) {
			rc = SRC_UIDVALIDITY;
			xfree(err);
			*err = xasprintf("%s: UIDVALIDITY of %s on %s changed from %" PRIu64 " to %" PRIu64,
					 what, m->mailbox_q, m->host, uidvalidity, uv);
		}
		free(serr);
	}
	if (rc != SRC_OK)
		goto out;
	*len = m->r.body.len;
	*bytes = sb_steal(&m->r.body);
out:
	free(what);
	free(url);
	return rc;
}

/* keyword and/or move for a UID set ("3,5:9") */
static source_rc mark_set(imap *m, const char *set, uint64_t uidvalidity, char **err)
{
	char *url = guarded_url(m, uidvalidity), *cmd = NULL;
	source_rc rc = SRC_OK;
	if (m->keyword) {
		cmd = xasprintf("UID STORE %s +FLAGS.SILENT (%s)", set, m->keyword);
		rc = command(m, url, cmd, "UID STORE keyword", err);
	}
	if (rc == SRC_OK && m->move_to_q)
		rc = move(m, set, uidvalidity, m->move_to_q, err);
	free(cmd);
	free(url);
	return rc;
}

static source_rc imap_mark_done(void *impl, const source_item *it, uint64_t uidvalidity, char **err)
{
	uint64_t uid = item_uid(it);
	if (!uid) {
		*err = xasprintf("message key '%s' has no UID", it->key ? it->key : "");
		return SRC_FATAL;
	}
	char set[24];
	snprintf(set, sizeof set, "%" PRIu64, uid);
	return mark_set(impl, set, uidvalidity, err);
}

/*
 * Many committed messages at once: one UID STORE (and MOVE) per slice of UIDs
 * instead of a round trip each.  Slices stay short so a command line never nears
 * the server's limits.
 */
/* fn for the UIDs in[0..n) (zeros skipped), as sets ("3,5:9") of at most max_ranges ranges and
 * max_uids UIDs each */
static source_rc for_uid_sets(imap *m, const uint64_t *in, size_t n, uint64_t uidvalidity,
			      size_t max_ranges, size_t max_uids, set_fn fn, char **err)
{
	uint64_t *uids = xcalloc(n ? n : 1, sizeof *uids);
	size_t k = 0;
	source_rc rc = SRC_OK;
	for (size_t i = 0; i < n; i++)
		if ((uids[k] = in[i]))
			k++;
	qsort(uids, k, sizeof *uids, u64_cmp);
	for (size_t start = 0; start < k && rc == SRC_OK;) {
		strbuf set = STRBUF_INIT;
		size_t i = start, count = 0;
		while (i < k && count < max_ranges && i - start < max_uids) {
			size_t j = i;
			while (j + 1 < k && uids[j + 1] <= uids[j] + 1 && j + 1 - start < max_uids)
				j++;
			if (set.len)
				sb_addc(&set, ',');
			if (j > i)
				sb_addf(&set, "%" PRIu64 ":%" PRIu64, uids[i], uids[j]);
			else
				sb_addf(&set, "%" PRIu64, uids[i]);
			count++;
			i = j + 1;
		}
		rc = fn(m, sb_str(&set), uidvalidity, err);
		sb_free(&set);
		start = i;
	}
	free(uids);
	return rc;
}

static source_rc imap_mark_done_many(void *impl, const source_item *items, size_t n, uint64_t uidvalidity,
				     char **err)
{
	uint64_t *uids = xcalloc(n ? n : 1, sizeof *uids);
	for (size_t i = 0; i < n; i++)
		uids[i] = item_uid(&items[i]);
	source_rc rc = for_uid_sets(impl, uids, n, uidvalidity, 200, SIZE_MAX, mark_set, err);
	free(uids);
	return rc;
}

/*
 * Messages at or below last_uid are committed (or quarantined) in the database; any
 * of them still without the keyword (or still here when committed mail is moved)
 * lost its mark to a crash between commit and mark: mark them now.
 */
static source_rc imap_settle(void *impl, uint64_t last_uid, uint64_t uidvalidity, char **err)
{
	imap *m = impl;
	uint64_t *uids = NULL;
	size_t n = 0, cap = 0;
	source_rc rc = SRC_OK;
	char *extra = NULL;
	if (!last_uid || (!m->keyword && !m->move_to_q))
		return SRC_OK;
	extra = m->keyword ? xasprintf(" UNKEYWORD %s", m->keyword) : xstrdup("");
	rc = search_where(m, uidvalidity, 1, last_uid, extra, &uids, &n, &cap, err);
	if (rc == SRC_OK && n) {
		source_item *items = xcalloc(n, sizeof *items);
		for (size_t i = 0; i < n; i++)
			items[i].uid = uids[i];
		rc = imap_mark_done_many(m, items, n, uidvalidity, err);
		free(items);
	}
	free(extra);
	free(uids);
	return rc;
}

static source_rc imap_quarantine(void *impl, const source_item *it, uint64_t uidvalidity, char **err)
{
	imap *m = impl;
	uint64_t uid = item_uid(it);
	source_rc rc = SRC_OK;

	if (!m->quarantine_q)
		goto out;
	if (!uid) {
		rc = SRC_FATAL;
		*err = xasprintf("message key '%s' has no UID", it->key ? it->key : "");
		goto out;
	}
	char set[24];
	snprintf(set, sizeof set, "%" PRIu64, uid);
	rc = move(m, set, uidvalidity, m->quarantine_q, err);
out:
	return rc;
}

static void imap_disconnect(void *impl)
{
	imap *m = impl;

	ahead_stop(m);
	if (m->h)
		curl_easy_cleanup(m->h);	/* logs out and closes the connection */
	m->h = NULL;
	m->caps_known = m->cap_move = m->cap_uidplus = false;
}

static void imap_close(void *impl)
{
	imap *m = impl;

	if (m) {
		imap_disconnect(m);
		reply_reset(&m->r);
		if (m->password) {
			explicit_bzero(m->password, strlen(m->password));
			free(m->password);
		}
		free(m->base);
		free(m->mailbox_url);
		free(m->mailbox);
		free(m->mailbox_q);
		free(m->host);
		free(m->user);
		free(m->ca_file);
		free(m->keyword);
		free(m->move_to);
		free(m->move_to_q);
		free(m->quarantine);
		free(m->quarantine_q);
		free(m);
	}
}

const source_ops source_imap_ops = {
	.scan = imap_scan,
	.fetch = imap_fetch,
	.mark_done = imap_mark_done,
	.mark_done_many = imap_mark_done_many,
	.prefetch = imap_prefetch,
	.settle = imap_settle,
	.quarantine = imap_quarantine,
	.disconnect = imap_disconnect,
	.close = imap_close,
};

/* ---- open ----------------------------------------------------------------- */

static bool folder_ok(const char *what, const char *folder, char **err)
{
	bool ok = *folder && is_ascii_print(folder);

	if (!ok)
		*err = xasprintf("%s '%s': only printable ASCII folder names are supported (write others in "
				 "IMAP's modified UTF-7)", what, is_ascii_print(folder) ? folder : "…");
	return ok;
}

/* imap[s]://host[:port][/MAILBOX] → m->base, host, mailbox… */
static bool parse_url(imap *m, const char *url, char **err)
{
	bool ok = false;
	size_t slen = m->tls ? 8 : 7;
	const char *auth = url + slen, *slash = strchr(auth, '/');
	size_t alen = slash ? (size_t)(slash - auth) : strlen(auth);
	const char *path = slash ? slash + 1 : "";

	if (!is_ascii_print(url) || strpbrk(url, " ?#")) {
		*err = xstrdup("IMAP url: spaces, '?', '#' and non-ASCII characters must be %-encoded");
		goto out;
	}
	if (alen == 0 || memchr(auth, '@', alen)) {
		*err = xstrdup("IMAP url: expected imap[s]://host[:port]/MAILBOX, without a user name or password "
			       "(use username and password_file)");
		goto out;
	}
	if (strchr(path, ';')) {
		*err = xstrdup("IMAP url: ';' in the mailbox name must be written %3B");
		goto out;
	}
	m->mailbox = *path ? url_decode(path, strlen(path)) : xstrdup("INBOX");
	if (!m->mailbox || !*m->mailbox || !is_ascii_print(m->mailbox)) {
		*err = xstrdup("IMAP url: bad mailbox name (a bad %-escape, or non-ASCII: use IMAP's modified UTF-7)");
		goto out;
	}
	m->host = xstrndup(auth, alen);
	m->base = xasprintf("%s://%s/", m->tls ? "imaps" : "imap", m->host);
	char *esc = url_escape(m->mailbox);
	m->mailbox_url = xasprintf("%s%s", m->base, esc);
	free(esc);
	m->mailbox_q = imap_quote(m->mailbox);
	ok = true;
out:
	return ok;
}

void *source_imap_open(const mailbox_conf *mb, char **name, char **err)
{
	static bool curl_ready;
	imap *m = xcalloc(1, sizeof *m);
	void *res = NULL;
	char *serr = NULL;

	m->tls = ascii_casecmp_prefix(mb->url, "imaps://");
	m->verify = !mb->insecure_skip_verify;
	if (!m->tls && !mb->allow_plaintext) {
		*err = xstrdup("imap:// sends the password in clear; use imaps:// or set allow_plaintext: true");
		goto fail;
	}
	if (!parse_url(m, mb->url, err))
		goto fail;
	if (!mb->username || !*mb->username) {
		*err = xstrdup("IMAP needs a username");
		goto fail;
	}
	m->user = xstrdup(mb->username);
	if (mb->processed_keyword && *mb->processed_keyword) {
		if (!valid_keyword(mb->processed_keyword)) {
			*err = xstrdup("processed_keyword must be an IMAP atom (letters, digits, $ …; no spaces, "
				       "parentheses, quotes, %, *, ] or {)");
			goto fail;
		}
		m->keyword = xstrdup(mb->processed_keyword);
	}
	if (mb->move_to) {
		if (!folder_ok("move_to", mb->move_to, err))
			goto fail;
		m->move_to = xstrdup(mb->move_to);
		m->move_to_q = imap_quote(mb->move_to);
	}
	if (mb->quarantine_folder) {
		if (!folder_ok("quarantine_folder", mb->quarantine_folder, err))
			goto fail;
		m->quarantine = xstrdup(mb->quarantine_folder);
		m->quarantine_q = imap_quote(mb->quarantine_folder);
	}
	if (mb->ca_file && *mb->ca_file)
		m->ca_file = xstrdup(mb->ca_file);
	m->password = config_secret(mb->password_file, mb->password_env, &serr);
	if (!m->password) {
		*err = serr ? xasprintf("password: %s", serr) : xstrdup("IMAP needs password_file or password_env");
		free(serr);
		goto fail;
	}
	if (!curl_ready) {
		/* once, before any handle: curl_easy_init would do it, but not thread-safely */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			*err = xstrdup("libcurl could not be initialised");
			goto fail;
		}
		curl_ready = true;
	}
	const char *path = strchr(mb->url + (m->tls ? 8 : 7), '/');
	*name = xasprintf("%s%s", m->base, path && path[1] ? path + 1 : "INBOX");
	res = m;
	m = NULL;
fail:
	imap_close(m);
	return res;
}
