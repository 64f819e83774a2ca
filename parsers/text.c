/*
 * text — NFKC (libutf8proc), the dash and wave-dash foldings of SPEC.md §3, match
 * keys for labels and synonyms, display widths, trimming.  Pure functions on UTF-8.
 * ASCII input takes a fast path: it is the common case in field values.
 */
#include "text.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static bool is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/*
 * NFKC of the bulk of mail text without utf8proc, whose decompose/compose passes
 * dominate a parse otherwise.  ASCII, kana, CJK ideographs and Japanese punctuation
 * are left as they are (nfkc_same); full-width ASCII (U+FF01–U+FF5E) and the
 * ideographic space U+3000 map one to one onto ASCII.  None of these composes with
 * its neighbours, so the result is the same character by character, and case
 * folding of it is ASCII lower case.  Ranges with other mappings (half-width kana,
 * circled numbers, combining voiced marks U+3099–309C, ゟ, ヿ ...) are not listed:
 * such text goes through utf8proc.
 */
static inline bool nfkc_same(uint32_t cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3041 && cp <= 0x3096) ||
	       (cp >= 0x309D && cp <= 0x309E) || (cp >= 0x30A1 && cp <= 0x30FE) ||
	       (cp >= 0x3001 && cp <= 0x301F);
}

/* NFKC of n bytes into out, at most n bytes plus a NUL (no mapping above makes text
 * longer); returns the length, or (size_t)-1 for text it does not cover (also NUL
 * and bad UTF-8) */
static size_t nfkc_fast(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (c == 0)
				return (size_t)-1;
			out[o++] = (char)c;
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (k == 3 && nfkc_same(cp)) {
			memcpy(out + o, s + i, 3);
			o += 3;
		} else if (cp >= 0xFF01 && cp <= 0xFF5E) {
			out[o++] = (char)(cp - 0xFEE0);
		} else if (cp == 0x3000) {
			out[o++] = ' ';
		} else {
			return (size_t)-1;
		}
		i += k;
	}
	out[o] = '\0';
	return o;
}

/* copy n bytes replacing invalid UTF-8 (and NUL) by U+FFFD so utf8proc never refuses */
static char *sanitize(const char *s, size_t n)
{
	strbuf b = STRBUF_INIT;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (cp == 0)
			cp = 0xFFFD;
		sb_add_utf8(&b, cp);
		i += k;
	}
	return sb_steal(&b);
}

static char *map(const char *s, size_t n, utf8proc_option_t opt)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
					  opt | UTF8PROC_STABLE);
	if (r < 0) {
		char *clean = sanitize(s, n);
		r = utf8proc_map((const utf8proc_uint8_t *)clean, (utf8proc_ssize_t)strlen(clean),
				 &out, opt | UTF8PROC_STABLE);
		free(clean);
		if (r < 0)
			return xstrdup("");
	}
	/* utf8proc allocates with malloc: hand it on as is */
	return (char *)out;
}

char *text_nfkc(const char *s, size_t n)
{
	if (is_ascii(s, n)) {
		char *d = xstrndup(s, n);
		for (size_t i = 0; i < n; i++)
			if (d[i] == '\0')
				d[i] = ' ';
		return d;
	}
	char *out = xmalloc(n + 1);
	if (nfkc_fast(s, n, out) != (size_t)-1)
		return out;
	free(out);
	return map(s, n, UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
}

bool text_is_dash(uint32_t cp)
{
	switch (cp) {
	case '-':
	case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015:
	case 0x2212: case 0x30FC: case 0xFF70: case 0xFF0D: case 0xFE63: case 0x2043:
		return true;
	default:
		return false;
	}
}

static bool is_wave(uint32_t cp)
{
	return cp == '~' || cp == 0x301C || cp == 0xFF5E || cp == 0x223C || cp == 0x3030;
}

bool text_is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == '\f' || cp == '\v' ||
	       cp == 0x3000 || cp == 0x00A0 || cp == 0x2002 || cp == 0x2003 || cp == 0x2009 ||
	       cp == 0x200B || cp == 0xFEFF;
}

char *text_nfkc_dashes(const char *s, size_t n)
{
	char *t = text_nfkc(s, n);
	size_t len = strlen(t), o = 0;
	/* in place: a dash-like character is two bytes or more, '-' is one */
	for (size_t i = 0; i < len;) {
		if ((unsigned char)t[i] < 0x80) {
			t[o++] = t[i++];
			continue;
		}
		uint32_t cp;
		size_t k = utf8_next(t + i, len - i, &cp);
		if (text_is_dash(cp)) {
			t[o++] = '-';
		} else {
			memmove(t + o, t + i, k);
			o += k;
		}
		i += k;
	}
	t[o] = '\0';
	return t;
}

/*
 * The foldings of a match key after NFKC, from t (len bytes, up to its first NUL) to
 * out, which has room for len + 1 bytes: no folding makes the text longer, so out
 * may be t itself.  Returns the length written (out is NUL-terminated).
 */
static size_t fold_key(const char *t, size_t len, char *out)
{
	size_t o = 0;
	len = strnlen(t, len);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)t[i];
		if (c < 0x80) {
			if (c >= 'A' && c <= 'Z')
				out[o++] = (char)(c - 'A' + 'a');
			else if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'))
				out[o++] = (char)c;
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_next(t + i, len - i, &cp);
		if (text_is_dash(cp)) {
			out[o++] = '-';
		} else if (is_wave(cp)) {
			out[o++] = '~';
		} else if (!text_is_space(cp)) {
			memmove(out + o, t + i, k);
			o += k;
		}
		i += k;
	}
	out[o] = '\0';
	return o;
}

/* fold_key(nfkc_fast(s)) in one pass, for the labels read on every field line */
static size_t key_fast(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t k = c < 0x80 ? 1 : utf8_next(s + i, n - i, &cp);
		if (c < 0x80 || (cp >= 0xFF01 && cp <= 0xFF5E)) {
			c = c < 0x80 ? c : (unsigned char)(cp - 0xFEE0); /* full-width ASCII */
			if (c == 0)
				return (size_t)-1;
			if (c >= 'A' && c <= 'Z')
				out[o++] = (char)(c - 'A' + 'a');
			else if (!(c == ' ' || (c >= '\t' && c <= '\r')))
				out[o++] = (char)c;
		} else if (k == 3 && nfkc_same(cp)) {
			if (text_is_dash(cp)) {
				out[o++] = '-';
			} else if (is_wave(cp)) {
				out[o++] = '~';
			} else {
				memcpy(out + o, s + i, 3);
				o += 3;
			}
		} else if (cp != 0x3000) { /* U+3000 is a space: dropped */
			return (size_t)-1;
		}
		i += k;
	}
	out[o] = '\0';
	return o;
}

size_t text_match_key_buf(const char *s, size_t n, char *buf, size_t cap)
{
	if (n >= cap)
		return (size_t)-1;
	if (is_ascii(s, n))
		return fold_key(s, n, buf);
	return key_fast(s, n, buf);
}

char *text_match_key(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	if (text_match_key_buf(s, n, out, n + 1) != (size_t)-1)
		return out;
	free(out);
	char *t = map(s, n, UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
	size_t len = strlen(t);
	out = xmalloc(len + 1);
	fold_key(t, len, out);
	free(t);
	return out;
}

size_t text_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		int cw = utf8proc_charwidth((utf8proc_int32_t)cp);
		w += cw > 0 ? (size_t)cw : 0;
		i += k ? k : 1;
	}
	return w;
}

/* length of the white space code point at s, or 0 */
static size_t space_at(const char *s, size_t n)
{
	uint32_t cp;
	if (!n)
		return 0;
	size_t k = utf8_next(s, n, &cp);
	return text_is_space(cp) ? k : 0;
}

/* Could a white space character start with byte c?  (ASCII white space, U+00A0 C2,
 * U+2002–U+200B E2, U+3000 E3, U+FEFF EF) */
static bool may_start_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xC2 || c == 0xE2 || c == 0xE3 || c == 0xEF;
}

/* Could a white space character end with byte c?  (the last bytes of the above) */
static bool may_end_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x80 || c == 0xA0 || c == 0x82 ||
	       c == 0x83 || c == 0x89 || c == 0x8B || c == 0xBF;
}

const char *text_trim(const char *s, size_t *n)
{
	size_t len = *n, k;
	/* most lines and values neither start nor end with white space: two byte tests */
	if (len && !may_start_space((unsigned char)s[0]) && !may_end_space((unsigned char)s[len - 1]))
		return s;
	while (len && (k = space_at(s, len)) > 0) {
		s += k;
		len -= k;
	}
	/* trailing: step back over UTF-8 continuation bytes to find the last code point */
	while (len) {
		size_t start = len - 1;
		while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80 && len - start < 4)
			start--;
		if (space_at(s + start, len - start) == len - start)
			len = start;
		else
			break;
	}
	*n = len;
	return s;
}

bool text_is_blank(const char *s, size_t n)
{
	size_t len = n;
	text_trim(s, &len);
	return len == 0;
}

bool text_contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}
