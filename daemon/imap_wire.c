/*
 * imap_wire — see imap_wire.h.  Two passes over a response: first its extent (lines and
 * the literals that join them), then, for a FETCH, its attributes, with a cursor that
 * never leaves the extent.
 */
#include "imap_wire.h"

#include <string.h>

#define LINE_MAX_BYTES (64 * 1024)	/* a line (outside literals) longer than this is not IMAP */
#define DEPTH_MAX 16			/* nested parentheses in a FETCH attribute */

static size_t find_crlf(const char *b, size_t from, size_t len)
{
	for (size_t i = from; i + 1 < len; i++)
		if (b[i] == '\r' && b[i + 1] == '\n')
			return i;
	return (size_t)-1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* the literal announced at the end of line b[from..crlf) ("{N}", "{N+}", "~{N}"): 1 with *n,
 * 0 when the line ends otherwise, -1 when N is too large */
static int literal_at_end(const char *b, size_t from, size_t crlf, size_t max, size_t *n)
{
	if (crlf == from || b[crlf - 1] != '}')
		return 0;
	size_t i = crlf - 1;
	if (i > from && b[i - 1] == '+')
		i--;
	size_t end = i;
	while (i > from && is_digit(b[i - 1]))
		i--;
	if (i == end || i == from || b[i - 1] != '{')
		return 0;
	size_t v = 0;
	for (size_t k = i; k < end; k++) {
		size_t d = (size_t)(b[k] - '0');
		if (v > max / 10 || (v == max / 10 && d > max % 10))
			return -1;
		v = v * 10 + d;
	}
	*n = v;
	return 1;
}

/* ---- the attributes of a FETCH ---------------------------------------------------------- */

typedef struct cursor {
	const char *b;
	size_t i, end;	/* end: the response's final CRLF */
	size_t max;
	int bad;
} cursor;

typedef struct value {
	int kind;	/* 'a' atom or number, 'q' quoted (content, escaped), 'l' literal, '(' list, 'n' NIL */
	const char *p;
	size_t len;
} value;

static int at(const cursor *c, char ch)
{
	return c->i < c->end && c->b[c->i] == ch;
}

static int atom_char(char ch)
{
	return ch != ' ' && ch != '(' && ch != ')' && ch != '{' && ch != '"' && ch != '\r' && ch != '\n' &&
	       ch != '[' && ch != ']';
}

static void parse_value(cursor *c, value *v, int depth);

static void parse_list(cursor *c, int depth)
{
	value v;
	c->i++; /* ( */
	while (!c->bad && !at(c, ')')) {
		if (c->i >= c->end) {
			c->bad = 1;
			return;
		}
		if (at(c, ' ')) {
			c->i++;
			continue;
		}
		parse_value(c, &v, depth + 1);
	}
	c->i++;	/* ) */
}

static void parse_value(cursor *c, value *v, int depth)
{
	const char *b = c->b;
	size_t start = c->i;
	*v = (value){ 0, NULL, 0 };
	if (depth > DEPTH_MAX || c->i >= c->end) {
		c->bad = 1;
		return;
	}
	if (b[c->i] == '"') {
		size_t i = ++c->i;
		while (i < c->end && b[i] != '"')
			i += b[i] == '\\' ? 2 : 1;
		if (i >= c->end) {
			c->bad = 1;
			return;
		}
		*v = (value){ 'q', b + c->i, i - c->i };
		c->i = i + 1;
	} else if (b[c->i] == '{' || (b[c->i] == '~' && c->i + 1 < c->end && b[c->i + 1] == '{')) {
		/* the extent pass checked the number and that the bytes are there */
		size_t crlf = find_crlf(b, c->i, c->end + 2), n = 0;
		if (crlf == (size_t)-1 || literal_at_end(b, c->i, crlf, c->max, &n) != 1 || crlf + 2 + n > c->end) {
			c->bad = 1;
			return;
		}
		*v = (value){ 'l', b + crlf + 2, n };
		c->i = crlf + 2 + n;
	} else if (b[c->i] == '(') {
		parse_list(c, depth);
		*v = (value){ '(', b + start, c->i - start };
	} else {
		while (c->i < c->end && atom_char(b[c->i]))
			c->i++;
		if (c->i == start) {
			c->bad = 1;
			return;
		}
		size_t n = c->i - start;
		*v = (value){ n == 3 && !strncmp(b + start, "NIL", 3) ? 'n' : 'a', b + start, n };
	}
}

/* an attribute's name: an atom with an optional [section] and <partial> */
static void parse_name(cursor *c, const char **name, size_t *len)
{
	size_t start = c->i;
	while (c->i < c->end && atom_char(c->b[c->i]))
		c->i++;
	if (at(c, '[')) {
		while (c->i < c->end && c->b[c->i] != ']')
			c->i++;
		if (!at(c, ']'))
			c->bad = 1;
		else
			c->i++;
		if (at(c, '<')) {
			while (c->i < c->end && c->b[c->i] != '>')
				c->i++;
			c->i++;
		}
	}
	if (c->i == start || c->i > c->end)
		c->bad = 1;
	*name = c->b + start;
	*len = c->i - start;
}

static int parse_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 19)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 1;
}

/* "(name value name value …)" from c->i; fills r's uid and body */
static void parse_fetch(cursor *c, wire_resp *r)
{
	if (!at(c, '(')) {
		c->bad = 1;
		return;
	}
	c->i++;
	while (!c->bad) {
		if (at(c, ')')) {
			c->i++;
			break;
		}
		if (at(c, ' ')) {
			c->i++;
			continue;
		}
		const char *name;
		size_t nlen;
		value v;
		parse_name(c, &name, &nlen);
		if (c->bad || !at(c, ' ')) {
			c->bad = 1;
			break;
		}
		c->i++;
		parse_value(c, &v, 0);
		if (c->bad)
			break;
		if (nlen == 3 && !strncmp(name, "UID", 3)) {
			if (v.kind != 'a' || !parse_u64(v.p, v.len, &r->uid))
				c->bad = 1;
		} else if (nlen == 6 && !strncmp(name, "BODY[]", 6)) {
			if (v.kind == 'l' || v.kind == 'q') {
				r->body = v.p;
				r->body_len = v.len;
				r->body_quoted = v.kind == 'q';
			} else if (v.kind != 'n') {
				c->bad = 1;
			}
		}
	}
	if (!c->bad && c->i != c->end)
		c->bad = 1;	/* something after the closing parenthesis */
}

/* ---- one response -------------------------------------------------------------------------- */

static void fail(wire_resp *r, const char *why)
{
	r->kind = WIRE_ERROR;
	r->error = why;
}

void wire_next(const char *b, size_t len, size_t max_literal, wire_resp *r)
{
	size_t pos = 0, first_crlf = (size_t)-1, end;
	memset(r, 0, sizeof *r);
	/* the extent: lines, each ending in a literal continues after it */
	for (;;) {
		size_t crlf = find_crlf(b, pos, len), n = 0;
		if (crlf == (size_t)-1) {
			if (len - pos > LINE_MAX_BYTES)
				fail(r, "a response line without an end");
			else
				r->kind = WIRE_MORE;
			return;
		}
		if (crlf - pos > LINE_MAX_BYTES) {
			fail(r, "a response line too long");
			return;
		}
		if (first_crlf == (size_t)-1)
			first_crlf = crlf;
		int lit = literal_at_end(b, pos, crlf, max_literal, &n);
		if (lit < 0) {
			fail(r, "a literal over the size limit");
			return;
		}
		if (!lit) {
			end = crlf;
			break;
		}
		if (len - (crlf + 2) < n) {
			r->kind = WIRE_MORE;
			return;
		}
		pos = crlf + 2 + n;
	}
	r->used = end + 2;

	if (len >= 2 && b[0] == '*' && b[1] == ' ') {
		/* "* n FETCH (" */
		size_t i = 2;
		while (i < end && is_digit(b[i]))
			i++;
		if (i > 2 && i + 7 <= end && !strncmp(b + i, " FETCH ", 7)) {
			cursor c = { b, i + 7, end, max_literal, 0 };
			r->kind = WIRE_FETCH;
			parse_fetch(&c, r);
			if (c.bad) {
				memset(r, 0, sizeof *r);
				fail(r, "a FETCH response that does not parse");
			}
			return;
		}
		r->kind = WIRE_UNTAGGED;
		r->text = b + 2;
		r->text_len = first_crlf - 2;
		static const char uv[] = "OK [UIDVALIDITY ";
		if (r->text_len > sizeof uv - 1 && !strncmp(r->text, uv, sizeof uv - 1)) {
			size_t k = sizeof uv - 1, d = k;
			while (d < r->text_len && is_digit(r->text[d]))
				d++;
			if (d < r->text_len && r->text[d] == ']' && !parse_u64(r->text + k, d - k, &r->uidvalidity))
				r->uidvalidity = 0;
		}
		return;
	}
	if (len >= 1 && b[0] == '+') {
		fail(r, "a continuation request (no command here asks for one)");
		return;
	}
	size_t t = 0;
	while (t < first_crlf && b[t] != ' ' && atom_char(b[t]))
		t++;
	if (t == 0 || t >= first_crlf || b[t] != ' ') {
		fail(r, "a response that is neither tagged nor untagged");
		return;
	}
	r->kind = WIRE_TAGGED;
	r->tag = b;
	r->tag_len = t;
	r->text = b + t + 1;
	r->text_len = first_crlf - t - 1;
}

size_t wire_unquote(const char *s, size_t len, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		out[n++] = s[i];
	}
	return n;
}
