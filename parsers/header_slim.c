/*
 * header_slim — leave the unread fields of the top-level header out of what libetpan
 * parses (see header_slim.h).
 *
 * Field boundaries are RFC 5322's: a field runs to the line break that is not
 * followed by a space or a tab.  libetpan reads a header field after field
 * (mailimf_envelope_and_optional_fields_parse) and stops at the first one it cannot
 * read.  A field of a name without a structured parser (or Subject) is read as text,
 * up to and including its last line break, when the name is followed at once by a
 * colon, its lines end in LF or CRLF and its continuation lines hold some text
 * (libetpan ends the text of a field before a line of white space only).  Such a
 * field ends where RFC 5322 ends it, with or without its neighbours.
 *
 * A structured field (From, To, Date ...) that is well formed ends there too: its
 * grammar crosses a line break only when a space or a tab follows.  A malformed one
 * may not: libetpan reads an encoded word, a quoted string or a comment that is not
 * closed on its line on into the next field ("From: =?ISO-2022-JP?B?abc\nX-Mailer:
 * def?= <a@b>").  Here the field after it is its own field, as RFC 5322 says, and it
 * goes when it is unread, so the parse of such a header differs from libetpan's
 * reading of the original in that the broken field no longer swallows an unread
 * neighbour.  The scan ends at anything else it cannot be sure of (a bare CR, a line
 * that is no field, a field running to the end of the message), and the rest is
 * copied as it is.
 *
 * Must never: leave out a field the parse reads (Subject, From, Date, Message-ID,
 * In-Reply-To, References, MIME-Version, Content-*, Auto-Submitted, Precedence,
 * X-Autoreply, X-Autorespond): only the names listed below go.
 */
#include "header_slim.h"
#include "util.h"

#include <string.h>

/* fields nothing reads; a name ending in '-' is a prefix */
static const char *const unread[] = {
	"Received", "Return-Path", "Delivered-To", "DKIM-Signature", "Authentication-Results",
	"Received-SPF", "Thread-Index", "Thread-Topic", "User-Agent", "Organization", "X-",
	"List-", "ARC-", "To", "Cc", "Bcc", "Sender", "Reply-To", "Resent-", "Comments",
	"Keywords",
};

/* X- fields the noise rules read */
static const char *const read_x[] = { "X-Autoreply", "X-Autorespond" };

/* the first letters differ: most names are told apart without a compare */
static bool other_initial(const char *name, const char *want)
{
	return (name[0] | 0x20) != (want[0] | 0x20);
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return !other_initial(name, want) && strlen(want) == n && ascii_casecmp_prefix(name, want);
}

static bool is_unread(const char *name, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(read_x); i++)
		if (name_is(name, n, read_x[i]))
			return false;
	for (size_t i = 0; i < ARRAY_LEN(unread); i++) {
		if (other_initial(name, unread[i]))
			continue;
		size_t k = strlen(unread[i]);
		bool prefix = unread[i][k - 1] == '-';
		if (prefix ? n > k && ascii_casecmp_prefix(name, unread[i]) : name_is(name, n, unread[i]))
			return true;
	}
	return false;
}

/* length of the field name at p when a colon follows it at once (libetpan's field
 * name characters: printable ASCII but the colon); 0 otherwise */
static size_t name_length(const char *p, const char *end)
{
	const char *q = p;
	while (q < end && *q >= 33 && *q <= 126 && *q != ':')
		q++;
	return q > p && q < end && *q == ':' ? (size_t)(q - p) : 0;
}

/* where the next field starts, for a field whose value starts at p; NULL when the
 * field is not plain (see above) */
static const char *field_end(const char *p, const char *end)
{
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		const char *cr = memchr(p, '\r', (size_t)(nl - p));
		if (cr && cr != nl - 1)
			return NULL;
		p = nl + 1;
		if (p == end)
			return NULL;
		if (*p != ' ' && *p != '\t')
			return p;
		const char *q = p;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q == end || *q == '\r' || *q == '\n')
			return NULL; /* a continuation line of white space only */
	}
}

char *header_slim(const char *msg, size_t len, size_t *out_len)
{
	const char *p = msg, *end = msg + len;
	char *out = NULL;
	size_t o = 0;
	while (p < end && *p != '\n' && *p != '\r') {
		size_t n = name_length(p, end);
		const char *next = n ? field_end(p + n + 1, end) : NULL;
		if (!next)
			break;
		if (is_unread(p, n)) {
			if (!out) {
				/* the first field left out: copy what came before it */
				out = xmalloc(len + 1);
				o = (size_t)(p - msg);
				memcpy(out, msg, o);
			}
		} else if (out) {
			memcpy(out + o, p, (size_t)(next - p));
			o += (size_t)(next - p);
		}
		p = next;
	}
	if (!out)
		return NULL;
	memcpy(out + o, p, (size_t)(end - p));
	*out_len = o + (size_t)(end - p);
	/* a NUL after the end, as the worker's buffer has: libetpan's quoted-printable
	 * decoder reads one byte past a part that ends in "=X" */
	out[*out_len] = '\0';
	return out;
}
