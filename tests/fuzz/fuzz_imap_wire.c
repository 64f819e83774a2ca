/* fuzz_imap_wire — libFuzzer over imap_wire.c: whatever a server sends, every response
 * stays inside the buffer, each one read takes bytes, and reading the same bytes as they
 * arrive in two pieces gives the same responses as reading them whole. */
#include "imap_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LITERAL 4096

typedef struct seen {
	wire_kind kind;
	size_t used;
	uint64_t uid;
	size_t body_off, body_len;
} seen;

/* the responses of b[0..len), as far as they are complete; n of them into out */
static size_t read_all(const char *b, size_t len, seen *out, size_t cap, size_t *consumed)
{
	size_t off = 0, n = 0;
	while (n < cap) {
		wire_resp r;
		wire_next(b + off, len - off, MAX_LITERAL, &r);
		if (r.kind == WIRE_MORE || r.kind == WIRE_ERROR) {
			if (r.kind == WIRE_ERROR && !r.error)
				abort();
			break;
		}
		if (r.used == 0 || r.used > len - off)
			abort();
		if (r.body && (r.body < b + off || r.body + r.body_len > b + off + r.used))
			abort();
		if ((r.kind == WIRE_TAGGED || r.kind == WIRE_UNTAGGED) &&
		    (r.text < b + off || r.text + r.text_len > b + off + r.used))
			abort();
		if (r.body && r.body_quoted) {
			char *tmp = malloc(r.body_len + 1);
			if (wire_unquote(r.body, r.body_len, tmp) > r.body_len)
				abort();
			free(tmp);
		}
		out[n++] = (seen){ r.kind, r.used, r.uid, r.body ? (size_t)(r.body - b) : 0, r.body_len };
		off += r.used;
	}
	*consumed = off;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum { CAP = 256 };
	static seen whole[CAP], parts[CAP];
	const char *b = (const char *)data;
	size_t used_whole, used_first, used_rest;
	size_t nw = read_all(b, size, whole, CAP, &used_whole);
	if (size == 0 || nw == CAP)
		return 0;
	/* the same bytes in two pieces: what the first piece yields, then the rest */
	size_t cut = data[0] % size;
	size_t n1 = read_all(b, cut, parts, CAP, &used_first);
	size_t n2 = read_all(b + used_first, size - used_first, parts + n1, CAP - n1, &used_rest);
	if (n1 + n2 != nw || used_first + used_rest != used_whole)
		abort();
	for (size_t i = 0; i < nw; i++)
		if (parts[i].kind != whole[i].kind || parts[i].used != whole[i].used || parts[i].uid != whole[i].uid ||
		    parts[i].body_len != whole[i].body_len)
			abort();
	return 0;
}
