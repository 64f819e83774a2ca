/*
 * imap_wire — reading an IMAP server's responses off the wire (RFC 3501 §7, §9), for the
 * fetch-ahead connection, which sends its own commands (imap_ahead.c).  A response is a
 * line, or lines joined by literals ("{N}" CRLF then N bytes, any bytes: a mail whose text
 * looks like a tagged answer or an untagged FETCH is read as the literal it is).
 *
 * Pure: it reads a buffer and says how much one complete response took.  No allocation;
 * what it returns points into the buffer.
 */
#ifndef DEFECTD_IMAP_WIRE_H
#define DEFECTD_IMAP_WIRE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	WIRE_MORE,	/* the buffer ends inside a response: read more */
	WIRE_FETCH,	/* "* n FETCH (…)": uid, and body when it had BODY[] */
	WIRE_TAGGED,	/* "tag OK|NO|BAD text" */
	WIRE_UNTAGGED,	/* any other "* …" (EXISTS, FLAGS, OK [UIDVALIDITY n] …) */
	WIRE_ERROR,	/* not IMAP as we know it (the connection cannot be trusted) */
} wire_kind;

typedef struct wire_resp {
	wire_kind kind;
	size_t used;		/* bytes of the buffer this response took */
	/* WIRE_FETCH */
	uint64_t uid;		/* 0: no UID item */
	const char *body;	/* BODY[] (NULL: none, or NIL); may hold NULs */
	size_t body_len;
	int body_quoted;	/* body is a quoted string still escaped (\" and \\): wire_unquote */
	/* WIRE_TAGGED: the tag and the rest of the line ("OK …"); WIRE_UNTAGGED: the line after "* " */
	const char *tag;
	size_t tag_len;
	const char *text;
	size_t text_len;
	/* WIRE_UNTAGGED: the n of "* OK [UIDVALIDITY n]" (0: not that) */
	uint64_t uidvalidity;
	/* WIRE_ERROR */
	const char *error;	/* a constant */
} wire_resp;

/* One response from the start of buf; literals over max_literal bytes are an error. */
void wire_next(const char *buf, size_t len, size_t max_literal, wire_resp *r);

/* A quoted string's content without its escapes, into out (at least len bytes); its length. */
size_t wire_unquote(const char *s, size_t len, char *out);

#endif
