/*
 * cp932 — CP932 (Windows Shift_JIS, with the NEC and IBM extensions ①, ㈱, ～) to
 * UTF-8 through a table read once from glibc's own CP932 converter.  Every byte and
 * every lead+trail pair decodes exactly as iconv decodes it, and a bad sequence gives
 * the same U+FFFD and skips the same bytes; only much faster, as iconv costs more per
 * character than the rest of a parse.
 */
#ifndef DEFECTD_CP932_H
#define DEFECTD_CP932_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* no mapping: U+FFFF is a noncharacter, never the result of a decode */
#define CP932_NONE 0xFFFF

/*
 * single[b]: what the lone byte b decodes to; CP932_NONE for an invalid byte and for
 * a lead byte (lead[b]), which needs a second one: pair[b][t] is the decoded pair.
 */
typedef struct cp932_table {
	bool ascii_same; /* every ASCII byte decodes to itself */
	bool jis_direct; /* that, and every byte JIS X 0208 turns into a lead byte is one:
			  * ISO-2022-JP may skip the Shift_JIS detour */
	bool lead[256];
	uint16_t single[256];
	uint16_t pair[256][256];
	/* jis_utf8[j1 - 0x21][j2 - 0x21]: the UTF-8 of the JIS X 0208 pair j1 j2 (through
	 * its Shift_JIS bytes and pair[]), its length in [3]; 0 when it has no mapping */
	uint8_t jis_utf8[94][94][4];
} cp932_table;

/* The table, filled at the first call (any thread); NULL when iconv does not know
 * CP932 or answers with anything but one code point (then use iconv itself). */
const cp932_table *cp932_table_get(void);

/* Bytes iconv's callers skip after an undecodable sequence at p (n bytes left): a
 * lead byte with a trail byte in range is one bad character, anything else one byte. */
size_t cp932_bad_len(const unsigned char *p, size_t n);

/* Append the decoding of in[0..len) to out; adds the number of U+FFFD to *errors.
 * false (nothing appended) when there is no table. */
bool cp932_decode(const char *in, size_t len, strbuf *out, size_t *errors);

/* the Shift_JIS bytes of JIS X 0208 row/cell bytes j1 j2 (0x21..0x7E each) */
static inline void jis_to_sjis(unsigned char j1, unsigned char j2, unsigned char s[2])
{
	s[0] = (unsigned char)(((j1 + 1) >> 1) + (j1 <= 0x5E ? 0x70 : 0xB0));
	if (j1 & 1)
		s[1] = (unsigned char)(j2 + (j2 <= 0x5F ? 0x1F : 0x20));
	else
		s[1] = (unsigned char)(j2 + 0x7E);
}

/* append cp (below U+10000) as UTF-8; b has room for three more bytes */
static inline void cp932_put_utf8(strbuf *b, uint32_t cp)
{
	char *p = b->s + b->len;
	if (cp < 0x80) {
		p[0] = (char)cp;
		b->len += 1;
	} else if (cp < 0x800) {
		p[0] = (char)(0xC0 | (cp >> 6));
		p[1] = (char)(0x80 | (cp & 0x3F));
		b->len += 2;
	} else {
		p[0] = (char)(0xE0 | (cp >> 12));
		p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		p[2] = (char)(0x80 | (cp & 0x3F));
		b->len += 3;
	}
}

#endif
