/*
 * charset — every byte sequence a mail can carry, to valid UTF-8 (SPEC.md §4 "Charsets").
 *
 * Why it is more than iconv: glibc's ISO-2022-JP rejects the CP932 extensions Windows
 * mailers put inside ESC $ B (①, ㈱), its SHIFT_JIS turns '\' into '¥', and mail is
 * often mislabelled.  So ISO-2022-JP is decoded here (JIS pairs become Shift_JIS bytes
 * arithmetically and go through CP932), Japanese labels are aliased to the Microsoft
 * tables, and wrong or missing labels are sniffed.
 *
 * Must never: lose text after a bad byte (it becomes U+FFFD and is counted), return
 * invalid UTF-8 or an embedded NUL, or call iconv_open per message (descriptors are
 * cached per thread).  UTF-8 and ASCII never touch iconv.
 *
 * Speed: CP932 (Shift_JIS bodies, and every ISO-2022-JP body through the JIS-to-SJIS
 * arithmetic) is the bulk of Japanese mail, and iconv costs more per character than
 * the rest of a parse.  So CP932 is read through cp932.c's table, which gives
 * exactly what iconv gives.
 */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <libetpan/charconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp932.h"
#include "util.h"

#define ESC 0x1B
#define SO 0x0E
#define SI 0x0F
#define NAME_MAX_LEN 48
#define CACHE_SLOTS 16
#define INTERN_MAX 64

/* How a declared charset is decoded. */
enum kind {
	K_NONE,	 /* undeclared, us-ascii with 8-bit bytes, or unknown: sniff */
	K_UTF8,
	K_CP932,
	K_EUCJP,
	K_JIS,	 /* ISO-2022-JP family: our own decoder */
	K_LEGACY, /* another ASCII-compatible iconv charset (ISO-8859-x, windows-125x ...) */
	K_WIDE,	 /* an iconv charset that is not ASCII-compatible (UTF-16, UTF-7 ...) */
};

/* One decode attempt. */
struct cand {
	strbuf out;
	const char *name;
	size_t errors;
};

struct cache_slot {
	char name[NAME_MAX_LEN];
	iconv_t cd; /* (iconv_t)-1: iconv does not know the name */
};

static _Thread_local struct cache_slot cache[CACHE_SLOTS];
static _Thread_local size_t cache_used, cache_next;
static _Thread_local char *interned[INTERN_MAX];
static _Thread_local size_t interned_n;

static const char REPL[] = "\xEF\xBF\xBD";

/* ---- iconv with a cache and byte-exact error recovery ---- */

static iconv_t cache_get(const char *name)
{
	for (size_t i = 0; i < cache_used; i++)
		if (strcmp(cache[i].name, name) == 0)
			return cache[i].cd;
	struct cache_slot *s;
	if (cache_used < CACHE_SLOTS) {
		s = &cache[cache_used++];
	} else {
		/* round robin; a hostile stream of names costs an iconv_open each, no more */
		s = &cache[cache_next];
		cache_next = (cache_next + 1) % CACHE_SLOTS;
		if (s->cd != (iconv_t)-1)
			iconv_close(s->cd);
	}
	snprintf(s->name, sizeof s->name, "%s", name);
	s->cd = iconv_open("UTF-8", name);
	return s->cd;
}

/* static name for *used; lives until charset_cleanup */
static const char *intern(const char *name)
{
	for (size_t i = 0; i < interned_n; i++)
		if (strcmp(interned[i], name) == 0)
			return interned[i];
	if (interned_n == INTERN_MAX)
		return "ICONV";
	interned[interned_n] = xstrdup(name);
	return interned[interned_n++];
}

/* bytes to skip after an undecodable sequence, so a bad double-byte code is one U+FFFD */
static size_t bad_len(const char *name, const unsigned char *p, size_t n)
{
	if (strcmp(name, "CP932") == 0)
		return cp932_bad_len(p, n);
	if (strcmp(name, "EUC-JP-MS") == 0) {
		if (n >= 3 && p[0] == 0x8F && p[1] >= 0xA1 && p[1] <= 0xFE && p[2] >= 0xA1 && p[2] <= 0xFE)
			return 3;
		if (n >= 2 && ((p[0] >= 0xA1 && p[0] <= 0xFE) || p[0] == 0x8E) && p[1] >= 0xA1 &&
		    p[1] <= 0xFE)
			return 2;
	}
	return 1;
}

/* make room for `extra` more bytes after b->len (plus the NUL); keeps it a C string */
static void sb_room(strbuf *b, size_t extra)
{
	b->s = xgrow(b->s, &b->cap, b->len + extra + 1, 1);
	b->s[b->len] = '\0';
}

/*
 * Append the conversion of in[0..len) from `name` to out.  Returns false when iconv
 * does not know the name (nothing appended).  Adds the number of U+FFFD to *errors.
 * CP932 goes through the table below, which gives the same.
 */
static bool iconv_to(const char *name, const char *in, size_t len, strbuf *out, size_t *errors)
{
	if (strcmp(name, "CP932") == 0 && cp932_decode(in, len, out, errors))
		return true;
	iconv_t cd = cache_get(name);
	if (cd == (iconv_t)-1)
		return false;
	iconv(cd, NULL, NULL, NULL, NULL);
	char *ip = (char *)in;
	size_t il = len;
	sb_room(out, len + len / 2 + 16);
	for (;;) {
		char *op = out->s + out->len;
		size_t ol = out->cap - out->len - 1;
		size_t r = il ? iconv(cd, &ip, &il, &op, &ol) : iconv(cd, NULL, NULL, &op, &ol);
		int e = errno;
		out->len = (size_t)(op - out->s);
		if (r != (size_t)-1) {
			if (il == 0 && ip != NULL)
				ip = NULL; /* one more round flushes the shift state */
			else
				break;
			continue;
		}
		if (e == E2BIG) {
			sb_room(out, out->cap);
			continue;
		}
		if (il == 0)
			break;
		/* EILSEQ or EINVAL (truncated at the end): one U+FFFD, skip, carry on */
		size_t k = bad_len(name, (const unsigned char *)ip, il);
		sb_room(out, 3 + il);
		memcpy(out->s + out->len, REPL, 3);
		out->len += 3;
		ip += k;
		il -= k;
		(*errors)++;
	}
	out->s[out->len] = '\0';
	return true;
}

/* ---- UTF-8 and ASCII, without iconv ---- */

static void utf8_lossy(const char *in, size_t len, strbuf *out, size_t *errors)
{
	sb_room(out, len);
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && (unsigned char)in[j] < 0x80)
			j++;
		if (j > i) {
			sb_add(out, in + i, j - i);
			i = j;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_next(in + i, len - i, &cp);
		if (cp == 0xFFFD && k == 1)
			(*errors)++;
		if (cp == 0xFFFD)
			sb_add(out, REPL, 3);
		else
			sb_add(out, in + i, k);
		i += k;
	}
}

static bool has_8bit(const char *in, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80)
			return true;
	return false;
}

/* strictly valid UTF-8 with enough multi-byte sequences that no legacy text looks like it */
static bool utf8_convincing(const char *in, size_t len)
{
	if (!utf8_valid(in, len))
		return false;
	size_t seqs = 0, longest = 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = utf8_next(in + i, len - i, &cp);
		if (k > 1) {
			seqs++;
			longest = k > longest ? k : longest;
		}
		i += k;
	}
	return seqs >= 2 || longest >= 3;
}

/* ---- ISO-2022-JP, our own pass ---- */

static bool has_jis_escapes(const char *in, size_t len)
{
	const char *p = in, *end = in + len;
	while ((p = memchr(p, ESC, (size_t)(end - p))) != NULL) {
		size_t left = (size_t)(end - p);
		if (left >= 3 && ((p[1] == '$' && (p[2] == 'B' || p[2] == '@' || p[2] == '(')) ||
				  (p[1] == '(' && (p[2] == 'I' || p[2] == 'J'))))
			return true;
		p++;
	}
	return false;
}

/* the charsets of pending bytes, compared by address: one name, one pointer */
static const char CS_CP932[] = "CP932", CS_EUCJP[] = "EUC-JP-MS";

enum jis_mode { J_ASCII, J_KANJI, J_KANA, J_X0212 };

struct jis {
	strbuf *out;
	strbuf pend;	  /* bytes waiting to be decoded as pend_cs, as one stream */
	const char *pend_cs;
	size_t errors;
	int raw_utf8;	  /* raw 8-bit runs are UTF-8, not CP932 (-1: not looked yet) */
	bool unknown_esc; /* an escape we do not decode (ISO-2022-JP-2's GB2312, KSC ...) */
	const cp932_table *table; /* for the direct path, or NULL */
};

static void jis_flush(struct jis *j)
{
	if (j->pend.len)
		iconv_to(j->pend_cs, j->pend.s, j->pend.len, j->out, &j->errors);
	sb_reset(&j->pend);
}

static void jis_pend(struct jis *j, const char *cs, const void *p, size_t n)
{
	if (j->pend_cs != cs)
		jis_flush(j);
	j->pend_cs = cs;
	sb_add(&j->pend, p, n);
}

static void jis_bad(struct jis *j)
{
	jis_flush(j);
	sb_add(j->out, REPL, 3);
	j->errors++;
}

/* every maximal run of 8-bit bytes is valid UTF-8 (JIS itself is 7-bit) */
static bool raw_runs_utf8(const char *in, size_t len)
{
	for (size_t i = 0; i < len;) {
		if ((unsigned char)in[i] < 0x80) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < len && (unsigned char)in[j] >= 0x80)
			j++;
		if (!utf8_valid(in + i, j - i))
			return false;
		i = j;
	}
	return true;
}

/* parse the escape at in[i]; returns bytes consumed (0: not one we know) */
static size_t jis_escape(const unsigned char *p, size_t left, enum jis_mode *mode)
{
	if (left >= 3 && p[1] == '(' && (p[2] == 'B' || p[2] == 'J' || p[2] == 'H')) {
		*mode = J_ASCII;
		return 3;
	}
	if (left >= 3 && p[1] == '(' && p[2] == 'I') {
		*mode = J_KANA;
		return 3;
	}
	if (left >= 3 && p[1] == '$' && (p[2] == 'B' || p[2] == '@')) {
		*mode = J_KANJI;
		return 3;
	}
	if (left >= 4 && p[1] == '$' && p[2] == '(') {
		if (p[3] == 'B' || p[3] == '@' || p[3] == 'Q' || p[3] == 'O') {
			*mode = J_KANJI; /* JIS X 0213 plane 1 is a superset of 0208 */
			return 4;
		}
		if (p[3] == 'D') {
			*mode = J_X0212;
			return 4;
		}
	}
	if (left >= 3 && p[1] == '&' && p[2] == '@')
		return 3; /* JIS X 0208-1990 announcer; ESC $ B follows */
	return 0;
}

static void jis_pair(struct jis *j, enum jis_mode mode, unsigned char j1, unsigned char j2)
{
	if (mode == J_X0212) {
		unsigned char e[3] = { 0x8F, (unsigned char)(j1 | 0x80), (unsigned char)(j2 | 0x80) };
		jis_pend(j, CS_EUCJP, e, 3);
		return;
	}
	unsigned char s[2];
	jis_to_sjis(j1, j2, s);
	jis_pend(j, CS_CP932, s, 2);
}

static bool jis_byte(unsigned char c)
{
	return c >= 0x21 && c <= 0x7E;
}

/*
 * Everything pending is one CP932 stream: a pair may straddle two pieces (a raw
 * Shift_JIS lead byte, then JIS).  ASCII and JIS X 0208 runs — the bulk of a body —
 * may still skip the pending bytes and go straight to the output, through the table,
 * when that cannot change a thing: the pending bytes are decoded on their own first,
 * which is the same unless the last of them is a CP932 lead byte.
 */
static bool jis_direct(const struct jis *j)
{
	if (!j->table || !j->table->jis_direct)
		return false;
	return j->pend.len == 0 || j->pend_cs != CS_CP932 ||
	       !j->table->lead[(unsigned char)j->pend.s[j->pend.len - 1]];
}

static void jis_ascii_run(struct jis *j, const char *p, size_t n)
{
	if (!jis_direct(j)) {
		jis_pend(j, CS_CP932, p, n);
		return;
	}
	jis_flush(j);
	sb_add(j->out, p, n);
}

/* a run of JIS X 0208 pairs from u[i] on (one call per run rather than per
 * character); returns the index after the run */
static size_t jis_kanji_run(struct jis *j, const unsigned char *u, size_t i, size_t len)
{
	bool direct = jis_direct(j);
	const cp932_table *t = j->table;
	strbuf *b = direct ? j->out : &j->pend;
	if (direct || j->pend_cs != CS_CP932)
		jis_flush(j);
	j->pend_cs = CS_CP932;
	/* two bytes in, at most three out (four written: the table's length byte) */
	sb_room(b, (len - i) / 2 * 3 + 4);
	for (; i + 1 < len && jis_byte(u[i]) && jis_byte(u[i + 1]); i += 2) {
		if (!direct) {
			unsigned char s[2];
			jis_to_sjis(u[i], u[i + 1], s);
			memcpy(b->s + b->len, s, 2);
			b->len += 2;
			continue;
		}
		const uint8_t *e = t->jis_utf8[u[i] - 0x21][u[i + 1] - 0x21];
		if (e[3]) {
			memcpy(b->s + b->len, e, 4);
			b->len += e[3];
		} else {
			cp932_put_utf8(b, 0xFFFD); /* what iconv makes of it: one U+FFFD for the pair */
			j->errors++;
		}
	}
	b->s[b->len] = '\0';
	return i;
}

static size_t jis_raw_run(struct jis *j, const char *in, size_t i, size_t len)
{
	size_t e = i;
	if (j->raw_utf8 < 0) /* JIS itself is 7-bit: most bodies never get here */
		j->raw_utf8 = raw_runs_utf8(in, len);
	while (e < len && (unsigned char)in[e] >= 0x80)
		e++;
	if (j->raw_utf8) {
		jis_flush(j);
		sb_add(j->out, in + i, e - i);
	} else {
		jis_pend(j, CS_CP932, in + i, e - i); /* raw Shift_JIS (kana) from broken mailers */
	}
	return e;
}

static void jis_decode(const char *in, size_t len, struct cand *c)
{
	struct jis j = { .out = &c->out, .pend = STRBUF_INIT, .pend_cs = CS_CP932,
			 .table = cp932_table_get() };
	const unsigned char *u = (const unsigned char *)in;
	enum jis_mode mode = J_ASCII;
	bool shifted = false; /* SO ... SI: half-width kana */
	j.raw_utf8 = -1;
	sb_room(j.out, len + len / 2);
	for (size_t i = 0; i < len;) {
		unsigned char ch = u[i];
		if (ch == ESC) {
			size_t k = jis_escape(u + i, len - i, &mode);
			if (k == 0) {
				j.unknown_esc = true;
				jis_bad(&j);
				k = 1;
			}
			i += k;
			continue;
		}
		if (ch == SO || ch == SI) {
			shifted = ch == SO;
			i++;
			continue;
		}
		if (ch >= 0x80) {
			i = jis_raw_run(&j, in, i, len);
			continue;
		}
		if (mode == J_ASCII && !shifted) {
			size_t e = i + 1; /* the common case, in one piece */
			while (e < len && u[e] < 0x80 && u[e] != ESC && u[e] != SO && u[e] != SI)
				e++;
			jis_ascii_run(&j, in + i, e - i);
			i = e;
			continue;
		}
		if (ch == '\r' || ch == '\n') {
			/* RFC 1468 lines end in ASCII; a mailer that forgot ESC ( B gets it for free */
			mode = J_ASCII;
			shifted = false;
		}
		enum jis_mode m = shifted ? J_KANA : mode;
		if (m == J_KANJI && jis_byte(ch) && i + 1 < len && jis_byte(u[i + 1])) {
			i = jis_kanji_run(&j, u, i, len);
			continue;
		}
		if (ch < 0x21 || m == J_ASCII) {
			jis_pend(&j, CS_CP932, &ch, 1);
			i++;
		} else if (m == J_KANA) {
			if (ch <= 0x5F) {
				unsigned char k = (unsigned char)(ch + 0x80);
				jis_pend(&j, CS_CP932, &k, 1);
			} else {
				jis_bad(&j);
			}
			i++;
		} else if (ch <= 0x7E && i + 1 < len && u[i + 1] >= 0x21 && u[i + 1] <= 0x7E) {
			jis_pair(&j, m, ch, u[i + 1]);
			i += 2;
		} else {
			jis_bad(&j);
			i++;
		}
	}
	jis_flush(&j);
	sb_free(&j.pend);
	c->errors += j.errors;
	c->name = "ISO-2022-JP";
	if (j.unknown_esc) {
		/* ISO-2022-JP-2 designations (GB2312, KSC 5601, ISO-8859-x): ask glibc */
		struct cand g = { STRBUF_INIT, "ISO-2022-JP-2", 0 };
		if (iconv_to("ISO-2022-JP-2", in, len, &g.out, &g.errors) && g.errors < c->errors) {
			sb_free(&c->out);
			*c = g;
		} else {
			sb_free(&g.out);
		}
	}
}

/* ---- names ---- */

static const struct {
	const char *name;
	enum kind kind;
} aliases[] = {
	{ "utf-8", K_UTF8 },	     { "utf8", K_UTF8 },	     { "x-utf-8", K_UTF8 },
	{ "shift_jis", K_CP932 },    { "shift-jis", K_CP932 },   { "sjis", K_CP932 },
	{ "x-sjis", K_CP932 },	     { "ms_kanji", K_CP932 },    { "windows-31j", K_CP932 },
	{ "cp932", K_CP932 },	     { "ms932", K_CP932 },	     { "csshiftjis", K_CP932 },
	{ "x-ms-cp932", K_CP932 },   { "euc-jp", K_EUCJP },
	{ "x-euc-jp", K_EUCJP },     { "eucjp", K_EUCJP },	     { "euc-jp-ms", K_EUCJP },
	{ "cseucpkdfmtjapanese", K_EUCJP }, { "iso-2022-jp", K_JIS }, { "iso-2022-jp-1", K_JIS },
	{ "iso-2022-jp-2", K_JIS },  { "iso-2022-jp-3", K_JIS },  { "csiso2022jp", K_JIS },
	{ "cp50220", K_JIS },	     { "cp50221", K_JIS },	     { "cp50222", K_JIS },
	{ "us-ascii", K_NONE },	     { "ascii", K_NONE },	     { "ansi_x3.4-1968", K_NONE },
	{ "us", K_NONE },	     { "unknown-8bit", K_NONE },  { "x-unknown", K_NONE },
};

/* names that are not ASCII-compatible: the ASCII fast path and sniffing do not apply */
static const char *const wide_prefixes[] = {
	"utf-16", "utf16", "utf-32", "utf32", "ucs-", "ucs2", "ucs4", "utf-7", "utf7",
	"unicode", "hz", "iso-2022-kr", "iso-2022-cn", "csiso2022kr", "ebcdic",
};

/*
 * Normalise a declared name into buf (lower case, no quotes, no RFC 2231 "*lang",
 * nothing iconv would read as "//TRANSLIT").  Returns the kind; buf holds the
 * upper-case iconv name for K_LEGACY / K_WIDE.
 */
static enum kind classify(const char *declared, char buf[NAME_MAX_LEN])
{
	buf[0] = '\0';
	if (!declared)
		return K_NONE;
	while (*declared == ' ' || *declared == '\t' || *declared == '"' || *declared == '\'')
		declared++;
	size_t n = 0;
	for (const char *p = declared; *p && *p != '*' && *p != '"' && *p != '\'' && *p != ' ';
	     p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || strchr("-_.:+()", ch);
		if (!ok || n + 1 >= NAME_MAX_LEN)
			return K_NONE;
		buf[n++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	buf[n] = '\0';
	if (n == 0)
		return K_NONE;
	for (size_t i = 0; i < ARRAY_LEN(aliases); i++)
		if (buf[0] == aliases[i].name[0] && strcmp(buf, aliases[i].name) == 0)
			return aliases[i].kind;
	enum kind k = K_LEGACY;
	for (size_t i = 0; i < ARRAY_LEN(wide_prefixes); i++)
		if (ascii_casecmp_prefix(buf, wide_prefixes[i]))
			k = K_WIDE;
	for (char *p = buf; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return k;
}

/* ---- choosing ---- */

/* returns false when iconv does not know the name */
static bool decode_as(enum kind k, const char *iname, const char *in, size_t len, struct cand *c)
{
	bool ok = true;
	c->errors = 0;
	sb_reset(&c->out);
	switch (k) {
	case K_UTF8:
		c->name = "UTF-8";
		utf8_lossy(in, len, &c->out, &c->errors);
		break;
	case K_CP932:
		c->name = "CP932";
		ok = iconv_to("CP932", in, len, &c->out, &c->errors);
		break;
	case K_EUCJP:
		c->name = "EUC-JP-MS";
		ok = iconv_to("EUC-JP-MS", in, len, &c->out, &c->errors);
		break;
	case K_JIS:
		jis_decode(in, len, c);
		break;
	case K_LEGACY:
	case K_WIDE:
		ok = iconv_to(iname, in, len, &c->out, &c->errors);
		c->name = ok ? intern(iname) : NULL;
		break;
	case K_NONE:
		ok = false;
		break;
	}
	return ok;
}

/* byte structure of EUC-JP, no tables: rules it out cheaply for CP932 text */
static bool euc_shaped(const char *in, size_t len)
{
	const unsigned char *u = (const unsigned char *)in;
	for (size_t i = 0; i < len;) {
		size_t need;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (u[i] == 0x8F)
			need = 3;
		else if (u[i] == 0x8E || (u[i] >= 0xA1 && u[i] <= 0xFE))
			need = 2;
		else
			return false;
		if (len - i < need)
			return false;
		for (size_t k = 1; k < need; k++)
			if (u[i + k] < 0xA1 || u[i + k] > 0xFE)
				return false;
		i += need;
	}
	return true;
}

/* characters of the kana blocks U+3040–U+30FF: real Japanese text has plenty */
static size_t kana_count(const strbuf *b)
{
	size_t n = 0;
	for (size_t i = 0; i + 2 < b->len; i++) {
		unsigned char c0 = (unsigned char)b->s[i], c1 = (unsigned char)b->s[i + 1];
		if (c0 == 0xE3 && c1 >= 0x81 && c1 <= 0x83)
			n++;
	}
	return n;
}

/* move *from into *to (freeing what *to held) */
static void cand_take(struct cand *to, struct cand *from)
{
	sb_free(&to->out);
	*to = *from;
	from->out = (strbuf)STRBUF_INIT;
	from->name = NULL;
	from->errors = 0;
}

/*
 * Strict UTF-8, else CP932, else EUC-JP-MS, else the fewest replacements; `best`
 * (the declared attempt, if any) wins ties.  EUC-JP often decodes "cleanly" as CP932
 * half-width kana, so when both are clean the one with more kana wins.
 */
static void sniff(const char *in, size_t len, struct cand *best)
{
	struct cand u8 = { STRBUF_INIT, NULL, 0 }, cp = u8, eu = u8;
	if (utf8_valid(in, len)) {
		decode_as(K_UTF8, NULL, in, len, &u8);
		cand_take(best, &u8);
		return;
	}
	decode_as(K_CP932, NULL, in, len, &cp);
	bool euc = euc_shaped(in, len);
	if (cp.errors == 0 && !euc) {
		cand_take(best, &cp);
		goto out;
	}
	decode_as(K_EUCJP, NULL, in, len, &eu);
	if (cp.errors == 0 && (eu.errors || kana_count(&eu.out) <= kana_count(&cp.out))) {
		cand_take(best, &cp);
	} else if (eu.errors == 0) {
		cand_take(best, &eu);
	} else {
		decode_as(K_UTF8, NULL, in, len, &u8);
		struct cand *order[] = { &u8, &cp, &eu };
		for (size_t i = 0; i < ARRAY_LEN(order); i++)
			if (!best->name || order[i]->errors < best->errors)
				cand_take(best, order[i]);
	}
out:
	sb_free(&u8.out);
	sb_free(&cp.out);
	sb_free(&eu.out);
}

/* replace NUL bytes by U+FFFD: callers treat the result as a C string */
static size_t fix_nuls(strbuf *b)
{
	if (!b->s || !memchr(b->s, '\0', b->len))
		return 0;
	strbuf t = STRBUF_INIT;
	size_t n = 0;
	sb_room(&t, b->len + 16);
	for (size_t i = 0; i < b->len; i++) {
		if (b->s[i] == '\0') {
			sb_add(&t, REPL, 3);
			n++;
		} else {
			sb_addc(&t, b->s[i]);
		}
	}
	sb_free(b);
	*b = t;
	return n;
}

char *charset_decode(const char *in, size_t len, const char *declared, size_t *out_len,
		     const char **used, size_t *replaced)
{
	char iname[NAME_MAX_LEN];
	enum kind k = classify(declared, iname);
	struct cand best = { STRBUF_INIT, NULL, 0 };
	if (!in) {
		in = "";
		len = 0;
	}
	if (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0 && k != K_WIDE) {
		in += 3;
		len -= 3;
		if (k == K_NONE || utf8_valid(in, len))
			k = K_UTF8;
	}
	if (k == K_WIDE) {
		if (!decode_as(k, iname, in, len, &best) || best.errors)
			sniff(in, len, &best);
	} else if (has_jis_escapes(in, len) ||
		   (k == K_JIS && (memchr(in, SO, len) || memchr(in, ESC, len)))) {
		/* whatever the label says, ESC $ B is ISO-2022-JP (parts labelled UTF-8 too) */
		decode_as(K_JIS, NULL, in, len, &best);
	} else if (!has_8bit(in, len)) {
		sb_add(&best.out, in, len);
		best.name = "US-ASCII";
	} else if (k == K_UTF8 && utf8_valid(in, len)) {
		sb_add(&best.out, in, len);
		best.name = "UTF-8";
	} else if ((k == K_CP932 || k == K_EUCJP || k == K_LEGACY) && utf8_convincing(in, len)) {
		/* legacy label on real UTF-8: no legacy text is this well-formed UTF-8 */
		sb_add(&best.out, in, len);
		best.name = "UTF-8";
	} else {
		/* an ISO-2022-JP label without escapes is mislabelled raw 8-bit text */
		bool known = k != K_JIS && decode_as(k, iname, in, len, &best);
		if (!known || best.errors)
			sniff(in, len, &best);
	}
	best.errors += fix_nuls(&best.out);
	if (out_len)
		*out_len = best.out.len;
	if (used)
		*used = best.name;
	if (replaced)
		*replaced = best.errors;
	return sb_steal(&best.out);
}

/* ---- RFC 2047 ---- */

struct eword {
	char charset[NAME_MAX_LEN];
	size_t len; /* bytes of the whole =?...?= */
};

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* lenient: white space and stray characters are skipped, decoding stops at '=' */
static void b_decode(const char *t, size_t n, strbuf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && t[i] != '='; i++) {
		int v = b64_value((unsigned char)t[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sb_addc(out, (char)((acc >> bits) & 0xFF));
		}
	}
}

static void q_decode(const char *t, size_t n, strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (t[i] == '_') {
			sb_addc(out, ' ');
		} else if (t[i] == '=' && i + 2 < n &&
			   (hi = hex_value((unsigned char)t[i + 1])) >= 0 &&
			   (lo = hex_value((unsigned char)t[i + 2])) >= 0) {
			sb_addc(out, (char)(hi << 4 | lo));
			i += 2;
		} else {
			sb_addc(out, t[i]);
		}
	}
}

/*
 * Parse an encoded word at s (which starts with "=?"); on success append its bytes
 * to `bytes` and fill *w.  Spaces inside the text are tolerated (broken mailers),
 * but another "=?" is not, so a word without "?=" cannot swallow the next one.
 */
static bool eword_parse(const char *s, size_t n, struct eword *w, strbuf *bytes)
{
	size_t i = 2, c = 0;
	while (i < n && s[i] != '?') {
		unsigned char ch = (unsigned char)s[i];
		if (ch <= 0x20 || ch >= 0x7F || c + 1 >= sizeof w->charset)
			return false;
		w->charset[c++] = (char)ch;
		i++;
	}
	if (c == 0 || i + 3 > n || s[i + 2] != '?')
		return false;
	w->charset[c] = '\0';
	char *star = strchr(w->charset, '*');
	if (star)
		*star = '\0'; /* RFC 2231 language */
	char enc = s[i + 1];
	if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q')
		return false;
	size_t t0 = i + 3, t = t0;
	for (;; t++) {
		if (t + 1 >= n)
			return false;
		if (s[t] == '?' && s[t + 1] == '=')
			break;
		if (s[t] == '=' && s[t + 1] == '?' && (t + 2 >= n || s[t + 2] != '='))
			return false;
	}
	if (enc == 'B' || enc == 'b')
		b_decode(s + t0, t - t0, bytes);
	else
		q_decode(s + t0, t - t0, bytes);
	w->len = t + 2;
	return true;
}

static void add_decoded(strbuf *out, const char *p, size_t n, const char *cs, size_t *replaced)
{
	size_t len, r;
	char *d = charset_decode(p, n, cs, &len, NULL, &r);
	sb_add(out, d, len);
	*replaced += r;
	free(d);
}

static bool all_space(const strbuf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->s[i] != ' ' && b->s[i] != '\t')
			return false;
	return true;
}

char *charset_decode_header(const char *raw, size_t len, size_t *replaced)
{
	strbuf u = STRBUF_INIT, out = STRBUF_INIT, text = STRBUF_INIT;
	strbuf word = STRBUF_INIT, next = STRBUF_INIT;
	char cs[NAME_MAX_LEN] = "";
	bool have_word = false;
	size_t rep = 0;
	if (!raw) {
		raw = "";
		len = 0;
	}
	sb_room(&u, len);
	for (size_t i = 0; i < len; i++) /* unfold: line breaks go, the white space stays */
		if (raw[i] != '\r' && raw[i] != '\n')
			sb_addc(&u, raw[i]);
	sb_room(&out, u.len + u.len / 2);
	for (size_t i = 0; i < u.len;) {
		struct eword w;
		sb_reset(&next);
		if (u.s[i] != '=' || i + 1 >= u.len || u.s[i + 1] != '?' ||
		    !eword_parse(u.s + i, u.len - i, &w, &next)) {
			sb_addc(&text, u.s[i++]); /* plain text, or a malformed word kept literally */
			continue;
		}
		/* white space between encoded words is dropped; same charset joins bytes */
		bool between = have_word && all_space(&text);
		if (between && ascii_strcasecmp(cs, w.charset) == 0) {
			sb_add(&word, next.s, next.len);
		} else {
			if (have_word)
				add_decoded(&out, word.s, word.len, cs, &rep);
			if (!between)
				add_decoded(&out, text.s, text.len, NULL, &rep);
			sb_reset(&word);
			sb_add(&word, next.s, next.len);
			snprintf(cs, sizeof cs, "%s", w.charset);
			have_word = true;
		}
		sb_reset(&text);
		i += w.len;
	}
	if (have_word)
		add_decoded(&out, word.s, word.len, cs, &rep);
	add_decoded(&out, text.s, text.len, NULL, &rep);
	sb_free(&u);
	sb_free(&text);
	sb_free(&word);
	sb_free(&next);
	if (replaced)
		*replaced = rep;
	return sb_steal(&out);
}

/* ---- libetpan ---- */

/* text charset_decode gives back as it is whatever the label: 7-bit, and nothing
 * that starts ISO-2022-JP (ESC, SO) or gets replaced (NUL) */
static bool plain_7bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || c == ESC || c == SO || c == 0)
			return false;
	}
	return true;
}

/*
 * extended_charconv contract (charconv.h): `result` has room for *result_len bytes
 * (libetpan allocates 6 per input byte, plus one for its NUL); set *result_len to the
 * bytes written.  MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET makes libetpan fall back to
 * its own iconv, which we only want for targets other than UTF-8.  Note libetpan
 * renames "iso-2022-jp" to "iso-2022-jp-2" before calling us; both reach jis_decode.
 */
static int etpan_charconv(const char *tocode, const char *fromcode, const char *str, size_t length,
			  char *result, size_t *result_len)
{
	if (!tocode || (ascii_strcasecmp(tocode, "utf-8") != 0 && ascii_strcasecmp(tocode, "utf8") != 0))
		return MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET;
	/* libetpan asks for every word of some headers (Content-Type: us-ascii to
	 * UTF-8): plain ASCII with such a label needs no decoding */
	if (fromcode && (!ascii_strcasecmp(fromcode, "us-ascii") || !ascii_strcasecmp(fromcode, "utf-8")) &&
	    length <= *result_len && plain_7bit(str, length)) {
		memcpy(result, str, length);
		*result_len = length;
		return MAIL_CHARCONV_NO_ERROR;
	}
	size_t n;
	char *d = charset_decode(str, length, fromcode, &n, NULL, NULL);
	if (n > *result_len) {
		n = *result_len;
		while (n > 0 && ((unsigned char)d[n] & 0xC0) == 0x80)
			n--; /* cut before a continuation byte, never inside a character */
	}
	memcpy(result, d, n);
	*result_len = n;
	free(d);
	return MAIL_CHARCONV_NO_ERROR;
}

void charset_hook_etpan(void)
{
	extended_charconv = etpan_charconv;
}

void charset_cleanup(void)
{
	for (size_t i = 0; i < cache_used; i++)
		if (cache[i].cd != (iconv_t)-1)
			iconv_close(cache[i].cd);
	cache_used = cache_next = 0;
	for (size_t i = 0; i < interned_n; i++)
		free(interned[i]);
	interned_n = 0;
}
