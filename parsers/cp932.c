/*
 * cp932 — the CP932 table (see cp932.h).
 *
 * The table is filled once per process by asking iconv about every byte and every
 * lead+trail pair, so it cannot drift from what iconv would do with the same bytes
 * (and the NEC/IBM extension rows come out as glibc maps them).  CP932 is stateless
 * and reads one or two bytes at a time, decided by the first, so decoding a text by
 * the table step by step gives iconv's result for the whole text; tests check every
 * cell against iconv.  Filling it costs a few milliseconds, once.
 *
 * Must never: return the table half filled (pthread_once), or decode with a table
 * iconv did not fully answer (then NULL, and charset.c uses iconv).
 */
#include "cp932.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <string.h>

static cp932_table table;
static bool table_ok;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* one conversion of n bytes: the code point, CP932_NONE when iconv refused, or
 * 0xFFFFFFFF when it asked for more bytes; false when the answer was not one
 * whole code point (then the table is not used) */
static bool ask(iconv_t cd, const unsigned char *in, size_t n, uint32_t *cp)
{
	char obuf[16], *op = obuf, *ip = (char *)in;
	size_t il = n, ol = sizeof obuf;
	iconv(cd, NULL, NULL, NULL, NULL);
	size_t r = iconv(cd, &ip, &il, &op, &ol);
	if (r == (size_t)-1) {
		*cp = errno == EINVAL && n == 1 ? 0xFFFFFFFF : CP932_NONE;
		return errno == EINVAL || errno == EILSEQ;
	}
	size_t olen = (size_t)(op - obuf);
	uint32_t c;
	if (il != 0 || olen == 0 || utf8_next(obuf, olen, &c) != olen || c >= CP932_NONE)
		return false;
	*cp = c;
	return true;
}

static void build(void)
{
	iconv_t cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1)
		return;
	bool ok = true;
	for (unsigned b = 0; b < 256 && ok; b++) {
		unsigned char in[2] = { (unsigned char)b, 0 };
		uint32_t cp;
		ok = ask(cd, in, 1, &cp);
		table.lead[b] = cp == 0xFFFFFFFF;
		table.single[b] = table.lead[b] ? CP932_NONE : (uint16_t)cp;
		for (unsigned t = 0; t < 256 && ok && table.lead[b]; t++) {
			in[1] = (unsigned char)t;
			ok = ask(cd, in, 2, &cp);
			table.pair[b][t] = (uint16_t)(cp == 0xFFFFFFFF ? CP932_NONE : cp);
		}
	}
	iconv_close(cd);
	table.ascii_same = ok;
	for (unsigned b = 0; b < 0x80; b++)
		table.ascii_same &= table.single[b] == b;
	table.jis_direct = table.ascii_same;
	for (unsigned b = 0x81; b <= 0xEF; b++)
		table.jis_direct &= table.lead[b] || (b > 0x9F && b < 0xE0);
	for (unsigned j1 = 0x21; j1 <= 0x7E && ok; j1++)
		for (unsigned j2 = 0x21; j2 <= 0x7E; j2++) {
			unsigned char sj[2];
			jis_to_sjis((unsigned char)j1, (unsigned char)j2, sj);
			uint32_t cp = table.lead[sj[0]] ? table.pair[sj[0]][sj[1]] : CP932_NONE;
			if (cp == CP932_NONE)
				continue;
			uint8_t *e = table.jis_utf8[j1 - 0x21][j2 - 0x21];
			strbuf tmp = { (char *)e, 0, 4 };
			cp932_put_utf8(&tmp, cp);
			e[3] = (uint8_t)tmp.len;
		}
	table_ok = ok;
}

const cp932_table *cp932_table_get(void)
{
	pthread_once(&table_once, build);
	return table_ok ? &table : NULL;
}

size_t cp932_bad_len(const unsigned char *p, size_t n)
{
	if (n >= 2 && ((p[0] >= 0x81 && p[0] <= 0x9F) || (p[0] >= 0xE0 && p[0] <= 0xFC)) &&
	    p[1] >= 0x40 && p[1] <= 0xFC && p[1] != 0x7F)
		return 2;
	return 1;
}

bool cp932_decode(const char *in, size_t len, strbuf *out, size_t *errors)
{
	const cp932_table *t = cp932_table_get();
	if (!t)
		return false;
	const unsigned char *u = (const unsigned char *)in;
	/* every input byte makes at most 3 output bytes (U+FFFD and U+FFxx included) */
	sb_grow(out, 3 * len);
	for (size_t i = 0; i < len;) {
		/* a run of ASCII, which decodes to itself, at once */
		if (t->ascii_same && u[i] < 0x80) {
			size_t e = i + 1;
			while (e < len && u[e] < 0x80)
				e++;
			memcpy(out->s + out->len, in + i, e - i);
			out->len += e - i;
			i = e;
			continue;
		}
		unsigned char b = u[i];
		uint32_t cp = t->single[b];
		size_t k = 1;
		if (cp == CP932_NONE && t->lead[b] && i + 1 < len) {
			cp = t->pair[b][u[i + 1]];
			k = 2;
		}
		if (cp == CP932_NONE) {
			cp = 0xFFFD;
			k = cp932_bad_len(u + i, len - i);
			(*errors)++;
		}
		cp932_put_utf8(out, cp);
		i += k;
	}
	out->s[out->len] = '\0';
	return true;
}
